// Issue 5 app core: batch approval, threshold signatures, expiry rollback, L1 finalization with
// rewards, and failover (docs/pool.md "Sign requests", "Batches", "Failover").
import { opaqueBatchData } from '../batch-fixture.js';
import { DEFAULT_PARAMS } from '../../app/params.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { decodeAbiParameters } from 'viem';
import { batchHeaderHash, encodeBatchHeader } from '../../protocol/signed-payloads.js';
import { MAX_BATCHES_IN_FLIGHT } from '../../protocol/batch-data.js';
import { wakeOnCommit, type RunningBridge } from '../../node/bridge-wiring.js';
import { TxCode } from '../../protocol/codes.js';
import { genesisProducer } from '../../app/election.js';
import { ethAddress } from '../../protocol/l1-signer.js';
import { toHex, utf8 } from '../../common/bytes.js';
import type { L1BatchAppended, RequestBatchSignature } from '../../proto/seqpool.js';
import { seal } from '../../mpc/envelope.js';
import { IdentityKey } from '../../mpc/identity.js';
import { commitNonces, signShare } from '../../mpc/signing/frost.js';
import { signingPackageHash, signingSessionId } from '../../mpc/signing/session.js';
import { decodeEnvelope } from '../../proto/mpc.js';
import { CHAIN_ID } from './harness.js';
import { hexBytes, INBOX, indexOf, L1_CHAIN, POOL, poolChain, TOKEN, type PoolChain } from './pool-harness.js';

const ZERO = new Uint8Array(32);
// Batch data the app accepts (it never decodes it): dataHash(s) is keccak256 of opaque data `s`.
const dataOf = new Map<string, Uint8Array>();
const dataHash = (s: string) => {
  const d = opaqueBatchData(s);
  dataOf.set(toHex(d.dataHash), d.data);
  return d.dataHash;
};
const types = (r: Awaited<ReturnType<PoolChain['step']>>) => r.finalized.events!.map((e) => e!.type);

async function started(params: Record<string, string | number> = {}) {
  const c = await poolChain({ params });
  const p = indexOf(c.vals, genesisProducer(c.appState, CHAIN_ID).address);
  await c.step();
  await c.step();
  const batch = (over: Partial<RequestBatchSignature> = {}): { requestBatch: RequestBatchSignature } => {
    const r = { batchIndex: 0n, prevBatchHash: ZERO, l2Start: 1n, l2End: 3n, dataHash: dataHash('a'), ...over };
    return { requestBatch: { data: dataOf.get(toHex(r.dataHash)) ?? new Uint8Array(0), ...r } };
  };
  return { c, p, other: (p + 1) % c.vals.length, batch };
}

/** MAX_BATCHES_IN_FLIGHT one-block batches from the producer, each signed (so none expires), none yet on L1. */
async function fillPipeline(c: PoolChain, p: number, other: number, batch: Awaited<ReturnType<typeof started>>['batch']) {
  let prev: Uint8Array = ZERO;
  for (let i = 0n; i < BigInt(MAX_BATCHES_IN_FLIGHT); i++) {
    const body = batch({ batchIndex: i, prevBatchHash: prev, l2Start: i + 1n, l2End: i + 1n, dataHash: dataHash(`b${i}`) });
    expect((await c.step({ txs: [c.tx(p, body)] })).finalized.txResults![1]!.code).toBe(TxCode.OK);
    const b = (await c.query(`/batch/${i}`)).value;
    prev = hexBytes(b.hash);
    const req = (await c.query(`/sign/${b.signRequest}`)).value;
    await c.step({ txs: [c.tx(other, { submitSignature: { requestId: BigInt(req.id), signature: c.sign(hexBytes(req.digest)) } }, 1)] });
  }
}

