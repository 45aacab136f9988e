// Feldman VSS building blocks shared by DKG, reshare and refresh: dealing a polynomial, committing
// to it, checking a share against commitments, and the DKG proof of knowledge (the noble/frost-rs
// format, so DKG packages stay interoperable with noble's own DKG rounds). Point arithmetic goes
// through mpc/ecc.ts (libsecp256k1 when it loads).
import { concatBytes } from '@noble/hashes/utils.js';
import { EcPoint, ecc, parsePt } from '../ecc.js';
import { Fn, evalPoly, hashToScalar, randomScalar, scalarBytes } from '../suite.js';

/** Random polynomial of `t` coefficients with the given constant term. */
export function randomPolynomial(constant: bigint, t: number): bigint[] {
  const coeffs = [Fn.create(constant)];
  for (let k = 1; k < t; k++) coeffs.push(randomScalar());
  return coeffs;
}

/** Commitments C_k = a_k G for k >= from (refresh omits C_0, which commits to zero). Constant time in a_k. */
export function commitPolynomial(coeffs: readonly bigint[], from = 0): Uint8Array[] {
  return coeffs.slice(from).map((a) => ecc.mulBase(a).toBytes(true));
}

export const shareFor = (coeffs: readonly bigint[], x: number): bigint => evalPoly(coeffs, BigInt(x));

/** sum_{k} C_k x^(k+offset) (offset 1 when C_0 is implicit zero). */
export function evalCommitmentsAt(commitments: readonly EcPoint[], x: number, offset = 0): EcPoint {
  const acc = ecc.evalAt(commitments, x);
  return offset ? ecc.mul(acc, BigInt(x)) : acc;
}

/** The Feldman check: share * G == sum_k C_k x^k (a zero share must match infinity). */
export function shareMatches(commitments: readonly EcPoint[], x: number, share: bigint, offset = 0): boolean {
  return ecc.mulBase(share).equals(evalCommitmentsAt(commitments, x, offset));
}

const pokChallenge = (index: number, C0: EcPoint, R: EcPoint) =>
  hashToScalar('dkg', concatBytes(scalarBytes(BigInt(index)), C0.toBytes(true), R.toBytes(true)));

/** Length of a proof of knowledge: R (33-byte point) || mu (32-byte scalar). */
export const POK_BYTES = 65;

/** Schnorr proof of knowledge of a_0 for C_0 = a_0 G, bound to the dealer's identifier (R || mu). */
export function provePossession(index: number, a0: bigint, C0: EcPoint = ecc.mulBase(a0)): Uint8Array {
  const k = randomScalar();
  const R = ecc.mulBase(k);
  const c = pokChallenge(index, C0, R);
  return concatBytes(R.toBytes(true), scalarBytes(Fn.add(k, Fn.mul(a0, c))));
}

/** Checks a proof of knowledge (R == mu G - c C_0, checked as mu G == R + c C_0); false on any malformed input. */
export function verifyPossession(index: number, C0: EcPoint, proof: Uint8Array): boolean {
  try {
    if (proof.length !== POK_BYTES) return false;
    const R = parsePt(proof.subarray(0, 33));
    const mu = Fn.fromBytes(proof.subarray(33));
    const c = pokChallenge(index, C0, R);
    return ecc.mulBase(mu).equals(ecc.sum([R, ecc.mul(C0, c)]));
  } catch {
    return false;
  }
}
