// Feldman VSS building blocks shared by DKG, reshare and refresh: dealing a polynomial, committing
// to it, checking a share against commitments, and the DKG proof of knowledge (the noble/frost-rs
// format, so DKG packages stay interoperable with noble's own DKG rounds).
import { concatBytes } from '@noble/hashes/utils.js';
import { Fn, Point, evalPoly, hashToScalar, parsePoint, pointBytes, randomScalar, scalarBytes } from '../suite.js';

/** Random polynomial of `t` coefficients with the given constant term. */
export function randomPolynomial(constant: bigint, t: number): bigint[] {
  const coeffs = [Fn.create(constant)];
  for (let k = 1; k < t; k++) coeffs.push(randomScalar());
  return coeffs;
}

/** Commitments C_k = a_k G for k >= from (refresh omits C_0, which commits to zero). */
export function commitPolynomial(coeffs: readonly bigint[], from = 0): Uint8Array[] {
  return coeffs.slice(from).map((a) => pointBytes(Point.BASE.multiply(a)));
}

export const shareFor = (coeffs: readonly bigint[], x: number): bigint => evalPoly(coeffs, BigInt(x));

/**
 * Variable-time multiplication by a small public scalar (a committee index), by double-and-add.
 * Committee indices are < 2^16, so this is a handful of point operations instead of a full
 * 256-bit scalar multiplication: the reason Feldman evaluations below use Horner's rule.
 */
export function mulSmall(p: Point, k: number): Point {
  let acc = Point.ZERO;
  for (let bit = 31 - Math.clz32(k); bit >= 0; bit--) {
    acc = acc.double();
    if ((k >>> bit) & 1) acc = acc.add(p);
  }
  return acc;
}

/** sum_{k} C_k x^(k+offset) by Horner's rule with small-scalar steps (offset 1 when C_0 is implicit zero). */
export function evalCommitmentsAt(commitments: readonly Point[], x: number, offset = 0): Point {
  let acc = Point.ZERO;
  for (let k = commitments.length - 1; k >= 0; k--) acc = mulSmall(acc, x).add(commitments[k]!);
  return offset ? mulSmall(acc, x) : acc;
}

/** The Feldman check: share * G == sum_k C_k x^k. */
export function shareMatches(commitments: readonly Point[], x: number, share: bigint, offset = 0): boolean {
  const expected = evalCommitmentsAt(commitments, x, offset);
  return share === 0n ? expected.is0() : Point.BASE.multiply(share).equals(expected);
}

const pokChallenge = (index: number, C0: Point, R: Point) =>
  hashToScalar('dkg', concatBytes(scalarBytes(BigInt(index)), pointBytes(C0), pointBytes(R)));

/** Schnorr proof of knowledge of a_0 for C_0 = a_0 G, bound to the dealer's identifier (R || mu). */
export function provePossession(index: number, a0: bigint): Uint8Array {
  const k = randomScalar();
  const R = Point.BASE.multiply(k);
  const c = pokChallenge(index, Point.BASE.multiply(a0), R);
  return concatBytes(pointBytes(R), scalarBytes(Fn.add(k, Fn.mul(a0, c))));
}

/** Checks a proof of knowledge (R == mu G - c C_0); false on any malformed input. */
export function verifyPossession(index: number, C0: Point, proof: Uint8Array): boolean {
  try {
    if (proof.length !== 65) return false;
    const R = parsePoint(proof.subarray(0, 33));
    const mu = Fn.fromBytes(proof.subarray(33));
    const c = pokChallenge(index, C0, R);
    return Point.BASE.multiplyUnsafe(mu).subtract(C0.multiplyUnsafe(c)).equals(R);
  } catch {
    return false;
  }
}
