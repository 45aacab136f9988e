// The batcher against a real L2 anvil (full blocks over JSON-RPC) and a fake committed state + CometBFT
// broadcast: it requests the right range with its batch data and dataHash as a signed lane-0 tx,
// waits for inclusion, respects the in-flight limit and the attested head, resyncs its nonce on
// BAD_NONCE, stays quiet when another validator produces, closes batches by size, range and age
// (bridge/batch-policy.ts), and the data comes from the L2 reader it is given.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestClient, createWalletClient, http, keccak256, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { ANVIL_DEV_KEY } from '../../contracts/devnet.js';
import { decodeBatchData, encodeBatchData, readBatchContent, type L2PayloadSource } from '../../protocol/batch-data.js';
import { L2PayloadReader } from '../../protocol/l2-payload-reader.js';
import { FakeL2Chain } from '../batch-fixture.js';
import type { Anvil } from '../../contracts/devnet.js';
import { startTestAnvil } from '../anvil.js';
import { TxCode } from '../../protocol/codes.js';
import { txSignBytes } from '../../protocol/tx.js';
import { toHex } from '../../common/bytes.js';
import { verify } from '../../common/secp.js';
import { TxBodyCodec, TxCodec, type TxBody } from '../../proto/seqpool.js';
import { Batcher } from '../../bridge/index.js';
import type { BroadcastResult } from '../../protocol/comet-rpc.js';
import { FakePool, hexHeaderHash, testValidator, type TestValidator } from './pool-fake.js';

const ZERO32 = `0x${'00'.repeat(32)}` as Hex;
let anvil: Anvil;
let l2: L2PayloadSource;
let v: TestValidator;

beforeAll(async () => {
  anvil = await startTestAnvil({ chainId: 31338 });
  l2 = new L2PayloadReader(anvil.url);
  // Blocks 1-3 hold a transfer each (automine), 4-43 are empty.
  const wallet = createWalletClient({ account: privateKeyToAccount(ANVIL_DEV_KEY), chain: { ...foundry, id: 31338 }, transport: http(anvil.url) });
  for (let i = 1n; i <= 3n; i++) await wallet.sendTransaction({ to: `0x${'42'.repeat(20)}`, value: i });
  await createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvil.url) }).mine({ blocks: 40 });
  v = testValidator();
}, 30_000);
afterAll(async () => {
  await anvil?.stop();
});

/** keccak256 of the batch data of blocks [from, to], read by a reader of its own. */
async function expectedDataHash(from: bigint, to: bigint): Promise<Hex> {
  return keccak256(encodeBatchData(await readBatchContent(new L2PayloadReader(anvil.url), from, to)));
}

function chainState(producer: TestValidator, o: { head: bigint; nonce: bigint; epochEnd?: bigint; maxBatchBytes?: number; batchMaxAgeSeconds?: number }): FakePool {
  const p = new FakePool();
  p.set('/status', { chainId: 'seqpool-test', height: '10' });
  p.set('/params', { maxBatchBlocks: '8', maxBatchBytes: o.maxBatchBytes ?? 120_000, batchMaxAgeSeconds: String(o.batchMaxAgeSeconds ?? 0), epochLength: '100', signingTimeoutSeconds: '60' });
  p.set('/batch/meta', { nextIndex: '0', lastHash: ZERO32, nextL2Start: '1', finalized: '0', lastProgressTime: '0', forcedCursor: '0', forcedChainHash: ZERO32 });
  const epoch = { id: '0', startL2: '1', endL2: (o.epochEnd ?? 100n).toString(), producer: producer.address, signer: producer.eth, seed: '00', electedHeight: '1', signRequest: '0', status: 'committed', isRespan: false, respanOf: '0' };
  p.set('/epoch/0', epoch);
  p.set('/epoch/current', { ...epoch, l2Head: o.head.toString(), l2HeadTime: '1700000000' });
  for (let h = 1; h <= 100; h++) p.set(`/batcher/${h}`, { l2Height: String(h), epochId: '0', producer: producer.address, signer: producer.eth });
  p.set(`/validator/${v.address}`, { address: v.address, nonce: o.nonce.toString(), sidecarNonce: '9' });
  return p;
}

