// The reconciler offers an L1 state correction only when the pool really disagrees with L1: at once
// after a reorg below the safe block, but after a periodic comparison only when the next one finds the
// same (a pool merely behind L1, events not attested yet, is not corrected). Fakes for L1 and the pool.
import { silentLogger } from '../../common/log.js';
import { Reconciler, checkpointAt } from '../../bridge/reconcile.js';
import type { L1StateReader } from '../../protocol/l1-state.js';
import { SequencerStatus, type Sequencer } from '../../proto/seqpool.js';

const SIGNER = `0x${'11'.repeat(20)}` as const;
const POOL = `0x${'aa'.repeat(20)}` as const;

/** L1 where sequencer 1 has `nonce` events and 20,000 tokens locked. */
function l1(nonce: () => bigint): L1StateReader {
  return {
    getBlock: async ({ blockNumber }) => ({ hash: `0x${blockNumber.toString(16).padStart(64, '0')}`, number: blockNumber }),
    readContract: async ({ functionName }) => {
      if (functionName === 'sequencerCount') return 1n;
      if (functionName === 'sequencers') return [SIGNER, SIGNER, 20_000n * 10n ** 18n, 0n, nonce(), 1];
      return `0x${'22'.repeat(64)}`;
    },
  };
}
const pool = (record: Sequencer) => ({
  nextNonce: () => 1n,
  isSettled: () => false,
  nextBatchIndex: () => 0n,
  sequencerById: (id: bigint) => (id === 1n ? record : undefined),
  maxSequencerId: () => 1n,
  batchL1Block: () => undefined,
});
const record: Sequencer = { address: new Uint8Array(20), pubKey: new Uint8Array(33), power: 20_000n, nonce: 0n, sequencerId: 1n, l1Nonce: 1n, l1Block: 3n, locked: (20_000n * 10n ** 18n).toString(), status: SequencerStatus.ACTIVE, signer: new Uint8Array(20).fill(0x11) };

test('checkpoints are the multiples of checkpointBlocks at or below the safe block', () => {
  expect([checkpointAt(31n, 8n), checkpointAt(32n, 8n), checkpointAt(7n, 8n)]).toEqual([24n, 32n, 0n]);
});

test('a disagreement found by a periodic comparison is offered only when the next comparison finds it again', async () => {
  const r = new Reconciler({ reader: l1(() => 2n), contracts: { chainId: 1n, lockingPool: POOL }, view: pool(record), checkpointBlocks: 8n, intervalMs: 0, startBlock: 0n, log: silentLogger() });
  await r.check(20n);
  expect(r.latest).toMatchObject({ block: 16n, sequencers: [1n] });
  expect(r.pending()).toEqual([]); // maybe only behind: the relock is not attested yet
  await r.check(21n);
  expect(r.pending()).toHaveLength(1); // still so: offered
  expect(r.pending()[0]!.l1Correction).toMatchObject({ blockNumber: 16n, sequencers: [{ id: 1n, nonce: 2n, status: 1 }] });
});

test('after a reorg below the safe block a disagreement is offered at once, and withdrawn when the pool agrees again', async () => {
  let nonce = 2n;
  const r = new Reconciler({ reader: l1(() => nonce), contracts: { chainId: 1n, lockingPool: POOL }, view: pool(record), checkpointBlocks: 8n, intervalMs: 3_600_000, startBlock: 0n, log: silentLogger() });
  await r.check(20n); // the first, periodic comparison: suspect only
  expect(r.pending()).toEqual([]);
  r.callFor(18n); // a reorg; the pool may have applied events up to block 18
  await r.check(21n); // checkpoint 16 < 18: compared, offered, and still due
  expect(r.pending()).toHaveLength(1);
  nonce = 1n; // L1 now agrees with the pool
  await r.check(26n); // checkpoint 24 >= 18
  expect(r.pending()).toEqual([]);
  expect(r.latest).toMatchObject({ block: 24n, sequencers: [] });
});
