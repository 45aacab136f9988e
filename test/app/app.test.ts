import { ResponseProcessProposal_ProposalStatus as PS, ResponseVerifyVoteExtension_VerifyStatus as VS } from 'cosmjs-types/tendermint/abci/types';
import { TxCode, QueryCode } from '../../protocol/codes.js';
import { observationDigest } from '../../protocol/observations.js';
import { MemoryPersistence } from '../../app/persistence.js';
import { decodeProof } from '../../app/queries.js';
import { verifyKvProof } from '../../app/merkle.js';
import { signTx } from '../../protocol/tx.js';
import { buildVoteExtension, encodeInjected } from '../../app/vote-extensions.js';
import { DEFAULT_PARAMS } from '../../app/params.js';
import { VoteExtensionCodec, type Observation } from '../../proto/seqpool.js';
import { toHex, utf8 } from '../../common/bytes.js';
import { CHAIN_ID, extendedCommit, finalizeRequest, initChainRequest, makeValidators, MemoryObservationSource, openApp, runBlock } from './harness.js';
import { bindPeerMsg } from './peer-helper.js';

const vals = makeValidators(4);
const obs = (topic: string, payload = 'x'): Observation => ({ synthetic: { topic, payload: utf8(payload) } });
const ext = (...o: Observation[]) => buildVoteExtension(o, DEFAULT_PARAMS, () => false);
const bind = (i: number, nonce: bigint, peer = `A${i}`) =>
  signTx(vals[i]!.privKey, { chainId: CHAIN_ID, signer: vals[i]!.pubKey, nonce, bindPeer: bindPeerMsg(vals[i]!.address, peer, [`/ip4/127.0.0.1/tcp/${4000 + i}`]) });
const decodeJson = (v: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(v));

async function started() {
  const persistence = new MemoryPersistence();
  const app = await openApp({ persistence });
  await app.initChain(initChainRequest(vals));
  await runBlock(app, vals, 1n, [], []);
  await runBlock(app, vals, 2n, [], []);
  return { app, persistence };
}

