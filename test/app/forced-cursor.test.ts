// Committed state's share of forced inclusion (issue 16, decision 46). The app cannot see L1's queue
// or L2's blocks (the sidecars check which entries a batch consumes), so app/batches.ts only keeps the
// forced cursor a batch names from going back, a cursor that does not move from changing its chain
// hash, the chain hash 32 bytes (zero at cursor 0); it signs exactly the header carrying them, and an
// expired batch rolls them back with the batch chain.
import { opaqueBatchData } from '../batch-fixture.js';
import { decodeBatchHeader } from '../../protocol/signed-payloads.js';
import { TxCode } from '../../protocol/codes.js';
import { genesisProducer } from '../../app/election.js';
import { ethAddress } from '../../protocol/l1-signer.js';
import { toHex } from '../../common/bytes.js';
import type { RequestBatchSignature } from '../../proto/seqpool.js';
import { CHAIN_ID } from './harness.js';
import { hexBytes, indexOf, poolChain, type PoolChain } from './pool-harness.js';

const ZERO = new Uint8Array(32);
const A = new Uint8Array(32).fill(0xa1);
const B = new Uint8Array(32).fill(0xb2);
const hex = (b: Uint8Array) => `0x${toHex(b)}`;
const types = (r: Awaited<ReturnType<PoolChain['step']>>) => r.finalized.events!.map((e) => e!.type);

/** A pool whose producer may batch L2 blocks 1..10 (its epoch); no failover while a batch expires. */
async function started() {
  const c = await poolChain({ params: { respanTimeoutSeconds: '1000' } });
  const p = indexOf(c.vals, genesisProducer(c.appState, CHAIN_ID).address);
  await c.step();
  await c.step();
  c.setHead(10n);
  await c.step();
  return { c, p, other: (p + 1) % c.vals.length };
}

/** A RequestBatchSignature over opaque data `tag`; forced fields only where `over` sets them. */
const request = (over: Partial<RequestBatchSignature>, tag = `data ${String(over.batchIndex ?? 0n)}`): { requestBatch: RequestBatchSignature } => ({
  requestBatch: { batchIndex: 0n, prevBatchHash: ZERO, l2Start: 1n, l2End: 2n, ...opaqueBatchData(tag), ...over },
});

/** Commits the request from validator i and returns the batch view; fails the test unless it was accepted. */
async function accepted(c: PoolChain, i: number, body: ReturnType<typeof request>): Promise<{ hash: string; signRequest: string } & Record<string, unknown>> {
  const r = await c.step({ txs: [c.tx(i, body)] });
  const res = r.finalized.txResults![1]!;
  expect({ code: res.code, log: res.log }).toMatchObject({ code: TxCode.OK }); // the log names why, if not
  return (await c.query(`/batch/${body.requestBatch.batchIndex}`)).value;
}

/** CheckTx's verdict on the request: [code, log]. */
async function checked(c: PoolChain, i: number, body: ReturnType<typeof request>): Promise<[number, string]> {
  const r = await c.app.checkTx({ tx: c.tx(i, body), type: 0 });
  return [r.code ?? 0, r.log ?? ''];
}

const refusal = (reason: RegExp) => [TxCode.INVALID_MESSAGE, expect.stringMatching(reason)];

