// Drives SeqpoolApp in-process the way CometBFT does, with vote extensions signed by the validators'
// keys: the FinalizeBlock timing of bench:consensus, and the app tests (test/app/harness.ts builds on
// this file; bench code cannot import from test/, which the build excludes).
import { sha256 } from '@noble/hashes/sha2.js';
import { ExtendedCommitInfo, RequestFinalizeBlock, RequestInitChain } from 'cosmjs-types/tendermint/abci/types';
import { BlockIDFlag } from 'cosmjs-types/tendermint/types/validator';
import { SeqpoolApp } from '../app/app.js';
import { buildAppState } from '../app/genesis-state.js';
import { MemoryPersistence } from '../app/persistence.js';
import { voteExtensionSignBytes } from '../app/vote-extensions.js';
import { utf8 } from '../common/bytes.js';
import { pubKeyToAddress, publicKeyOf, sign } from '../common/secp.js';

export const BENCH_CHAIN_ID = 'seqpool-bench';
export const VE_HEIGHT = 2n;

export interface BenchValidator {
  privKey: Uint8Array;
  pubKey: Uint8Array;
  address: Uint8Array;
  power: bigint;
}

/** Deterministic keys (so failures reproduce), derived from `label` and the index. */
export function makeValidators(n: number, power = 10n, label = 'seqpool-bench-validator'): BenchValidator[] {
  return Array.from({ length: n }, (_, i) => {
    const privKey = sha256(utf8(`${label}-${i}`));
    const pubKey = publicKeyOf(privKey);
    return { privKey, pubKey, address: pubKeyToAddress(pubKey), power };
  });
}

export async function openApp(vals: BenchValidator[]): Promise<SeqpoolApp> {
  const app = await SeqpoolApp.open({ persistence: new MemoryPersistence() });
  await app.initChain(
    RequestInitChain.fromPartial({
      chainId: BENCH_CHAIN_ID,
      initialHeight: 1n,
      time: { seconds: 1_700_000_000n, nanos: 0 },
      validators: vals.map((v) => ({ pubKey: { secp256k1: v.pubKey }, power: v.power })),
      consensusParams: { abci: { voteExtensionsEnableHeight: VE_HEIGHT } },
      appStateBytes: utf8(JSON.stringify(buildAppState(vals))),
    }),
  );
  return app;
}

/** The extended commit of `height` as CometBFT builds it; `undefined` extensions are absent votes. */
export function extendedCommit(vals: BenchValidator[], height: bigint, extensions: (Uint8Array | undefined)[], round = 0, chainId = BENCH_CHAIN_ID): ExtendedCommitInfo {
  return ExtendedCommitInfo.fromPartial({
    round,
    votes: vals.map((v, i) => {
      const ext = extensions[i];
      if (ext === undefined) return { validator: { address: v.address, power: v.power }, blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_ABSENT };
      return {
        validator: { address: v.address, power: v.power },
        voteExtension: ext,
        extensionSignature: sign(v.privKey, voteExtensionSignBytes(chainId, height, round, ext)),
        blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_COMMIT,
      };
    }),
  });
}

export function finalizeRequest(height: bigint, txs: Uint8Array[], proposer: BenchValidator): RequestFinalizeBlock {
  return RequestFinalizeBlock.fromPartial({
    height,
    txs,
    hash: sha256(utf8(`block-${height}`)),
    time: { seconds: 1_700_000_000n + height, nanos: 0 },
    proposerAddress: proposer.address,
  });
}

export interface TimedBlock {
  processMs: number;
  finalizeMs: number;
  accepted: boolean;
  txResults: number;
}

/**
 * One height: the proposer's PrepareProposal (untimed; it injects the extended commit as txs[0]),
 * then ProcessProposal and FinalizeBlock, each timed, then Commit (untimed: it is persistence).
 */
export async function runTimedBlock(app: SeqpoolApp, vals: BenchValidator[], height: bigint, lastCommit: ExtendedCommitInfo): Promise<TimedBlock> {
  const proposer = vals[Number(height) % vals.length]!;
  const prepared = await app.prepareProposal({
    maxTxBytes: 4_000_000n,
    txs: [],
    localLastCommit: lastCommit,
    misbehavior: [],
    height,
    time: { seconds: 1_700_000_000n + height, nanos: 0 },
    nextValidatorsHash: new Uint8Array(32),
    proposerAddress: proposer.address,
  });
  const req = finalizeRequest(height, prepared.txs as Uint8Array[], proposer);
  const t0 = performance.now();
  const processed = await app.processProposal({ ...req, proposedLastCommit: { round: 0, votes: [] } });
  const t1 = performance.now();
  const finalized = await app.finalizeBlock(req);
  const t2 = performance.now();
  await app.commit({});
  return { processMs: t1 - t0, finalizeMs: t2 - t1, accepted: processed.status === 1, txResults: finalized.txResults?.length ?? 0 };
}