/** A broadcast that decodes and checks the signed tx like CheckTx would, and records it. */
function recorder(codes: number[] = []) {
  const sent: TxBody[] = [];
  const broadcast = async (raw: Uint8Array): Promise<BroadcastResult> => {
    const tx = TxCodec.decode(raw);
    const body = TxBodyCodec.decode(tx.body);
    expect(verify(body.signer, txSignBytes(tx.body), tx.signature)).toBe(true);
    sent.push(body);
    const code = codes.shift() ?? TxCode.OK;
    return { code, log: code === TxCode.BAD_NONCE ? 'replayed or stale nonce' : '', hash: 'AB'.repeat(32) };
  };
  return { sent, broadcast };
}

/** What FinalizeBlock would do with an approved request. */
function commit(p: FakePool, body: TxBody, producer: Hex): void {
  const r = body.requestBatch!;
  const forced = { forcedCursor: r.forcedCursor ?? 0n, forcedChainHash: r.forcedChainHash?.length ? (`0x${toHex(r.forcedChainHash)}` as Hex) : ZERO32 };
  const hash = hexHeaderHash({ batchIndex: r.batchIndex, prevBatchHash: `0x${toHex(r.prevBatchHash)}`, l2StartBlock: r.l2Start, l2EndBlock: r.l2End, dataHash: `0x${toHex(r.dataHash)}`, producer, ...forced });
  const forcedView = { forcedCursor: forced.forcedCursor.toString(), forcedChainHash: forced.forcedChainHash };
  p.set(`/batch/${r.batchIndex}`, { index: r.batchIndex.toString(), prevHash: `0x${toHex(r.prevBatchHash)}`, l2Start: r.l2Start.toString(), l2End: r.l2End.toString(), dataHash: `0x${toHex(r.dataHash)}`, producer, hash, status: 'signing', signRequest: '1', epochId: '0', ...forcedView });
  p.set('/batch/meta', { nextIndex: (r.batchIndex + 1n).toString(), lastHash: hash, nextL2Start: (r.l2End + 1n).toString(), finalized: '0', lastProgressTime: '0', ...forcedView });
  p.set(`/validator/${v.address}`, { address: v.address, nonce: body.nonce.toString() });
}