test('RequestBatchSignature: only the producer, continuing the last batch, within the epoch, the head and maxBatchBlocks', async () => {
  const { c, p, other, batch } = await started();
  c.setHead(4n);
  await c.step();
  const check = async (i: number, body: ReturnType<typeof batch>) => c.app.checkTx({ tx: c.tx(i, body), type: 0 });
  const cases: [number, ReturnType<typeof batch>, RegExp][] = [
    [other, batch(), /is not the producer of L2 block 1/],
    [p, batch({ batchIndex: 1n }), /batch_index 1: the next batch is 0/],
    [p, batch({ prevBatchHash: new Uint8Array(32).fill(1) }), /is not the last batch's hash/],
    [p, batch({ l2Start: 2n }), /the next batch starts at L2 block 1/],
    [p, batch({ l2End: 5n }), /beyond the attested L2 head 4/],
    [p, batch({ l2End: 11n }), /beyond epoch 0's end 10/],
    // The data: what committed state can decide (its content is the sidecars' to check).
    [p, { requestBatch: { ...batch().requestBatch, data: new Uint8Array(0) } }, /data of 0 bytes: a batch carries 2\.\.\d+ bytes/],
    [p, { requestBatch: { ...batch().requestBatch, ...opaqueBatchData('x'.repeat(DEFAULT_PARAMS.maxBatchBytes)) } }, /exceeds the largest valid one|data of \d+ bytes/],
    [p, { requestBatch: { ...batch().requestBatch, data: Uint8Array.of(9, 1, 2) } }, /data version 9/],
    [p, { requestBatch: { ...batch().requestBatch, data: opaqueBatchData('other').data } }, /is not keccak256 of the data/],
  ];
  for (const [i, body, reason] of cases) {
    const r = await check(i, body);
    expect([r.code, r.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(reason)]);
  }
  // The same rules in FinalizeBlock (a byzantine proposer's txs fail there with the same code).
  const fin = await c.step({ txs: [c.tx(other, batch()), c.tx(p, batch({ l2End: 5n }))] });
  expect(fin.finalized.txResults!.slice(1).map((r) => [r!.code, r!.log])).toEqual([
    [TxCode.INVALID_MESSAGE, expect.stringMatching(/not the producer/)],
    [TxCode.INVALID_MESSAGE, expect.stringMatching(/beyond the attested L2 head/)],
  ]);
  c.setHead(10n);
  await c.step();
  const big = await check(p, batch({ l2End: 6n }));
  expect([big.code, big.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(/6 L2 blocks exceeds maxBatchBlocks 5/)]);

  // Approved: the Batch record, an appendBatch request over abi.encode(header), the chain advanced.
  const ok = await c.step({ txs: [c.tx(p, batch())] });
  expect(ok.finalized.txResults![1]!.code).toBe(TxCode.OK);
  expect(types(ok)).toEqual(expect.arrayContaining(['sign_requested', 'batch_requested']));
  const header = { batchIndex: 0n, prevBatchHash: ZERO, l2StartBlock: 1n, l2EndBlock: 3n, dataHash: dataHash('a'), producer: ethAddress(c.vals[p]!.pubKey), forcedCursor: 0n, forcedChainHash: ZERO };
  const b0 = (await c.query('/batch/0')).value;
  expect(b0).toMatchObject({ index: '0', l2Start: '1', l2End: '3', status: 'signing', producer: `0x${toHex(header.producer)}`, hash: `0x${toHex(batchHeaderHash(header))}`, l1TxHash: null, epochId: '0' });
  const req = (await c.query(`/sign/${b0.signRequest}`)).value;
  expect(req).toMatchObject({ purpose: 'appendBatch', verifier: `0x${toHex(INBOX)}`, chainId: L1_CHAIN.toString(), payload: `0x${toHex(encodeBatchHeader(header))}`, batchIndex: '0' });
  expect(toHex(keccak_256(hexBytes(req.payload)))).toBe(toHex(batchHeaderHash(header)));
  // Pipelining: the next request chains on the one still being signed.
  const next = await c.step({ txs: [c.tx(p, batch({ batchIndex: 1n, prevBatchHash: batchHeaderHash(header), l2Start: 4n, l2End: 8n }))] });
  expect(next.finalized.txResults![1]!.code).toBe(TxCode.OK);
  expect((await c.query('/batch/meta')).value).toMatchObject({ nextIndex: '2', nextL2Start: '9', finalized: '0', lastProgressTime: String(1_700_000_000n + c.height) });
  // Garbage cheater evidence is refused.
  const cheat = await c.app.checkTx({ tx: c.tx(other, { reportCheater: { requestId: 1n, signer: 1, attempt: 0, package: utf8('x'), commitment: utf8('y'), share: utf8('z') } }, 1), type: 0 });
  expect(cheat.code).toBe(TxCode.INVALID_MESSAGE);
});

test('SubmitSignature verifies a real FROST signature; BatchAppended finalizes the batch and creates the rewards request', async () => {
  const { c, p, other, batch } = await started();
  c.setHead(5n);
  await c.step();
  await c.step({ txs: [c.tx(p, batch())] });
  const b0 = (await c.query('/batch/0')).value;
  const req = (await c.query(`/sign/${b0.signRequest}`)).value;
  const forged = c.sign(dataHash('something else'));
  const bad = await c.step({ txs: [c.tx(other, { submitSignature: { requestId: BigInt(req.id), signature: forged } }, 1)] });
  expect([bad.finalized.txResults![1]!.code, bad.finalized.txResults![1]!.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(/does not verify/)]);
  const sig = c.sign(hexBytes(req.digest));
  const good = await c.step({ txs: [c.tx(other, { submitSignature: { requestId: BigInt(req.id), signature: sig } }, 1)] });
  expect(good.finalized.txResults![1]!.code).toBe(TxCode.OK);
  expect(types(good)).toContain('sign_completed');
  expect((await c.query('/batch/0')).value.status).toBe('signed');
  expect((await c.query(`/sign/${req.id}`)).value).toMatchObject({ status: 'signed', signature: `0x${toHex(sig)}` });
  const again = await c.app.checkTx({ tx: c.tx(other, { submitSignature: { requestId: BigInt(req.id), signature: sig } }, 1), type: 0 });
  expect([again.code, again.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(/already signed/)]);

  const appended = (over: Partial<L1BatchAppended> = {}): L1BatchAppended => ({
    chainId: L1_CHAIN, contract: INBOX, blockHash: dataHash('blk'), blockNumber: 50n, logIndex: 0, txHash: dataHash('tx'),
    batchIndex: 0n, batchHash: hexBytes(b0.hash), l2Start: 1n, l2End: 3n, dataHash: dataHash('a'), producer: hexBytes(b0.producer), ...over,
  });
  const wrong = await c.step({ obs: [{ batchAppended: appended({ batchHash: dataHash('other') }) }] });
  expect(types(wrong)).toEqual(['observation_rejected']);
  const fin = await c.step({ obs: [{ batchAppended: appended() }] });
  expect(types(fin)).toEqual(['batch_finalized', 'sign_requested', 'observation_applied']);
  expect((await c.query('/batch/0')).value).toMatchObject({ status: 'finalized', finalizedHeight: String(c.height), l1TxHash: `0x${toHex(dataHash('tx'))}` });
  expect((await c.query('/batch/meta')).value.finalized).toBe('1');
  const rewards = (await c.query('/sign/pending')).value.requests.find((r: { purpose: string }) => r.purpose === 'distributeRewards');
  expect(rewards).toMatchObject({ verifier: `0x${toHex(POOL)}`, chainId: L1_CHAIN.toString() });
  const [ids, amounts, authNonce] = decodeAbiParameters([{ type: 'uint256[]' }, { type: 'uint256[]' }, { type: 'uint256' }], rewards.payload);
  expect([ids, amounts, authNonce]).toEqual([[BigInt(p + 1)], [761_000n * 10n ** 9n * 3n], 0n]);
});

test('an expired appendBatch rolls the batch chain back, pipelined batches with it; the index is free again', async () => {
  const { c, p, batch } = await started({ respanTimeoutSeconds: '1000' });
  c.setHead(6n);
  await c.step();
  await c.step({ txs: [c.tx(p, batch())] });
  const deadline = BigInt((await c.query('/sign/1')).value.deadlineTime);
  const h0 = batchHeaderHash({ batchIndex: 0n, prevBatchHash: ZERO, l2StartBlock: 1n, l2EndBlock: 3n, dataHash: dataHash('a'), producer: ethAddress(c.vals[p]!.pubKey), forcedCursor: 0n, forcedChainHash: ZERO });
  await c.step({ txs: [c.tx(p, batch({ batchIndex: 1n, prevBatchHash: h0, l2Start: 4n, l2End: 6n }))] });
  while (1_700_000_000n + c.height + 1n <= deadline) expect(types(await c.step())).not.toContain('sign_expired');
  const exp = await c.step();
  expect(types(exp).filter((t) => t === 'sign_expired')).toHaveLength(2);
  expect((await c.query('/batch/0')).value.status).toBe('expired');
  expect((await c.query('/batch/1')).value.status).toBe('expired');
  expect((await c.query('/batch/meta')).value).toMatchObject({ nextIndex: '0', nextL2Start: '1', lastHash: `0x${toHex(ZERO)}` });
  expect((await c.query('/sign/pending')).value.requests).toEqual([]);
  const retry = await c.step({ txs: [c.tx(p, batch({ dataHash: dataHash('b') }))] });
  expect(retry.finalized.txResults![1]!.code).toBe(TxCode.OK);
  expect((await c.query('/batch/0')).value.status).toBe('signing');
});

test('onCommit: listeners get each committed height and its event types (the bridge wakes on them); a failing listener does not fail the Commit', async () => {
  const { c, p, other, batch } = await started();
  const seen: [bigint, readonly string[]][] = [];
  c.app.onCommit(() => {
    throw new Error('listener bug');
  });
  const off = c.app.onCommit((h, types) => seen.push([h, types]));
  c.setHead(5n);
  await c.step();
  await c.step({ txs: [c.tx(p, batch())] });
  const req = (await c.query(`/sign/${(await c.query('/batch/0')).value.signRequest}`)).value;
  await c.step({ txs: [c.tx(other, { submitSignature: { requestId: BigInt(req.id), signature: c.sign(hexBytes(req.digest)) } }, 1)] });
  expect(seen.map(([h]) => h)).toEqual([c.height - 2n, c.height - 1n, c.height]);
  expect(seen[1]![1]).toEqual(expect.arrayContaining(['batch_requested', 'request_batch']));
  expect(seen[2]![1]).toEqual(expect.arrayContaining(['sign_completed']));
  // What the node wakes: the batcher on every block, the L1 submitter and relayer on signatures.
  const pokes = { batcher: 0, l1Submitter: 0, relayer: 0 };
  const fake = (k: keyof typeof pokes) => ({ poke: () => void pokes[k]++ });
  const wake = wakeOnCommit({ batcher: fake('batcher'), l1Submitter: fake('l1Submitter'), relayer: fake('relayer'), stop: async () => {} } as unknown as RunningBridge);
  for (const [h, types] of seen) wake(h, types);
  expect(pokes).toEqual({ batcher: 3, l1Submitter: 1, relayer: 1 });
  off();
  await c.step();
  expect(seen).toHaveLength(3);
});

test('failover: a producer with work and no progress for respanTimeoutSeconds is re-spanned and collects a miss', async () => {
  const { c, p } = await started();
  const stalled = c.vals[p]!;
  c.setHead(4n); // applied at height 3 (time +3): the producer has work from then on
  await c.step();
  for (let h = 4n; h <= 11n; h++) expect(types(await c.step())).not.toContain('respan'); // 11 - 3 = 8: not over the timeout
  const r = await c.step(); // height 12: 9 s without progress
  expect(types(r)).toEqual(expect.arrayContaining(['respan', 'sign_requested', 'epoch_current']));
  expect((await c.query(`/validator/${toHex(stalled.address)}`)).value).toMatchObject({ misses: '1', jailed: false });
  expect((await c.query('/epoch/0')).value).toMatchObject({ startL2: '1', endL2: '0' });
  const e1 = (await c.query('/epoch/1')).value;
  expect(e1).toMatchObject({ startL2: '1', endL2: '10', isRespan: true, respanOf: '0', status: 'elected' });
  expect(e1.producer).not.toBe(toHex(stalled.address).toUpperCase());
  expect((await c.query('/epoch/current')).value.id).toBe('1');
  const req = (await c.query(`/sign/${e1.signRequest}`)).value;
  expect(req.purpose).toBe('recommitEpoch');
  // SequencerSet.recommitEpoch(old 0, new 1 = append after the latest, startBlock = attested head + 1).
  const [oldId, newId, start, end, signer] = decodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'address' }], req.payload);
  expect([oldId, newId, start, end, signer.toLowerCase()]).toEqual([0n, 1n, 5n, 10n, e1.signer]);
  expect(e1.buildStart).toBe('5');
  // The replacement has its own full timeout and batches from the first unbatched block, but blocks
  // 1-4 were built by the stalled producer: the replacement builds from 5 and must carry the recommit there.
  expect((await c.query('/batch/meta')).value.lastProgressTime).toBe(String(1_700_000_012));
  expect((await c.query('/producer/4')).value).toMatchObject({ epochId: '0', mustRecommit: false });
  expect((await c.query('/producer/5')).value).toMatchObject({ epochId: '1', mustRecommit: true, signer: e1.signer });
  expect((await c.query('/producer/6')).value).toMatchObject({ epochId: '1', mustRecommit: false });
});

