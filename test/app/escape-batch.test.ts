// Committed state's share of the escape hatch (issue 16, decision 46; app/escape-batch.ts): an attested
// BatchAppended with a zero producer is an escape-hatch batch L1 accepted without the pool. The app
// adopts it as final at its index, expires its own requests from that index on (they can never land),
// continues the batch chain from its hash, sets the attested L2 head to its end (down, if the pool had
// gone further) and gives the next batch the cursor plus the entries it consumed.
import { opaqueBatchData } from '../batch-fixture.js';
import { genesisProducer } from '../../app/election.js';
import { toHex } from '../../common/bytes.js';
import type { L1BatchAppended, RequestBatchSignature } from '../../proto/seqpool.js';
import { TxCode } from '../../protocol/codes.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { CHAIN_ID } from './harness.js';
import { hexBytes, INBOX, indexOf, L1_CHAIN, poolChain } from './pool-harness.js';

const ZERO = new Uint8Array(32);
const h = (s: string) => keccak_256(new TextEncoder().encode(s));
const types = (r: { finalized: { events?: ({ type?: string } | null | undefined)[] } }) => r.finalized.events!.map((e) => e!.type);

async function started() {
  const c = await poolChain({ params: { respanTimeoutSeconds: '1000', l2StallSeconds: '1000' } });
  const p = indexOf(c.vals, genesisProducer(c.appState, CHAIN_ID).address);
  await c.step();
  await c.step();
  c.setHead(10n);
  await c.step();
  return { c, p };
}

const request = (over: Partial<RequestBatchSignature>): { requestBatch: RequestBatchSignature } => ({
  requestBatch: { batchIndex: 0n, prevBatchHash: ZERO, l2Start: 1n, l2End: 2n, ...opaqueBatchData(`data ${String(over.batchIndex ?? 0n)}`), ...over },
});

const escape = (over: Partial<L1BatchAppended> = {}): L1BatchAppended => ({
  chainId: L1_CHAIN, contract: INBOX, blockHash: h('blk'), blockNumber: 70n, logIndex: 0, txHash: h('escape tx'),
  batchIndex: 0n, batchHash: h('escape batch'), l2Start: 1n, l2End: 2n, dataHash: ZERO, producer: new Uint8Array(20), ...over,
});

test('an escape batch is adopted as final: the pool\'s requests at its index expire, the chain and the cursor continue from it, the attested head goes to its end', async () => {
  const { c, p } = await started();
  // The pool had requested batches 0 (L2 1-4) and 1 (L2 5-8); neither reached L1.
  const b0 = (await c.step({ txs: [c.tx(p, request({ l2End: 4n }))] })).finalized.txResults![1]!;
  expect(b0.code).toBe(TxCode.OK);
  const first = (await c.query('/batch/0')).value;
  expect((await c.step({ txs: [c.tx(p, request({ batchIndex: 1n, prevBatchHash: hexBytes(first.hash), l2Start: 5n, l2End: 8n }))] })).finalized.txResults![1]!.code).toBe(TxCode.OK);
  const second = (await c.query('/batch/1')).value;
  // L1 took index 0 for an escape batch of 2 entries (L2 blocks 1-2).
  const r = await c.step({ obs: [{ batchAppended: escape() }] });
  expect(types(r)).toEqual(expect.arrayContaining(['batch_escaped', 'sign_expired', 'batch_expired', 'observation_applied']));
  expect((await c.query('/batch/0')).value).toMatchObject({ status: 'finalized', producer: `0x${'00'.repeat(20)}`, hash: `0x${toHex(h('escape batch'))}`, l2Start: '1', l2End: '2', forcedCursor: '2' });
  expect((await c.query('/batch/1')).value.status).toBe('expired');
  for (const b of [first, second]) expect((await c.query(`/sign/${b.signRequest}`)).value.status).toBe('expired');
  expect((await c.query('/batch/meta')).value).toMatchObject({ nextIndex: '1', lastHash: `0x${toHex(h('escape batch'))}`, nextL2Start: '3', finalized: '1', forcedCursor: '2', forcedChainHash: `0x${'00'.repeat(32)}` });
  expect((await c.query('/epoch/current')).value.l2Head).toBe('2');
  // The next pool batch continues it; its chain hash is checked by the sidecars against L1 (the event
  // carries none), so any 32 bytes pass here, but the cursor may not go back.
  const next = (over: Partial<RequestBatchSignature>) => c.app.checkTx({ tx: c.tx(p, request({ batchIndex: 1n, prevBatchHash: h('escape batch'), l2Start: 3n, l2End: 3n, ...over })), type: 0 });
  expect([(await next({ forcedCursor: 1n, forcedChainHash: h('x') })).code, (await next({ forcedCursor: 1n, forcedChainHash: h('x') })).log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(/goes back/)]);
  c.setHead(3n);
  await c.step();
  expect((await next({ forcedCursor: 2n, forcedChainHash: h('L1 chain at 2') })).code).toBe(TxCode.OK);
});

test('an escape batch out of order, or not continuing the last final batch, changes nothing', async () => {
  const { c } = await started();
  const later = await c.step({ obs: [{ batchAppended: escape({ batchIndex: 1n }) }] });
  expect(types(later)).toEqual(['observation_rejected']);
  const gap = await c.step({ obs: [{ batchAppended: escape({ l2Start: 2n, l2End: 3n }) }] });
  expect(types(gap)).toEqual(['observation_rejected']);
  expect((await c.query('/batch/meta')).value).toMatchObject({ nextIndex: '0', finalized: '0' });
});