describe('batcher (real L2 anvil, fake committed state)', () => {
  test('requests [next_l2_start, min(head, epoch end, start + max - 1)] with the L2 block hashes, as a signed lane-0 tx', async () => {
    const pool = chainState(v, { head: 20n, nonce: 4n });
    const { sent, broadcast } = recorder();
    const b = new Batcher({ pool: pool.view, l2, broadcast, privKey: v.privKey, maxInFlight: 2 });
    await b.step();
    expect(sent).toHaveLength(1);
    const first = sent[0]!;
    expect(first).toMatchObject({ chainId: 'seqpool-test', nonce: 5n, lane: 0 });
    expect(toHex(first.signer)).toBe(toHex(v.pubKey));
    expect(first.requestBatch).toMatchObject({ batchIndex: 0n, l2Start: 1n, l2End: 8n });
    expect(`0x${toHex(first.requestBatch!.prevBatchHash)}`).toBe(ZERO32);
    expect(`0x${toHex(first.requestBatch!.dataHash)}`).toBe(await expectedDataHash(1n, 8n));
    expect(keccak256(first.requestBatch!.data)).toBe(`0x${toHex(first.requestBatch!.dataHash)}`);
    const carried = decodeBatchData(first.requestBatch!.data);
    expect(carried.firstBlock).toBe(1n);
    expect(carried.blocks.map((b) => b.transactions.length)).toEqual([1, 1, 1, 0, 0, 0, 0, 0]); // the transfers ride along

    // Not in a block yet: CheckTx checks against committed state, so nothing more is sent.
    await b.step();
    expect(sent).toHaveLength(1);

    commit(pool, first, v.eth);
    await b.step();
    expect(sent).toHaveLength(2);
    const second = sent[1]!;
    expect(second.nonce).toBe(6n);
    expect(second.requestBatch).toMatchObject({ batchIndex: 1n, l2Start: 9n, l2End: 16n });
    const firstHash = (pool.answers.get('/batch/0') as { hash: string }).hash;
    expect(`0x${toHex(second.requestBatch!.prevBatchHash)}`).toBe(firstHash);
    expect(`0x${toHex(second.requestBatch!.dataHash)}`).toBe(await expectedDataHash(9n, 16n));

    // Two batches signing = maxInFlight: the third waits even though blocks 17-20 are attested.
    commit(pool, second, v.eth);
    await b.step();
    expect(sent).toHaveLength(2);
    pool.set('/batch/0', { ...(pool.answers.get('/batch/0') as object), status: 'finalized' });
    await b.step();
    expect(sent).toHaveLength(3);
    expect(sent[2]!.requestBatch).toMatchObject({ batchIndex: 2n, l2Start: 17n, l2End: 20n }); // capped by the attested head
    commit(pool, sent[2]!, v.eth);
    pool.set('/batch/1', { ...(pool.answers.get('/batch/1') as object), status: 'finalized' });
    await b.step();
    expect(sent).toHaveLength(3); // nothing attested beyond block 20
  });

  test('stops at the epoch end', async () => {
    const pool = chainState(v, { head: 30n, nonce: 0n, epochEnd: 6n });
    const { sent, broadcast } = recorder();
    await new Batcher({ pool: pool.view, l2, broadcast, privKey: v.privKey }).step();
    expect(sent[0]!.requestBatch).toMatchObject({ l2Start: 1n, l2End: 6n });
  });

  test('does nothing while another validator produces', async () => {
    const other = testValidator();
    const pool = chainState(other, { head: 30n, nonce: 0n });
    const { sent, broadcast } = recorder();
    await new Batcher({ pool: pool.view, l2, broadcast, privKey: v.privKey }).step();
    expect(sent).toHaveLength(0);
  });

  test('resyncs its lane-0 nonce from committed state on BAD_NONCE', async () => {
    const pool = chainState(v, { head: 30n, nonce: 2n });
    const { sent, broadcast } = recorder([TxCode.BAD_NONCE]);
    const b = new Batcher({ pool: pool.view, l2, broadcast, privKey: v.privKey });
    await b.step();
    expect(sent.map((t) => t.nonce)).toEqual([3n]);
    // Meanwhile the sidecar-independent lane-0 nonce moved on (e.g. a request sent before a restart).
    pool.set(`/validator/${v.address}`, { address: v.address, nonce: '7' });
    await b.step();
    expect(sent.map((t) => t.nonce)).toEqual([3n, 8n]);
    expect(sent[1]!.requestBatch).toMatchObject({ batchIndex: 0n, l2Start: 1n });
  });

  test('a request CheckTx refuses is not waited for: the next step builds it again from committed state', async () => {
    const pool = chainState(v, { head: 30n, nonce: 0n });
    const { sent, broadcast } = recorder([TxCode.INVALID_MESSAGE]);
    const b = new Batcher({ pool: pool.view, l2, broadcast, privKey: v.privKey });
    await b.step();
    expect(b.uncommitted).toBe(0);
    await b.step();
    expect(sent.map((t) => [t.nonce, t.requestBatch!.batchIndex])).toEqual([[1n, 0n], [1n, 0n]]);
    expect(b.uncommitted).toBe(1);
  });

  test('the batch data comes from the L2 reader it is given (a wrapped reader that lies gives another dataHash)', async () => {
    const pool = chainState(v, { head: 30n, nonce: 0n });
    const { sent, broadcast } = recorder();
    const lying: L2PayloadSource = { payload: async (n) => ({ ...(await l2.payload(n)), stateRoot: `0x${'ee'.repeat(32)}` }) };
    await new Batcher({ pool: pool.view, l2: lying, broadcast, privKey: v.privKey }).step();
    expect(sent[0]!.requestBatch).toMatchObject({ l2Start: 1n, l2End: 8n });
    expect(`0x${toHex(sent[0]!.requestBatch!.dataHash)}`).not.toBe(await expectedDataHash(1n, 8n));
  });

  test('a batch stays open until its oldest block is batchMaxAgeSeconds old, unless it reaches the range end or maxBatchBlocks', async () => {
    const chain = new FakeL2Chain(30n); // block n has timestamp 1,700,000,000 + n: long ago
    const young: L2PayloadSource = { payload: async (n) => ({ ...(await chain.payload(n)), timestamp: `0x${(Math.floor(Date.now() / 1000) + 60).toString(16)}` }) };
    const open = chainState(v, { head: 5n, nonce: 0n, batchMaxAgeSeconds: 3600 });
    const r1 = recorder();
    await new Batcher({ pool: open.view, l2: young, broadcast: r1.broadcast, privKey: v.privKey }).step();
    expect(r1.sent).toHaveLength(0); // 5 young blocks, below maxBatchBlocks 8 and the epoch end
    const r2 = recorder();
    await new Batcher({ pool: chainState(v, { head: 5n, nonce: 0n, batchMaxAgeSeconds: 3600 }).view, l2: chain, broadcast: r2.broadcast, privKey: v.privKey }).step();
    expect(r2.sent[0]!.requestBatch).toMatchObject({ l2Start: 1n, l2End: 5n }); // old blocks: closed by age
    const r3 = recorder();
    await new Batcher({ pool: chainState(v, { head: 20n, nonce: 0n, batchMaxAgeSeconds: 3600 }).view, l2: young, broadcast: r3.broadcast, privKey: v.privKey }).step();
    expect(r3.sent[0]!.requestBatch).toMatchObject({ l2Start: 1n, l2End: 8n }); // young, but maxBatchBlocks
    const r4 = recorder();
    await new Batcher({ pool: chainState(v, { head: 20n, nonce: 0n, epochEnd: 3n, batchMaxAgeSeconds: 3600 }).view, l2: young, broadcast: r4.broadcast, privKey: v.privKey }).step();
    expect(r4.sent[0]!.requestBatch).toMatchObject({ l2Start: 1n, l2End: 3n }); // young, but the range ends
  });

  test('a batch closes at maxBatchBytes: the largest prefix of blocks whose data fits', async () => {
    const chain = new FakeL2Chain(30n);
    const oneBlock = (await chain.data(1n, 1n)).length;
    const maxBatchBytes = oneBlock * 3; // synthetic blocks barely compress: about three fit
    const { sent, broadcast } = recorder();
    await new Batcher({ pool: chainState(v, { head: 20n, nonce: 0n, maxBatchBytes }).view, l2: chain, broadcast, privKey: v.privKey }).step();
    const r = sent[0]!.requestBatch!;
    expect(r.data.length).toBeLessThanOrEqual(maxBatchBytes);
    expect(r.l2End).toBeGreaterThan(1n);
    expect(r.l2End).toBeLessThan(8n);
    expect((await chain.data(1n, r.l2End + 1n)).length).toBeGreaterThan(maxBatchBytes); // one more would not fit
    expect(r.data).toEqual(await chain.data(1n, r.l2End));
  });

  test('a block that alone exceeds maxBatchBytes is never requested (and says why)', async () => {
    const chain = new FakeL2Chain(30n);
    const { sent, broadcast } = recorder();
    await new Batcher({ pool: chainState(v, { head: 20n, nonce: 0n, maxBatchBytes: 100 }).view, l2: chain, broadcast, privKey: v.privKey }).step();
    expect(sent).toHaveLength(0);
  });
});