describe('SeqpoolApp', () => {
  test('Info reports nothing before genesis, then the last committed height and app hash', async () => {
    const app = await openApp();
    expect((await app.info({ version: '', blockVersion: 0n, p2pVersion: 0n, abciVersion: '' })).lastBlockHeight).toBe(0n);
    await app.initChain(initChainRequest(vals));
    const { finalized } = await runBlock(app, vals, 1n, [], []);
    const info = await app.info({ version: '', blockVersion: 0n, p2pVersion: 0n, abciVersion: '' });
    expect(info.lastBlockHeight).toBe(1n);
    expect(info.lastBlockAppHash).toEqual(finalized.appHash);
  });

  test('InitChain refuses app_state that disagrees with genesis validators', async () => {
    const app = await openApp();
    const req = initChainRequest(vals);
    req.validators = req.validators.slice(1);
    await expect(app.initChain(req)).rejects.toThrow(/differ/);
    const bad = initChainRequest(vals);
    bad.appStateBytes = utf8('{"sequencers": []}');
    await expect(app.initChain(bad)).rejects.toThrow(/at least one sequencer/);
  });

  test('an observation attested by more than 2/3 of power is applied once; half of the power is not enough', async () => {
    const { app } = await started();
    const a = obs('alpha');
    const b = obs('beta');
    // height 2's extensions: alpha by 3 of 4 (30/40 > 2/3), beta by 2 of 4 (not enough).
    const exts = [ext(a, b), ext(a, b), ext(a), ext()];
    const { processed, finalized } = await runBlock(app, vals, 3n, [], exts);
    expect(processed.status).toBe(PS.ACCEPT);
    expect(finalized.events?.map((e) => e!.type)).toEqual(['observation_applied']);
    const q = await app.query({ path: `/observation/${toHex(observationDigest(a))}`, data: new Uint8Array(), height: 0n, prove: false });
    expect(q.code).toBe(QueryCode.OK);
    expect(decodeJson(q.value as Uint8Array)).toMatchObject({ power: '30', totalPower: '40', height: '3' });
    const qb = await app.query({ path: `/observation/${toHex(observationDigest(b))}`, data: new Uint8Array(), height: 0n, prove: false });
    expect(qb.code).toBe(QueryCode.NOT_FOUND);
    // Attested again later: not re-applied.
    const again = await runBlock(app, vals, 4n, [], [ext(a), ext(a), ext(a), ext(a)]);
    expect(again.finalized.events).toEqual([]);
  });

  test('ExtendVote offers pending observations not yet applied; VerifyVoteExtension rejects garbage and oversize', async () => {
    const source = new MemoryObservationSource();
    const app = await openApp({ source });
    await app.initChain(initChainRequest(vals));
    await runBlock(app, vals, 1n, [], []);
    source.add(obs('gamma'));
    const mine = (await app.extendVote({ hash: new Uint8Array(32), height: 2n, time: undefined as never, txs: [], proposedLastCommit: undefined as never, misbehavior: [], nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array() })).voteExtension as Uint8Array;
    expect(VoteExtensionCodec.decode(mine).observations).toHaveLength(1);
    const verify = (voteExtension: Uint8Array) => app.verifyVoteExtension({ hash: new Uint8Array(32), validatorAddress: vals[1]!.address, height: 2n, voteExtension });
    expect((await verify(mine)).status).toBe(VS.ACCEPT);
    expect((await verify(Uint8Array.of(0xff, 0xff, 0xff))).status).toBe(VS.REJECT);
    expect((await verify(new Uint8Array(DEFAULT_PARAMS.maxVoteExtensionBytes + 1))).status).toBe(VS.REJECT);
    const twice = VoteExtensionCodec.encode({ observations: [obs('gamma'), obs('gamma')] });
    expect((await verify(twice)).status).toBe(VS.REJECT);
    expect((await verify(VoteExtensionCodec.encode({ observations: [{}] }))).status).toBe(VS.REJECT);
  });

  test('ProcessProposal rejects a tampered extended commit: bad signature, missing votes, forged power', async () => {
    const { app } = await started();
    const exts = [ext(obs('x')), ext(), ext(), ext()];
    const good = extendedCommit(vals, 2n, exts);
    const propose = (txs: Uint8Array[]) => app.processProposal({ ...finalizeRequest(3n, txs, vals[0]!), proposedLastCommit: { round: 0, votes: [] } });
    expect((await propose([encodeInjected(good)])).status).toBe(PS.ACCEPT);
    const badSig = extendedCommit(vals, 2n, exts);
    badSig.votes[1]!.voteExtension = ext(obs('forged'));
    expect((await propose([encodeInjected(badSig)])).status).toBe(PS.REJECT);
    const dropped = extendedCommit(vals, 2n, [exts[0], undefined, undefined, exts[3]]);
    expect((await propose([encodeInjected(dropped)])).status).toBe(PS.REJECT); // 20 of 40 power
    const forged = extendedCommit(vals, 2n, exts);
    forged.votes[0]!.validator!.power = 1000n;
    expect((await propose([encodeInjected(forged)])).status).toBe(PS.REJECT);
    expect((await propose([])).status).toBe(PS.REJECT); // extensions missing
    // Validly signed garbage (a late precommit CometBFT never passed to VerifyVoteExtension): the
    // proposal stands, the garbage attests nothing.
    const junk = extendedCommit(vals, 2n, [ext(obs('x')), ext(obs('x')), ext(obs('x')), Uint8Array.of(0xff, 0xff)]);
    expect((await propose([encodeInjected(junk)])).status).toBe(PS.ACCEPT);
    const fin = await app.finalizeBlock(finalizeRequest(3n, [encodeInjected(junk)], vals[0]!));
    expect(fin.events).toHaveLength(1); // 'x' by 30 of 40
    const q = await app.query({ path: `/observation/${toHex(observationDigest(obs('x')))}`, data: new Uint8Array(), height: 0n, prove: false });
    expect(q.code).toBe(QueryCode.NOT_FOUND); // not committed yet: queries read committed state
    await app.commit({});
    const q2 = await app.query({ path: `/observation/${toHex(observationDigest(obs('x')))}`, data: new Uint8Array(), height: 0n, prove: false });
    expect(decodeJson(q2.value as Uint8Array)).toMatchObject({ power: '30', totalPower: '40' });
    expect((await propose([encodeInjected(good), encodeInjected(good)])).status).toBe(PS.REJECT);
    expect((await propose([Uint8Array.of(0, 0x73, 0x71, 0x76, 0x65, 1, 2)])).status).toBe(PS.REJECT);
  });

  test('transactions: a bound peer is visible in queries; replay, bad signature, unknown signer and garbage get distinct codes', async () => {
    const { app } = await started();
    const tx1 = bind(1, 1n);
    expect((await app.checkTx({ tx: tx1, type: 0 })).code).toBe(TxCode.OK);
    expect((await app.checkTx({ tx: tx1, type: 0 })).code).toBe(TxCode.BAD_NONCE); // mempool replay
    const { finalized } = await runBlock(app, vals, 3n, [tx1, tx1], [ext(), ext(), ext(), ext()]);
    expect(finalized.txResults!.map((r) => r!.code)).toEqual([TxCode.OK, TxCode.OK, TxCode.BAD_NONCE]);
    expect((await app.checkTx({ tx: tx1, type: 0 })).code).toBe(TxCode.BAD_NONCE); // replay after commit
    const q = await app.query({ path: `/validator/${toHex(vals[1]!.address)}`, data: new Uint8Array(), height: 0n, prove: false });
    expect(decodeJson(q.value as Uint8Array).peer.addrs).toEqual(['/ip4/127.0.0.1/tcp/4001']);

    const tampered = bind(2, 1n);
    tampered[tampered.length - 1]! ^= 1;
    expect((await app.checkTx({ tx: tampered, type: 0 })).code).toBe(TxCode.BAD_SIGNATURE);
    expect((await app.checkTx({ tx: utf8('garbage'), type: 0 })).code).toBe(TxCode.MALFORMED);
    const stranger = makeValidators(6)[5]!;
    const foreign = signTx(stranger.privKey, { chainId: CHAIN_ID, signer: stranger.pubKey, nonce: 1n, bindPeer: bindPeerMsg(stranger.address, 'B', ['/ip4/1.2.3.4/tcp/1']) });
    expect((await app.checkTx({ tx: foreign, type: 0 })).code).toBe(TxCode.UNKNOWN_SIGNER);
    const wrongChain = signTx(vals[2]!.privKey, { chainId: 'other', signer: vals[2]!.pubKey, nonce: 1n, bindPeer: bindPeerMsg(vals[2]!.address, 'C', ['/ip4/1.2.3.4/tcp/1'], 'other') });
    expect((await app.checkTx({ tx: wrongChain, type: 0 })).code).toBe(TxCode.WRONG_CHAIN);
    const empty = signTx(vals[2]!.privKey, { chainId: CHAIN_ID, signer: vals[2]!.pubKey, nonce: 1n });
    expect((await app.checkTx({ tx: empty, type: 0 })).code).toBe(TxCode.UNKNOWN_MESSAGE);
    const stolen = bind(2, 1n, 'A1'); // vals[1]'s peer id (its key, a valid proof for vals[2]: a shared key is refused)
    expect((await app.checkTx({ tx: stolen, type: 0 })).code).toBe(TxCode.INVALID_MESSAGE);
    const badAddr = signTx(vals[2]!.privKey, { chainId: CHAIN_ID, signer: vals[2]!.pubKey, nonce: 1n, bindPeer: bindPeerMsg(vals[2]!.address, 'D', ['not-a-multiaddr']) });
    expect((await app.checkTx({ tx: badAddr, type: 0 })).code).toBe(TxCode.INVALID_MESSAGE);
    expect((await app.checkTx({ tx: new Uint8Array(DEFAULT_PARAMS.maxTxBytes + 1), type: 0 })).code).toBe(TxCode.TOO_LARGE);
    expect((await app.checkTx({ tx: Uint8Array.of(0, 0x73, 0x71, 0x76, 0x65), type: 0 })).code).toBe(TxCode.RESERVED);
  });

  test('queries: proofs verify against the app hash; unknown paths, bad data and old heights get codes', async () => {
    const { app } = await started();
    await runBlock(app, vals, 3n, [bind(0, 1n)], [ext(), ext(), ext(), ext()]);
    const key = `/validator/${toHex(vals[0]!.address)}`;
    const q = await app.query({ path: key, data: new Uint8Array(), height: 0n, prove: true });
    expect(q.code).toBe(QueryCode.OK);
    const op = q.proofOps!.ops![0]!;
    expect(verifyKvProof(app.appHash, op.key as Uint8Array, q.value as Uint8Array, decodeProof(op.data as Uint8Array))).toBe(true);
    const tampered = Uint8Array.from(q.value as Uint8Array);
    tampered[0]! ^= 1;
    expect(verifyKvProof(app.appHash, op.key as Uint8Array, tampered, decodeProof(op.data as Uint8Array))).toBe(false);
    const params = await app.query({ path: '/params', data: new Uint8Array(), height: 0n, prove: true });
    const pop = params.proofOps!.ops![0]!;
    expect(verifyKvProof(app.appHash, pop.key as Uint8Array, params.value as Uint8Array, decodeProof(pop.data as Uint8Array))).toBe(true);
    const status = decodeJson((await app.query({ path: '/status', data: new Uint8Array(), height: 0n, prove: false })).value as Uint8Array);
    expect(status).toMatchObject({ chainId: CHAIN_ID, height: '3', validators: 4, totalPower: '40', appHash: toHex(app.appHash).toUpperCase() });
    expect(decodeJson((await app.query({ path: '/validators', data: new Uint8Array(), height: 0n, prove: false })).value as Uint8Array)).toHaveLength(4);
    expect((await app.query({ path: '/nope', data: new Uint8Array(), height: 0n, prove: false })).code).toBe(QueryCode.UNKNOWN_PATH);
    expect((await app.query({ path: '/validator/zz', data: new Uint8Array(), height: 0n, prove: false })).code).toBe(QueryCode.BAD_REQUEST);
    expect((await app.query({ path: `/validator/${'00'.repeat(20)}`, data: new Uint8Array(), height: 0n, prove: false })).code).toBe(QueryCode.NOT_FOUND);
    expect((await app.query({ path: '/status', data: new Uint8Array(), height: 1n, prove: false })).code).toBe(QueryCode.HEIGHT_UNAVAILABLE);
  });
});