test('failover allows the producer batchMaxAgeSeconds on top of respanTimeoutSeconds: a batch may stay open that long', async () => {
  const { c } = await started({ batchMaxAgeSeconds: '4' });
  c.setHead(4n); // applied at height 3 (time +3)
  await c.step();
  for (let h = 4n; h <= 15n; h++) expect(types(await c.step())).not.toContain('respan'); // 15 - 3 = 12 = 8 + 4: not over
  expect(types(await c.step())).toContain('respan'); // height 16: 13 s without a request
});

test('failover counts only the producer\'s requests: its in-flight batch being signed and finalized after it died does not hold off the re-span', async () => {
  const { c, p, other, batch } = await started();
  c.setHead(5n);
  await c.step();
  await c.step({ txs: [c.tx(p, batch())] }); // batch 0 (L2 1-3): the producer's last act
  const requestedAt = c.height;
  const b0 = (await c.query('/batch/0')).value;
  const req = (await c.query(`/sign/${b0.signRequest}`)).value;
  await c.step();
  await c.step({ txs: [c.tx(other, { submitSignature: { requestId: BigInt(req.id), signature: c.sign(hexBytes(req.digest)) } }, 1)] });
  expect((await c.query('/batch/0')).value.status).toBe('signed');
  const appended: L1BatchAppended = {
    chainId: L1_CHAIN, contract: INBOX, blockHash: dataHash('blk'), blockNumber: 50n, logIndex: 0, txHash: dataHash('tx'),
    batchIndex: 0n, batchHash: hexBytes(b0.hash), l2Start: 1n, l2End: 3n, dataHash: dataHash('a'), producer: hexBytes(b0.producer),
  };
  expect(types(await c.step({ obs: [{ batchAppended: appended }] }))).toContain('batch_finalized');
  let respanAt: bigint | undefined;
  while (respanAt === undefined && c.height < requestedAt + 20n) if (types(await c.step()).includes('respan')) respanAt = c.height;
  // respanTimeoutSeconds 8, one second per block: the first block more than 8 s after the request.
  expect(respanAt).toBe(requestedAt + 9n);
});