test('the header the app signs carries the forced cursor and chain hash; the batch and meta views show them', async () => {
  const { c, p } = await started();
  const b0 = await accepted(c, p, request({ forcedCursor: 3n, forcedChainHash: A }));
  expect(b0).toMatchObject({ forcedCursor: '3', forcedChainHash: hex(A) });
  const req = (await c.query(`/sign/${b0.signRequest}`)).value;
  const header = decodeBatchHeader(hexBytes(req.payload));
  expect(header).toEqual({ batchIndex: 0n, prevBatchHash: ZERO, l2StartBlock: 1n, l2EndBlock: 2n, dataHash: opaqueBatchData('data 0').dataHash, producer: ethAddress(c.vals[p]!.pubKey), forcedCursor: 3n, forcedChainHash: A });
  expect((await c.query('/batch/meta')).value).toMatchObject({ nextIndex: '1', lastHash: b0.hash, forcedCursor: '3', forcedChainHash: hex(A) });
  // Unset fields are cursor 0 and a zero chain hash, in the signed header as in the views.
  const { c: c2, p: p2 } = await started();
  const plain = await accepted(c2, p2, request({}));
  expect(plain).toMatchObject({ forcedCursor: '0', forcedChainHash: hex(ZERO) });
  const plainHeader = decodeBatchHeader(hexBytes((await c2.query(`/sign/${plain.signRequest}`)).value.payload));
  expect([plainHeader.forcedCursor, plainHeader.forcedChainHash]).toEqual([0n, ZERO]);
});

