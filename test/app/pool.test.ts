// Issue 5 app core: tx lanes, the attested L2 head, epochs and election (docs/pool.md).
import { decodeAbiParameters } from 'viem';
import { TxCode, QueryCode } from '../../protocol/codes.js';
import { electProducer, genesisProducer } from '../../app/election.js';
import { attestedL2Head } from '../../app/attested-l2-head.js';
import { verifyKvProof } from '../../app/merkle.js';
import { decodeProof } from '../../app/queries.js';
import { toHex, utf8 } from '../../common/bytes.js';
import { l1Digest } from '../../mpc/l1.js';
import { SeqpoolApp } from '../../app/app.js';
import { MemoryPersistence } from '../../app/persistence.js';
import { VoteExtensionCodec, type Sequencer } from '../../proto/seqpool.js';
import { CHAIN_ID, initChainRequest, makeValidators } from './harness.js';
import { hexBytes, indexOf, L2_CHAIN, poolChain, SEQSET } from './pool-harness.js';
import { bindPeerMsg } from './peer-helper.js';

// poolChain's validators are makeValidators(4): the same keys, so the proofs are made for them.
const bind = (i: number, tag: string) => ({ bindPeer: bindPeerMsg(makeValidators(4)[i]!.address, `${tag}${i}`, [`/ip4/127.0.0.1/tcp/${4000 + i}`]) });

describe('tx lanes', () => {
  test('the node (lane 0) and the sidecar (lane 1) have separate nonces; the mempool tracks (signer, lane); lane 2 is malformed', async () => {
    const c = await poolChain();
    await c.step();
    const node1 = c.tx(1, bind(1, 'a'), 0);
    const side1 = c.tx(1, bind(1, 'b'), 1);
    expect((await c.app.checkTx({ tx: node1, type: 0 })).code).toBe(TxCode.OK);
    expect((await c.app.checkTx({ tx: side1, type: 0 })).code).toBe(TxCode.OK); // same nonce 1, other lane
    expect((await c.app.checkTx({ tx: c.tx(1, bind(1, 'c'), 1), type: 0 })).code).toBe(TxCode.BAD_NONCE); // lane 1 nonce 1 is taken in the mempool
    expect((await c.app.checkTx({ tx: c.tx(1, bind(1, 'c'), 1, 1n), type: 0 })).code).toBe(TxCode.OK);
    const bad = await c.app.checkTx({ tx: c.tx(1, bind(1, 'd'), 2), type: 0 });
    expect(bad.code).toBe(TxCode.MALFORMED);
    expect(bad.log).toMatch(/lane 2 does not exist/);
    const { finalized } = await c.step({ txs: [node1, side1, c.tx(1, bind(1, 'e'), 1)] });
    expect(finalized.txResults!.map((r) => r!.code)).toEqual([TxCode.OK, TxCode.OK, TxCode.BAD_NONCE]);
    const q = await c.query(`/validator/${toHex(c.vals[1]!.address)}`);
    expect(q.value).toMatchObject({ nonce: '1', sidecarNonce: '1', misses: '0', jailed: false, jailReason: null });
    expect((await c.app.checkTx({ tx: c.tx(1, bind(1, 'f'), 1), type: 0 })).code).toBe(TxCode.OK); // next is 2
  });
});

describe('attested L2 head', () => {
  test('the largest height that more than 2/3 of power reports at or above', () => {
    const r = (power: bigint, head: bigint) => ({ power, head });
    expect(attestedL2Head([r(10n, 100n), r(10n, 100n), r(10n, 100n), r(10n, 10n ** 18n)], 40n)).toBe(100n);
    expect(attestedL2Head([r(10n, 100n), r(10n, 90n), r(10n, 80n), r(10n, 70n)], 40n)).toBe(80n);
    expect(attestedL2Head([r(10n, 100n), r(10n, 100n)], 40n)).toBe(0n); // half the power is not enough
    expect(attestedL2Head([r(70n, 5n), r(10n, 9n), r(10n, 9n), r(10n, 9n)], 100n)).toBe(5n); // power, not heads
    expect(attestedL2Head([], 40n)).toBe(0n);
  });

  test('in FinalizeBlock: a byzantine validator reporting a huge head does not move it; it never decreases', async () => {
    const c = await poolChain({ params: { epochLength: '1000000' } });
    await c.step();
    await c.step();
    c.heads = [50n, 50n, 50n, 2n ** 63n];
    await c.step();
    expect((await c.query('/epoch/current')).value).toMatchObject({ l2Head: '50', l2HeadTime: String(1_700_000_003) });
    c.heads = [2n ** 63n, 2n ** 63n, 60n, 60n]; // only half the power above 60
    await c.step();
    expect((await c.query('/epoch/current')).value.l2Head).toBe('60');
    c.heads = [10n, 10n, 10n, 10n];
    await c.step();
    expect((await c.query('/epoch/current')).value).toMatchObject({ l2Head: '60', l2HeadTime: String(1_700_000_004) });
  });

  test('ExtendVote carries the head from the l2Head option', async () => {
    const app = await SeqpoolApp.open({ persistence: new MemoryPersistence(), l2Head: () => 1234n });
    await app.initChain(initChainRequest(makeValidators(4)));
    const ext = (await app.extendVote({ hash: new Uint8Array(32), height: 1n, time: undefined as never, txs: [], proposedLastCommit: undefined as never, misbehavior: [], nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array() })).voteExtension as Uint8Array;
    expect(VoteExtensionCodec.decode(ext).l2Head).toBe(1234n);
  });
});