test('failover: a producer with a full pipeline (MAX_BATCHES_IN_FLIGHT awaiting L1) is waiting on L1, not stalling', async () => {
  const { c, p, other, batch } = await started();
  c.setHead(10n);
  await c.step();
  await fillPipeline(c, p, other, batch);
  for (let k = 0; k < 20; k++) expect(types(await c.step())).not.toContain('respan');
  // One lands on L1: a slot is free, the clock starts, and without a request the producer stalls.
  const b0 = (await c.query('/batch/0')).value;
  const appended: L1BatchAppended = {
    chainId: L1_CHAIN, contract: INBOX, blockHash: dataHash('blk'), blockNumber: 50n, logIndex: 0, txHash: dataHash('tx'),
    batchIndex: 0n, batchHash: hexBytes(b0.hash), l2Start: 1n, l2End: 1n, dataHash: dataHash('b0'), producer: hexBytes(b0.producer),
  };
  await c.step({ obs: [{ batchAppended: appended }] });
  const freedAt = c.height;
  let respanAt: bigint | undefined;
  while (respanAt === undefined && c.height < freedAt + 20n) if (types(await c.step()).includes('respan')) respanAt = c.height;
  expect(respanAt).toBe(freedAt + 9n);
});

test('failover: a producer whose validator stopped voting is re-spanned even with a full pipeline', async () => {
  const { c, p, other, batch } = await started();
  c.setHead(10n);
  await c.step();
  await fillPipeline(c, p, other, batch);
  // Voting, with a full pipeline: waiting on L1, never a stall.
  for (let k = 0; k < 12; k++) expect(types(await c.step({ absent: [] }))).not.toContain('respan');
  // Its node dies: absent from every commit from now on.
  const goneAt = c.height + 1n;
  let respanAt: bigint | undefined;
  while (respanAt === undefined && c.height < goneAt + 20n) if (types(await c.step({ absent: [p] })).includes('respan')) respanAt = c.height;
  expect(respanAt).toBe(goneAt + 9n); // respanTimeoutSeconds 8, a second per block
  expect((await c.query(`/validator/${toHex(c.vals[p]!.address)}`)).value).toMatchObject({ misses: '1' });
});

