// mpc/ecc.ts: the libsecp256k1 backend must agree with noble on every operation the engines use,
// including the inputs libsecp256k1 refuses (zero scalars, the point at infinity, sums to infinity).
import { EcPoint, nativeBackend, nobleBackend, type EccBackend } from '../../mpc/ecc.js';
import { Fn, ORDER, Point, frost, randomScalar } from '../../mpc/suite.js';
import { commitNonces, verifySignature } from '../../mpc/signing/frost.js';
import { SecretShare } from '../../mpc/keys/types.js';
import { commitPolynomial, provePossession, randomPolynomial, verifyPossession } from '../../mpc/keys/vss.js';

const native = nativeBackend;
const hex = (p: EcPoint) => (p.is0() ? 'inf' : Buffer.from(p.toBytes(false)).toString('hex'));
const randPoint = () => nobleBackend.mulBase(randomScalar());

test('the native binding loads on this machine', () => {
  expect(native).toBeDefined();
});

// Runs `f` on both backends and expects the same point (points are rebuilt from bytes per backend).
function agree(f: (b: EccBackend, lift: (p: EcPoint) => EcPoint) => EcPoint): string {
  const lift = (b: EccBackend) => (p: EcPoint) => (p.is0() ? EcPoint.ZERO : b.parse(p.toBytes(true)));
  const a = hex(f(nobleBackend, lift(nobleBackend)));
  expect(hex(f(native!, lift(native!)))).toBe(a);
  return a;
}

test('mulBase, mul, sum, msm and evalAt agree on random inputs', () => {
  for (let i = 0; i < 20; i++) {
    const k = randomScalar();
    const ps = Array.from({ length: 1 + (i % 7) }, randPoint);
    const ks = ps.map(() => randomScalar());
    agree((b) => b.mulBase(k));
    agree((b, l) => b.mul(l(ps[0]!), k));
    agree((b, l) => b.sum(ps.map(l)));
    agree((b, l) => b.msm(ps.map(l), ks));
    agree((b, l) => b.evalAt(ps.map(l), 1 + i * 977));
  }
});

test('zero scalars, scalars >= n, infinity and sums to infinity are handled without exceptions', () => {
  const P = randPoint();
  const negP = EcPoint.fromNoble(P.noble.negate());
  expect(agree((b) => b.mulBase(0n))).toBe('inf');
  expect(agree((b) => b.mulBase(ORDER))).toBe('inf');
  expect(agree((b, l) => b.mul(l(P), 0n))).toBe('inf');
  expect(agree((b, l) => b.mul(l(P), ORDER))).toBe('inf');
  expect(agree((b) => b.mul(EcPoint.ZERO, 5n))).toBe('inf');
  agree((b, l) => b.mul(l(P), ORDER + 3n)); // reduced mod n
  agree((b, l) => b.mul(l(P), ORDER - 1n));
  agree((b, l) => b.mul(l(P), 1n));
  expect(agree((b, l) => b.sum([l(P), l(negP)]))).toBe('inf');
  expect(agree((b, l) => b.sum([l(P), l(negP), EcPoint.ZERO]))).toBe('inf');
  expect(agree((b) => b.sum([]))).toBe('inf');
  expect(agree((b, l) => b.sum([EcPoint.ZERO, l(P)]))).toBe(hex(P));
  agree((b, l) => b.sum([l(P), l(P)])); // doubling through combine
  expect(agree((b, l) => b.msm([l(P), l(P)], [1n, ORDER - 1n]))).toBe('inf');
  expect(agree((b, l) => b.msm([l(P), l(negP)], [0n, 0n]))).toBe('inf');
  expect(agree((b, l) => b.msm([l(P), EcPoint.ZERO], [7n, 9n]))).toBe(hex(nobleBackend.mul(P, 7n)));
  // a Feldman vector whose evaluation at x = 1 is infinity: C_0 = -C_1
  expect(agree((b, l) => b.evalAt([l(negP), l(P)], 1))).toBe('inf');
  expect(agree((b, l) => b.evalAt([EcPoint.ZERO, l(P)], 3))).toBe(hex(nobleBackend.mul(P, 3n)));
});

test('parse accepts compressed and uncompressed points and rejects what noble rejects', () => {
  const P = randPoint();
  for (const enc of [P.toBytes(true), P.toBytes(false)]) expect(hex(native!.parse(enc))).toBe(hex(nobleBackend.parse(enc)));
  const hybrid = P.toBytes(false);
  hybrid[0] = 6 + (hybrid[64]! & 1);
  const offCurve = P.toBytes(true);
  offCurve[32] = offCurve[32]! ^ 1;
  const xTooBig = Uint8Array.from([2, ...new Uint8Array(32).fill(255)]);
  const bad = [new Uint8Array(33), Uint8Array.of(0), hybrid, xTooBig, P.toBytes(true).subarray(0, 32), Uint8Array.from([5, ...P.toBytes(true).subarray(1)])];
  // offCurve: a flipped bit in x, off the curve about half the time; either way both must agree
  for (const b of [...bad, offCurve]) {
    let nobleOk = true;
    try {
      nobleBackend.parse(b);
    } catch {
      nobleOk = false;
    }
    let nativeOk = true;
    try {
      native!.parse(b);
    } catch {
      nativeOk = false;
    }
    expect(nativeOk).toBe(nobleOk);
  }
  for (const b of bad) expect(() => native!.parse(b)).toThrow();
});

