// Who may sign what (app/txs.ts checkTx): active sequencers act for the pool; an unlocking or exited
// one still holds a share of the current key until the reshare that removes it completes, so its MPC
// messages, signatures and cheater reports still go through, and nothing else does.
import { opaqueBatchData } from '../batch-fixture.js';
import { randomBytes } from 'node:crypto';
import { pubKeyToAddress, publicKeyOf, verify } from '../../common/secp.js';
import { DEFAULT_PARAMS } from '../../app/params.js';
import { checkTx, decodeTx, laneNonce, type TxView } from '../../app/txs.js';
import { signTx } from '../../protocol/tx.js';
import { TxCode } from '../../protocol/codes.js';
import { SequencerStatus, type Sequencer, type TxBody } from '../../proto/seqpool.js';
import { ed25519Peer } from '../../protocol/peer-proof.js';

const priv = randomBytes(32);
const pubKey = publicKeyOf(priv);
const address = pubKeyToAddress(pubKey);

function viewWith(status: SequencerStatus | undefined): TxView {
  const record: Sequencer = { address, pubKey, power: status === SequencerStatus.ACTIVE ? 10n : 0n, nonce: 0n, status };
  return {
    chainId: 'test-chain',
    params: DEFAULT_PARAMS,
    sequencer: (a) => (Buffer.from(a).equals(Buffer.from(address)) ? record : undefined),
    expectedNonce: (s, lane) => laneNonce(s, lane) + 1n,
    messageProblem: () => undefined, // the message itself is judged elsewhere (pool.ts)
    peerOwner: () => undefined,
    parties: 4,
    verify,
  };
}

/** A BindPeer of the Ed25519 peer key `peerSecret`, its proof made for validator `to` on `chainId`. */
function bindMsg(peerSecret: Uint8Array, to: Uint8Array, chainId = 'test-chain') {
  const peer = ed25519Peer(peerSecret);
  return { peerId: peer.peerId, addrs: ['/ip4/127.0.0.1/tcp/1'], peerProof: peer.prove(chainId, to) };
}
const body = (msg: Partial<TxBody>): TxBody => ({ chainId: 'test-chain', signer: pubKey, nonce: 1n, lane: 1, ...msg });
const messages: Record<string, Partial<TxBody>> = {
  mpcPublic: { mpcPublic: { session: new Uint8Array(32), envelope: new Uint8Array(8) } },
  submitSignature: { submitSignature: { requestId: 1n, signature: new Uint8Array(64) } },
  reportCheater: { reportCheater: { requestId: 1n, signer: 1, attempt: 0, package: new Uint8Array(1), commitment: new Uint8Array(1), share: new Uint8Array(1) } },
  requestBatch: { lane: 0, requestBatch: { batchIndex: 0n, prevBatchHash: new Uint8Array(32), l2Start: 1n, l2End: 2n, ...opaqueBatchData('txs') } },
  bindPeer: { bindPeer: bindMsg(randomBytes(32), address) },
};
const check = (status: SequencerStatus | undefined, name: string) => checkTx(signTx(priv, body(messages[name]!)), viewWith(status));

test('an active sequencer (and a record from before statuses existed) may send every message', () => {
  for (const status of [SequencerStatus.ACTIVE, undefined])
    for (const name of Object.keys(messages)) expect({ name, code: check(status, name).code }).toEqual({ name, code: TxCode.OK });
});

test.each([
  ['unlocking', SequencerStatus.UNLOCKING, 'is unlocking'],
  ['exited', SequencerStatus.EXITED, 'has exited'],
])('an %s sequencer keeps its key-holder duties and nothing else', (_label, status, what) => {
  for (const name of ['mpcPublic', 'submitSignature', 'reportCheater']) expect({ name, code: check(status, name).code }).toEqual({ name, code: TxCode.OK });
  for (const name of ['requestBatch', 'bindPeer']) {
    const r = check(status, name);
    expect(r.code).toBe(TxCode.UNKNOWN_SIGNER);
    expect('log' in r && r.log).toContain(what);
  }
});

test('an unknown signer is refused whatever it sends', () => {
  const other = randomBytes(32);
  const raw = signTx(other, { ...body(messages.mpcPublic!), signer: publicKeyOf(other) });
  const r = checkTx(raw, viewWith(SequencerStatus.ACTIVE));
  expect(r.code).toBe(TxCode.UNKNOWN_SIGNER);
  expect('log' in r && r.log).toContain('is not a sequencer of this pool');
  expect('code' in decodeTx(raw, DEFAULT_PARAMS, 4) ? 'failed' : 'decoded').toBe('decoded');
});

describe('BindPeer proves possession of the peer key (decision 29)', () => {
  const victim = pubKeyToAddress(publicKeyOf(randomBytes(32)));
  const victimPeer = randomBytes(32);
  const bindCheck = (msg: TxBody['bindPeer'], owner?: Uint8Array) =>
    checkTx(signTx(priv, body({ bindPeer: msg })), { ...viewWith(SequencerStatus.ACTIVE), peerOwner: (p) => (owner && p === ed25519Peer(victimPeer).peerId ? Buffer.from(owner).toString('hex') : undefined) });
  const refused = (r: ReturnType<typeof checkTx>, why: string) => {
    expect(r.code).toBe(TxCode.INVALID_MESSAGE);
    expect('log' in r && r.log).toContain(why);
  };

  test("a byzantine validator cannot bind a victim's (not yet bound) peer id without its key", () => {
    const { peerId } = ed25519Peer(victimPeer);
    refused(bindCheck({ peerId, addrs: ['/ip4/6.6.6.6/tcp/1'], peerProof: new Uint8Array(0) }), 'peer_proof must be a 64-byte');
    refused(bindCheck({ peerId, addrs: ['/ip4/6.6.6.6/tcp/1'], peerProof: randomBytes(64) }), 'peer_proof does not verify');
    // Its own key's signature under the victim's id does not verify either.
    refused(bindCheck({ ...bindMsg(randomBytes(32), address), peerId }), 'peer_proof does not verify');
  });

  test("the victim's own proof (public once on chain) cannot be replayed for another validator or on another chain", () => {
    refused(bindCheck(bindMsg(victimPeer, victim)), 'peer_proof does not verify');
    refused(bindCheck(bindMsg(victimPeer, address, 'other-chain')), 'peer_proof does not verify');
    expect(bindCheck(bindMsg(victimPeer, address)).code).toBe(TxCode.OK); // made for us, here: it holds
  });

  test('a peer id bound to another validator stays its own, even with a valid proof (a shared peer key is refused)', () => {
    refused(bindCheck(bindMsg(victimPeer, address), victim), `already bound to sequencer ${Buffer.from(victim).toString('hex').toUpperCase()}`);
    expect(bindCheck(bindMsg(victimPeer, address), address).code).toBe(TxCode.OK); // our own binding: re-binding (new addrs) is fine
  });

  test('peer ids whose key cannot be read from the id (RSA Qm…, secp256k1 16Uiu2…) are refused', () => {
    for (const peerId of ['QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', '16Uiu2HAkvdVwZJ9YfaoiK53JEDJTpEvXJQZBEXmY4W9WbSrPjqmK'])
      refused(bindCheck({ peerId, addrs: ['/ip4/1.2.3.4/tcp/1'], peerProof: randomBytes(64) }), 'is not an Ed25519 libp2p peer id');
  });
});
