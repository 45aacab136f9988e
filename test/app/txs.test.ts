// Who may sign what (app/txs.ts checkTx): active sequencers act for the pool; an unlocking or exited
// one still holds a share of the current key until the reshare that removes it completes, so its MPC
// messages, signatures and cheater reports still go through, and nothing else does.
import { randomBytes } from 'node:crypto';
import { pubKeyToAddress, publicKeyOf, verify } from '../../common/secp.js';
import { DEFAULT_PARAMS } from '../../app/params.js';
import { checkTx, decodeTx, laneNonce, signTx, type TxView } from '../../app/txs.js';
import { TxCode } from '../../app/codes.js';
import { SequencerStatus, type Sequencer, type TxBody } from '../../proto/seqpool.js';

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
    decoded: (raw, decode) => decode(),
    verify,
  };
}

const body = (msg: Partial<TxBody>): TxBody => ({ chainId: 'test-chain', signer: pubKey, nonce: 1n, lane: 1, ...msg });
const messages: Record<string, Partial<TxBody>> = {
  mpcPublic: { mpcPublic: { session: new Uint8Array(32), envelope: new Uint8Array(8) } },
  submitSignature: { submitSignature: { requestId: 1n, signature: new Uint8Array(64) } },
  reportCheater: { reportCheater: { requestId: 1n, signer: 1, attempt: 0, package: new Uint8Array(1), commitment: new Uint8Array(1), share: new Uint8Array(1) } },
  requestBatch: { lane: 0, requestBatch: { batchIndex: 0n, prevBatchHash: new Uint8Array(32), l2Start: 1n, l2End: 2n, dataHash: new Uint8Array(32) } },
  bindPeer: { bindPeer: { peerId: '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN', addrs: ['/ip4/127.0.0.1/tcp/1'] } },
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
  expect('code' in decodeTx(raw, DEFAULT_PARAMS.maxTxBytes) ? 'failed' : 'decoded').toBe('decoded');
});