test('EcPoint encodings and equality across representations', () => {
  const k = randomScalar();
  const a = native!.mulBase(k);
  const b = EcPoint.fromNoble(Point.BASE.multiply(Fn.create(k)));
  expect(a.equals(b)).toBe(true);
  expect(Buffer.from(a.toBytes(true)).toString('hex')).toBe(Buffer.from(b.toBytes(true)).toString('hex'));
  expect(a.equals(EcPoint.ZERO)).toBe(false);
  expect(EcPoint.ZERO.equals(native!.sum([]))).toBe(true);
  expect(() => EcPoint.ZERO.toBytes()).toThrow();
});

test('our DKG dealing (native commitments and proof of knowledge) passes noble DKG round 2', () => {
  const ours = frost.Identifier.fromNumber(2);
  const a = frost.DKG.round1(frost.Identifier.fromNumber(1), { min: 2, max: 2 });
  const coeffs = randomPolynomial(randomScalar(), 2);
  const pkg = { identifier: ours, commitment: commitPolynomial(coeffs), proofOfKnowledge: provePossession(2, coeffs[0]!) };
  expect(() => frost.DKG.round2(a.secret, [pkg])).not.toThrow();
  const bad = { ...pkg, proofOfKnowledge: provePossession(3, coeffs[0]!) };
  expect(() => frost.DKG.round2(frost.DKG.round1(frost.Identifier.fromNumber(1), { min: 2, max: 2 }).secret, [bad])).toThrow();
  expect(verifyPossession(2, native!.parse(pkg.commitment[0]!), pkg.proofOfKnowledge)).toBe(true);
  expect(verifyPossession(3, native!.parse(pkg.commitment[0]!), pkg.proofOfKnowledge)).toBe(false);
});

test('verifySignature (ecc backend) agrees with noble frost.verify on valid and mutated signatures', () => {
  const ids = [1, 2, 3].map((i) => frost.Identifier.fromNumber(i));
  const d = frost.trustedDealer({ min: 2, max: 3 }, ids);
  const msg = Uint8Array.of(1, 2, 3);
  const r = ids.slice(0, 2).map((id) => frost.commit(d.secretShares[id]!));
  const commitments = r.map((x) => x.commitments);
  const shares = Object.fromEntries(ids.slice(0, 2).map((id, i) => [id, frost.signShare(d.secretShares[id]!, d.public, r[i]!.nonces, commitments, msg)]));
  const sig = frost.aggregate(d.public, commitments, msg, shares);
  const key = d.public.commitments[0]!;
  const variants: Uint8Array[] = [sig, sig.slice(0, 64), Uint8Array.from([...sig, 0])];
  for (let i = 0; i < 65; i += 8) {
    const m = sig.slice();
    m[i] = m[i]! ^ 1;
    variants.push(m);
  }
  const zHigh = sig.slice();
  zHigh.set(new Uint8Array(32).fill(255), 33);
  variants.push(zHigh);
  for (const v of variants) {
    let expected: boolean;
    try {
      expected = frost.verify(v, msg, key);
    } catch {
      expected = false;
    }
    expect(verifySignature(v, msg, key)).toBe(expected);
  }
  expect(verifySignature(sig, msg, key)).toBe(true);
  expect(verifySignature(sig, Uint8Array.of(9), key)).toBe(false);
});

test('commitNonces matches noble commit for the same randomness', () => {
  for (let i = 0; i < 5; i++) {
    const secret = new SecretShare(i + 1, randomScalar());
    const seed = Array.from({ length: 2 }, () => Uint8Array.from(Buffer.from(randomScalar().toString(16).padStart(64, '0'), 'hex')));
    const a = [...seed];
    const b = [...seed];
    const ours = commitNonces(secret, () => a.shift()!);
    const noble = frost.commit(secret.toFrostSecret(), () => b.shift()!);
    expect(Buffer.from(ours.nonces.hiding).toString('hex')).toBe(Buffer.from(noble.nonces.hiding).toString('hex'));
    expect(Buffer.from(ours.nonces.binding).toString('hex')).toBe(Buffer.from(noble.nonces.binding).toString('hex'));
    expect(Buffer.from(ours.commitment.hiding).toString('hex')).toBe(Buffer.from(noble.commitments.hiding).toString('hex'));
    expect(Buffer.from(ours.commitment.binding).toString('hex')).toBe(Buffer.from(noble.commitments.binding).toString('hex'));
  }
});
