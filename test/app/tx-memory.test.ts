// CheckTx cannot be made to hold memory by strangers (decision 27): nothing is cached before the
// signer is known and its signature verified, the memo of verified txs is bounded in bytes, and a tx
// larger than any valid tx of its kind is refused before its body is decoded.
import { randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { DEFAULT_PARAMS } from '../../app/params.js';
import { TxCode } from '../../protocol/codes.js';
import { maxTxBytesOf, shallowTx } from '../../app/tx-limits.js';
import { VerifiedTxMemo } from '../../app/tx-memo.js';
import { checkTx, laneNonce, type TxView } from '../../app/txs.js';
import { signTx } from '../../protocol/tx.js';
import { pubKeyToAddress, publicKeyOf, verify } from '../../common/secp.js';
import { seal } from '../../mpc/envelope.js';
import { IdentityKey } from '../../mpc/identity.js';
import { encodeEnvelope, decodeEnvelope } from '../../proto/mpc.js';
import { TxBodyCodec, TxCodec, type Sequencer, type TxBody } from '../../proto/seqpool.js';

const priv = randomBytes(32);
const pubKey = publicKeyOf(priv);
const address = pubKeyToAddress(pubKey);
const record: Sequencer = { address, pubKey, power: 10n, nonce: 0n };

function view(memo: VerifiedTxMemo, parties = 4): TxView & { verifications: number } {
  const v = {
    verifications: 0,
    chainId: 'test-chain',
    params: DEFAULT_PARAMS,
    sequencer: (a: Uint8Array) => (Buffer.from(a).equals(Buffer.from(address)) ? record : undefined),
    expectedNonce: (s: Sequencer, lane: number) => laneNonce(s, lane) + 1n,
    messageProblem: () => undefined,
    peerOwner: () => undefined,
    parties,
    memo,
    verify: (p: Uint8Array, m: Uint8Array, s: Uint8Array) => {
      v.verifications++;
      return verify(p, m, s);
    },
  };
  return v;
}

/** A well-formed MpcPublic tx from a random (unknown) key, padded to `size` bytes. */
function strangersTx(size: number): Uint8Array {
  const key = randomBytes(32);
  const body = (pad: number): TxBody => ({ chainId: 'test-chain', signer: publicKeyOf(key), nonce: 1n, lane: 1, mpcPublic: { session: randomBytes(32), envelope: randomBytes(pad) } });
  const base = signTx(key, body(0)).length;
  let tx = signTx(key, body(size - base));
  while (tx.length > size) tx = signTx(key, body(size - base - (tx.length - size)));
  return tx;
}

test('junk from strangers at the largest size its kind allows is refused and cached nowhere', () => {
  const memo = new VerifiedTxMemo();
  const v = view(memo, 64);
  const size = maxTxBytesOf('mpcPublic', 64, DEFAULT_PARAMS.maxBatchBytes);
  for (let i = 0; i < 2_000; i++) {
    const tx = strangersTx(size - (i % 7));
    expect(checkTx(tx, v).code).toBe(TxCode.UNKNOWN_SIGNER);
  }
  expect(memo.size).toBe(0);
  expect(memo.bytes).toBe(0);
  expect(v.verifications).toBe(0); // refused before its signature is even checked
});

test("the memo of a sequencer's verified txs stays within its byte bound, oldest out first", () => {
  const memo = new VerifiedTxMemo(200_000);
  const v = view(memo);
  const txs: Uint8Array[] = [];
  for (let n = 1n; n <= 300n; n++) {
    const tx = signTx(priv, { chainId: 'test-chain', signer: pubKey, nonce: n, lane: 1, submitSignature: { requestId: n, signature: randomBytes(65) } });
    txs.push(tx);
    checkTx(tx, v); // BAD_NONCE past the first: decoded and verified all the same
    expect(memo.bytes).toBeLessThanOrEqual(200_000);
  }
  expect(memo.size).toBeGreaterThan(100);
  expect(memo.size).toBeLessThan(300);
  const before = v.verifications;
  checkTx(txs[299]!, v); // the newest is remembered: no second signature check
  expect(v.verifications).toBe(before);
  checkTx(txs[0]!, v); // the oldest was evicted: checked again, same verdict
  expect(v.verifications).toBe(before + 1);
});

test('a tx larger than any valid tx of its kind is refused before its body is decoded', () => {
  const v = view(new VerifiedTxMemo());
  // A BindPeer tag in front of bytes that are no BindPeer at all: refused for its size, not for its
  // encoding, so the body was never decoded.
  const junkBody = Uint8Array.of(0x52, 0x84, 0x20, ...randomBytes(4100)); // field 10, length 4100
  const raw = TxCodec.encode({ body: junkBody, signature: randomBytes(64) });
  expect(shallowTx(raw)).toMatchObject({ kind: 'bindPeer' });
  const r = checkTx(raw, v);
  expect(r).toMatchObject({ code: TxCode.TOO_LARGE });
  expect('log' in r && r.log).toMatch(/a bindPeer tx of \d+ bytes exceeds the largest valid one/);
  expect(() => TxBodyCodec.decode(junkBody)).toThrow(); // it would not even have decoded
  expect(checkTx(Uint8Array.of(0x0a, 0x02, 0x08, 0x01), v).code).toBe(TxCode.UNKNOWN_MESSAGE);
});

test('the largest honest MPC messages of a 64-member committee fit their limits', () => {
  const id = IdentityKey.generate();
  const point = () => secp256k1.Point.BASE.multiply(BigInt(1 + Math.floor(Math.random() * 1e9))).toBytes(true);
  const session = randomBytes(32);
  const t = 43; // floor(2 * 64 / 3) + 1
  const dealing = seal(id, { session, dealing: { dealer: 64, commitments: Array.from({ length: 64 }, point), proofOfKnowledge: randomBytes(65) } });
  const ready = seal(id, { session, ready: { recipient: 64, dealers: Array.from({ length: 64 }, (_, i) => i + 1) } });
  const share = seal(id, { session, share: { dealer: 64, recipient: 63, value: randomBytes(32) } });
  const complaint = seal(id, { session, complaint: { recipient: 63, accused: 64, evidence: decodeEnvelope(share) } });
  const commitment = () => seal(id, { session, nonceCommitment: { signer: 64, attempt: 63_999_999, hiding: point(), binding: point() } });
  const commitments = Array.from({ length: t }, commitment);
  const pkg = seal(id, { session, signingPackage: { message: randomBytes(32), attempt: 63_999_999, commitments: commitments.map((c) => decodeEnvelope(c)) } });
  const sigShare = seal(id, { session, signatureShare: { signer: 64, attempt: 63_999_999, share: randomBytes(32), packageHash: randomBytes(32) } });
  const tx = (msg: Partial<TxBody>) => signTx(priv, { chainId: 'test-chain', signer: pubKey, nonce: 2n ** 63n, lane: 1, ...msg });
  for (const env of [dealing, ready, complaint]) expect(tx({ mpcPublic: { session, envelope: env } }).length).toBeLessThan(maxTxBytesOf('mpcPublic', 64, DEFAULT_PARAMS.maxBatchBytes) / 2);
  const report = tx({ reportCheater: { requestId: 2n ** 63n, signer: 64, attempt: 63_999_999, package: pkg, commitment: commitments[0]!, share: sigShare } });
  expect(report.length).toBeLessThan(maxTxBytesOf('reportCheater', 64, DEFAULT_PARAMS.maxBatchBytes) / 1.5);
  expect(report.length).toBeLessThan(DEFAULT_PARAMS.maxTxBytes);
  expect(encodeEnvelope(decodeEnvelope(dealing)).length).toBe(dealing.length);
});