test('at maxMisses the producer is jailed (slash request), and leaves the validator set at the epoch boundary', async () => {
  const { c, p } = await started({ maxMisses: 1 });
  const stalled = c.vals[p]!;
  c.setHead(4n);
  await c.step();
  for (let h = 4n; h <= 11n; h++) await c.step();
  const r = await c.step();
  expect(types(r)).toEqual(expect.arrayContaining(['jailed', 'respan', 'epoch_current']));
  expect((await c.query(`/validator/${toHex(stalled.address)}`)).value).toMatchObject({ jailed: true, jailReason: 'missed', misses: '0' });
  const slash = (await c.query('/sign/pending')).value.requests.find((x: { purpose: string }) => x.purpose === 'slash');
  const [id, amount, nonce] = decodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }], slash.payload);
  expect([id, amount, nonce]).toEqual([BigInt(p + 1), 1_000n * TOKEN, 0n]);
  expect(slash.verifier).toBe(`0x${toHex(POOL)}`);
  // The re-span advanced the current epoch: the boundary removes the jailed producer from the set.
  expect(r.finalized.validatorUpdates).toEqual([{ pubKey: { secp256k1: stalled.pubKey }, power: 0n }]);
});

test('ReportSigningCheater: signed evidence of an invalid share jails the signer; a valid share, another request or another sharing is refused', async () => {
  const { c, p, other, batch } = await started();
  c.setHead(5n);
  await c.step();
  await c.step({ txs: [c.tx(p, batch())] });
  const req = (await c.query('/sign/1')).value;
  const digest = hexBytes(req.digest);
  const shares = c.shares!;
  const t = shares[0]!.public.threshold;
  const idOf = (index: number) => IdentityKey.fromSecretKey(c.vals.find((v) => toHex(v.pubKey) === toHex(shares[0]!.public.members.find((m) => m.index === index)!.identity))!.privKey);
  const session = signingSessionId(shares[0]!.public, '1');
  const signers = shares.slice(0, t);
  const rounds = signers.map((s) => commitNonces(s.secret));
  const commitEnvs = signers.map((s, i) => seal(idOf(s.secret.index), { session, nonceCommitment: { signer: s.secret.index, attempt: 0, hiding: rounds[i]!.commitment.hiding, binding: rounds[i]!.commitment.binding } }));
  const evidenceFor = (message: Uint8Array, cheat: boolean, pkgSession = session) => {
    const pkg = seal(idOf(signers[0]!.secret.index), { session: pkgSession, signingPackage: { message, attempt: 0, commitments: commitEnvs.map(decodeEnvelope) } });
    // signShare consumes the nonces: the honest share is made once, for the first (honest) report.
    const value = cheat ? dataHash('bogus') : signShare(signers[1]!.public, signers[1]!.secret, rounds[1]!.nonces, rounds.map((r) => r.commitment), message);
    const packageHash = signingPackageHash(pkgSession, 0, message, rounds.map((r) => r.commitment)); // the package the signer answered
    const share = seal(idOf(signers[1]!.secret.index), { session, signatureShare: { signer: signers[1]!.secret.index, attempt: 0, share: value, packageHash } });
    return { requestId: 1n, signer: signers[1]!.secret.index, attempt: 0, package: pkg, commitment: commitEnvs[1]!, share };
  };
  const honest = await c.app.checkTx({ tx: c.tx(other, { reportCheater: evidenceFor(digest, false) }, 1), type: 0 });
  expect([honest.code, honest.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(/does not prove/)]);
  const elsewhere = await c.app.checkTx({ tx: c.tx(other, { reportCheater: evidenceFor(dataHash('other'), true) }, 1), type: 0 });
  expect([elsewhere.code, elsewhere.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(/not for request 1/)]);
  // A session of another sharing (a coordinator or signer still on the previous key epoch at a
  // reshare or refresh): its shares cannot be judged against the current verifying shares.
  const stale = signingSessionId({ ...shares[0]!.public, epoch: shares[0]!.public.epoch + 1 }, '1');
  const otherSharing = await c.app.checkTx({ tx: c.tx(other, { reportCheater: evidenceFor(digest, true, stale) }, 1), type: 0 });
  expect([otherSharing.code, otherSharing.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(/not a session of the current sharing/)]);
  const r = await c.step({ txs: [c.tx(other, { reportCheater: evidenceFor(digest, true) }, 1)] });
  expect(r.finalized.txResults![1]!.code).toBe(TxCode.OK);
  expect(types(r)).toContain('jailed');
  const cheater = shares[0]!.public.members.find((m) => m.index === signers[1]!.secret.index)!;
  const v = c.vals.find((x) => toHex(x.pubKey) === toHex(cheater.identity))!;
  expect((await c.query(`/validator/${toHex(v.address)}`)).value).toMatchObject({ jailed: true, jailReason: 'signing-cheater' });
  const twice = await c.app.checkTx({ tx: c.tx(other, { reportCheater: evidenceFor(digest, true) }, 1), type: 0 });
  expect([twice.code, twice.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(/already jailed/)]);
});