test('a forced cursor that goes back, or stays and changes its chain hash, is refused; staying with the same hash or moving on is not', async () => {
  const { c, p } = await started();
  const b0 = await accepted(c, p, request({ forcedCursor: 3n, forcedChainHash: A }));
  const next = (over: Partial<RequestBatchSignature>) => request({ batchIndex: 1n, prevBatchHash: hexBytes(b0.hash), l2Start: 3n, l2End: 4n, ...over });
  expect(await checked(c, p, next({ forcedCursor: 2n, forcedChainHash: B }))).toEqual(refusal(/forced_cursor 2 goes back from the last batch's 3/));
  expect(await checked(c, p, next({}))).toEqual(refusal(/forced_cursor 0 goes back from the last batch's 3/));
  expect(await checked(c, p, next({ forcedCursor: 3n, forcedChainHash: B }))).toEqual(refusal(new RegExp(`forced_cursor 3 did not move but forced_chain_hash ${toHex(B)} differs from the last batch's ${toHex(A)}`)));
  expect(await checked(c, p, next({ forcedCursor: 3n }))).toEqual(refusal(/forced_cursor 3 did not move but forced_chain_hash 0{64} differs/));
  // The same rule in FinalizeBlock (a byzantine proposer's tx fails there too), and nothing changes.
  const fin = await c.step({ txs: [c.tx(p, next({ forcedCursor: 2n, forcedChainHash: B }))] });
  expect([fin.finalized.txResults![1]!.code, fin.finalized.txResults![1]!.log]).toEqual(refusal(/goes back/));
  expect((await c.query('/batch/meta')).value).toMatchObject({ nextIndex: '1', forcedCursor: '3', forcedChainHash: hex(A) });
  // Not moving with the same hash is a batch that consumes no entry; moving on takes L1's hash there,
  // which only the sidecars can check.
  const b1 = await accepted(c, p, next({ forcedCursor: 3n, forcedChainHash: A }));
  expect(b1).toMatchObject({ forcedCursor: '3', forcedChainHash: hex(A) });
  const b2 = await accepted(c, p, request({ batchIndex: 2n, prevBatchHash: hexBytes(b1.hash), l2Start: 5n, l2End: 6n, forcedCursor: 4n, forcedChainHash: B }));
  expect((await c.query('/batch/meta')).value).toMatchObject({ nextIndex: '3', lastHash: b2.hash, forcedCursor: '4', forcedChainHash: hex(B) });
});

test('the forced chain hash is 32 bytes, and zero while the cursor is 0', async () => {
  const { c, p } = await started();
  for (const n of [1, 31, 33]) {
    expect(await checked(c, p, request({ forcedCursor: 1n, forcedChainHash: new Uint8Array(n).fill(7) }))).toEqual(refusal(/forced_chain_hash must be 32 bytes/));
  }
  // Cursor 0 names no entry, so no chain hash but zero. Committed state starts at cursor 0 with a zero
  // hash and its cursor never returns to 0 with another, so the did-not-move rule refuses this first;
  // batchRequestProblem's own zero-at-0 line is a second guard no reachable state gets to.
  expect(await checked(c, p, request({ forcedCursor: 0n, forcedChainHash: A }))).toEqual(refusal(/forced_cursor 0 .*forced_chain_hash|forced_chain_hash must be zero while forced_cursor is 0/));
  const b0 = await accepted(c, p, request({ forcedCursor: 0n, forcedChainHash: ZERO }));
  expect(b0).toMatchObject({ forcedCursor: '0', forcedChainHash: hex(ZERO) });
});

test("an expired batch rolls BatchMeta's forced cursor and chain hash back to the previous batch's", async () => {
  const { c, p, other } = await started();
  // Batch 0 (cursor 2, A) is signed, so it stays; batches 1 and 2 (cursor 5, B) expire.
  const b0 = await accepted(c, p, request({ forcedCursor: 2n, forcedChainHash: A }));
  const req0 = (await c.query(`/sign/${b0.signRequest}`)).value;
  const signed = await c.step({ txs: [c.tx(other, { submitSignature: { requestId: BigInt(req0.id), signature: c.sign(hexBytes(req0.digest)) } }, 1)] });
  expect(types(signed)).toContain('sign_completed');
  const b1 = await accepted(c, p, request({ batchIndex: 1n, prevBatchHash: hexBytes(b0.hash), l2Start: 3n, l2End: 4n, forcedCursor: 5n, forcedChainHash: B }));
  await accepted(c, p, request({ batchIndex: 2n, prevBatchHash: hexBytes(b1.hash), l2Start: 5n, l2End: 6n, forcedCursor: 5n, forcedChainHash: B }));
  expect((await c.query('/batch/meta')).value).toMatchObject({ nextIndex: '3', forcedCursor: '5', forcedChainHash: hex(B) });
  const deadline = BigInt((await c.query(`/sign/${b1.signRequest}`)).value.deadlineTime);
  while (1_700_000_000n + c.height + 1n <= deadline) expect(types(await c.step())).not.toContain('batch_expired');
  expect(types(await c.step()).filter((t) => t === 'batch_expired')).toHaveLength(2);
  expect((await c.query('/batch/meta')).value).toMatchObject({ nextIndex: '1', lastHash: b0.hash, nextL2Start: '3', forcedCursor: '2', forcedChainHash: hex(A) });
  // The next batch 1 continues batch 0's cursor, not the expired one's: it may name fewer entries
  // than the expired batch did (its L1 view may differ), and not batch 0's cursor with another hash.
  const again = (over: Partial<RequestBatchSignature>) => request({ batchIndex: 1n, prevBatchHash: hexBytes(b0.hash), l2Start: 3n, l2End: 4n, ...over }, 'retry');
  expect(await checked(c, p, again({ forcedCursor: 2n, forcedChainHash: B }))).toEqual(refusal(new RegExp(`did not move but forced_chain_hash ${toHex(B)} differs from the last batch's ${toHex(A)}`)));
  expect(await accepted(c, p, again({ forcedCursor: 4n, forcedChainHash: B }))).toMatchObject({ status: 'signing', forcedCursor: '4' });
});

test('when the first batch expires, the forced cursor goes back to 0 and a zero chain hash', async () => {
  const { c, p } = await started();
  const b0 = await accepted(c, p, request({ forcedCursor: 3n, forcedChainHash: A }));
  const deadline = BigInt((await c.query(`/sign/${b0.signRequest}`)).value.deadlineTime);
  while (1_700_000_000n + c.height + 1n <= deadline) await c.step();
  expect(types(await c.step())).toContain('batch_expired');
  expect((await c.query('/batch/meta')).value).toMatchObject({ nextIndex: '0', forcedCursor: '0', forcedChainHash: hex(ZERO) });
  expect(await accepted(c, p, request({}, 'retry'))).toMatchObject({ status: 'signing', forcedCursor: '0' });
});