describe('election', () => {
  const cand = (n: number, power: bigint): Sequencer => ({ address: Uint8Array.of(n), pubKey: new Uint8Array(33), power, nonce: 0n });

  test('deterministic, stake-weighted, and defined for an empty set', () => {
    const cands = [cand(1, 1n), cand(2, 3n)];
    const seed = (i: number) => utf8(`seed-${i}`).slice();
    expect(electProducer(cands, seed(1))).toBe(electProducer(cands, seed(1)));
    let heavy = 0;
    for (let i = 0; i < 2000; i++) if (electProducer(cands, seed(i))!.power === 3n) heavy++;
    expect(heavy / 2000).toBeGreaterThan(0.7);
    expect(heavy / 2000).toBeLessThan(0.8);
    expect(electProducer([], seed(1))).toBeUndefined();
    expect(electProducer([cand(1, 0n)], seed(1))).toBeUndefined();
    expect(electProducer([cand(7, 5n)], seed(1))!.address).toEqual(Uint8Array.of(7));
  });

  test('epoch 0 is the genesisProducer; E+1 is elected at the lead with a commitEpoch request; current advances past the end', async () => {
    const c = await poolChain();
    const g = genesisProducer(c.appState, CHAIN_ID);
    await c.step();
    await c.step();
    const e0 = (await c.query('/epoch/0')).value;
    expect(e0).toMatchObject({ id: '0', startL2: '1', endL2: '10', producer: g.address, signer: g.signer, status: 'committed', signRequest: '0', isRespan: false });
    expect(indexOf(c.vals, g.address)).toBeGreaterThanOrEqual(0);
    // /mpc/* is answered by app/mpc-sessions.ts through the app's query router.
    const key = await c.query('/mpc/key');
    expect([key.code, key.value?.keyId]).toEqual([QueryCode.OK, 'seqpool']);
    expect((await c.query('/mpc/nope')).code).not.toBe(QueryCode.OK);
    c.setHead(6n); // 10 - lead 3 = 7: not yet
    expect((await c.step()).finalized.events!.map((e) => e!.type)).not.toContain('epoch_elected');
    c.setHead(7n);
    const { finalized } = await c.step();
    const types = finalized.events!.map((e) => e!.type);
    expect(types).toEqual(expect.arrayContaining(['epoch_elected', 'sign_requested']));
    expect(types).not.toContain('epoch_current');
    const e1 = (await c.query('/epoch/1')).value;
    expect(e1).toMatchObject({ id: '1', startL2: '11', endL2: '20', status: 'elected', signRequest: '1' });
    const req = (await c.query('/sign/1')).value;
    expect(req).toMatchObject({ purpose: 'commitEpoch', chainId: L2_CHAIN.toString(), verifier: `0x${toHex(SEQSET)}`, status: 'pending', epochId: '1', signature: null });
    const [id, start, end, signer] = decodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'address' }], req.payload);
    expect([id, start, end, signer.toLowerCase()]).toEqual([1n, 11n, 20n, e1.signer]);
    expect(req.digest).toBe(`0x${toHex(l1Digest({ chainId: L2_CHAIN, verifier: SEQSET, purpose: 'commitEpoch', payload: hexBytes(req.payload) }))}`);
    expect((await c.query('/sign/pending')).value.requests.map((r: { id: string }) => r.id)).toEqual(['1']);
    expect((await c.query('/producer/11')).value).toEqual({ l2Height: '11', epochId: '1', producer: e1.producer, signer: e1.signer, mustRecommit: false });
    expect((await c.query('/producer/21')).code).toBe(QueryCode.NOT_FOUND);
    // No validator update before the boundary; the boundary itself changes nothing here (same committee).
    c.setHead(11n);
    const adv = await c.step();
    expect(adv.finalized.events!.map((e) => e!.type)).toContain('epoch_current');
    expect((await c.query('/epoch/current')).value).toMatchObject({ id: '1', l2Head: '11' });
    // The signature completes commitEpoch.
    const signed = await c.step({ txs: [c.tx(0, { submitSignature: { requestId: 1n, signature: c.sign(hexBytes(req.digest)) } }, 1)] });
    expect(signed.finalized.txResults!.map((r) => r!.code)).toEqual([TxCode.OK, TxCode.OK]);
    expect((await c.query('/epoch/1')).value.status).toBe('committed');
    expect((await c.query('/sign/1')).value).toMatchObject({ status: 'signed', signedHeight: String(c.height) });
    // Proofs for single records.
    const q = await c.app.query({ path: '/epoch/1', data: new Uint8Array(), height: 0n, prove: true });
    const op = q.proofOps!.ops![0]!;
    expect(verifyKvProof(c.app.appHash, op.key as Uint8Array, q.value as Uint8Array, decodeProof(op.data as Uint8Array))).toBe(true);
  });

  test('without l1/l2 config epochs and election still work, with no sign requests', async () => {
    const c = await poolChain({ l1: false, withKey: false });
    await c.step();
    await c.step();
    c.setHead(11n);
    await c.step();
    expect((await c.query('/epoch/current')).value).toMatchObject({ id: '1', signRequest: '0' });
    expect((await c.query('/sign/pending')).value).toEqual({ requests: [] });
  });

  test('when every sequencer is jailed the previous producer continues (no throw)', async () => {
    const c = await poolChain({ l1: false });
    await c.step();
    await c.step();
    for (const v of c.vals) c.app.state.setSequencer({ ...c.app.state.sequencer(v.address)!, jailed: true, jailReason: 'test' });
    c.setHead(8n);
    await c.step();
    const e0 = (await c.query('/epoch/0')).value;
    expect((await c.query('/epoch/1')).value).toMatchObject({ producer: e0.producer, signer: e0.signer });
  });
});
