// Pool parameters and their defaults: Metis mainnet values (DESIGN.md, "Parameters"); the localnet
// shortens times through genesis. Token amounts are decimal strings of 18-decimal base units.
import type { Params } from '../proto/seqpool.js';

const TOKEN = 10n ** 18n;

export const DEFAULT_PARAMS: Params = {
  minLock: (20_000n * TOKEN).toString(),
  maxLock: (100_000n * TOKEN).toString(),
  exitDelaySeconds: 21n * 24n * 3600n,
  rewardPerL2BlockGwei: '761000',
  l1Confirmations: 6,
  epochLength: 200n,
  respanTimeoutSeconds: 180n,
  signingTimeoutSeconds: 300n,
  maxVoteExtensionBytes: 64 * 1024,
  maxObservationsPerExtension: 64,
  // Above maxBatchBytes: a batch request carries its data (app/batches.ts).
  maxTxBytes: 160 * 1024,
  mpcPhaseBlocks: 10,
  refreshEveryEpochs: 0,
  maxMisses: 3,
  slashAmount: '0',
  maxBatchBlocks: 600n,
  electionLeadBlocks: 20n,
  l2StallSeconds: 10n,
  // 120 KB keeps an appendBatch tx under geth's 128 KiB txpool limit on L1; two minutes of 1 s blocks
  // amortise appendBatch's fixed ~70k gas over ~120 L2 blocks (docs/BENCHMARKS.md, bench:l2).
  maxBatchBytes: 120_000,
  batchMaxAgeSeconds: 120n,
  // Half of a mainnet-style BatchInbox.forceWindow (10 min): the pool includes a forced entry within
  // five minutes, leaving the other five for signing and L1 inclusion before appendBatch would revert.
  forcedDueSeconds: 300n,
};