test('failover with the next epoch elected: replaced while not started (recommit in replace mode), handed the tail when too late for L2', async () => {
  const abi5 = [{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'address' }] as const;
  {
    const { c } = await started({ electionLeadBlocks: '6' }); // epoch 1 elected at head 4
    c.setHead(4n);
    expect(types(await c.step())).toContain('epoch_elected');
    for (let h = 4n; h <= 11n; h++) await c.step();
    const r = await c.step();
    expect(types(r)).toContain('respan');
    const e1 = (await c.query('/epoch/1')).value;
    expect(e1).toMatchObject({ startL2: '1', endL2: '20', isRespan: true, respanOf: '0' });
    expect((await c.query('/epoch/0')).value.endL2).toBe('0');
    const req = (await c.query(`/sign/${e1.signRequest}`)).value;
    expect(req.purpose).toBe('recommitEpoch');
    expect(decodeAbiParameters(abi5, req.payload).slice(0, 4)).toEqual([0n, 1n, 5n, 20n]); // 5 = head 4 + 1, within epoch 0 on L2
    // commitEpoch 1 expired on the way and was re-issued unchanged as request 2; the re-span then
    // superseded it, so when request 2 expires it is not re-issued again.
    const [first, second] = [(await c.query('/sign/1')).value, (await c.query('/sign/2')).value];
    expect([first.status, second.purpose, second.payload]).toEqual(['expired', 'commitEpoch', first.payload]);
    expect(e1.signRequest).toBe('3');
    while (BigInt(second.deadlineTime) >= 1_700_000_000n + c.height) await c.step();
    expect((await c.query('/sign/2')).value.status).toBe('expired');
    expect((await c.query('/sign/pending')).value.requests.map((x: { purpose: string }) => x.purpose)).toEqual(['recommitEpoch']);
  }
  {
    const { c } = await started();
    c.setHead(12n); // epoch 1 elected and current: epoch 0's L2 blocks are all built
    await c.step();
    const before = (await c.query('/epoch/1')).value;
    for (let h = 4n; h <= 11n; h++) await c.step();
    const r = await c.step();
    expect(types(r)).toContain('respan');
    expect(types(r)).not.toContain('sign_requested');
    expect((await c.query('/epoch/1')).value).toMatchObject({ startL2: '1', endL2: '20', buildStart: '11', producer: before.producer, isRespan: false });
    // Epoch 1's producer batches from block 1, but blocks 1-10 stay epoch 0's on L2.
    expect((await c.query('/producer/1')).value.epochId).toBe('0');
    expect((await c.query('/producer/11')).value.epochId).toBe('1');
  }
});
