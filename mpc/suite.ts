// The ciphersuite: FROST(secp256k1, SHA-256) from @noble/curves, plus the few group helpers the
// engines need that noble does not export (point/scalar parsing with our typed errors, Horner
// evaluation, Lagrange coefficients, MSM). Identifiers are committee positions 1..n encoded as
// RFC 9591 scalars, exactly as the RFC vectors number their participants.
import { secp256k1, secp256k1_FROST, secp256k1_hasher } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { getMinHashLength, mapHashToField } from '@noble/curves/abstract/modular.js';
import { MpcError, asMalformed } from './errors.js';

export const frost = secp256k1_FROST;
export const Point = secp256k1.Point;
export type Point = ReturnType<typeof secp256k1.Point.fromBytes>;
export const Fn = secp256k1.Point.Fn;
export const ORDER: bigint = Fn.ORDER;
const CONTEXT = 'FROST-secp256k1-SHA256-v1';

/** RFC 9591 identifier (hex of the 32-byte scalar) for committee position `index` (1-based). */
export function identifierOf(index: number): string {
  if (!Number.isSafeInteger(index) || index < 1) throw new MpcError('INVALID_ARGUMENT', `bad participant index ${index}`);
  return frost.Identifier.fromNumber(index);
}

/** Parses a compressed (or uncompressed) SEC1 point, rejecting identity and off-curve encodings. */
export function parsePoint(bytes: Uint8Array, what = 'point'): Point {
  return asMalformed(what, () => {
    const p = Point.fromBytes(bytes);
    p.assertValidity();
    if (p.is0()) throw new Error('identity');
    return p;
  });
}

/** Parses a canonical 32-byte big-endian scalar (must be < n). */
export function parseScalar(bytes: Uint8Array, what = 'scalar'): bigint {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw new MpcError('MALFORMED', `${what}: expected 32 bytes`);
  return asMalformed(what, () => Fn.fromBytes(bytes));
}

export const scalarBytes = (s: bigint): Uint8Array => Fn.toBytes(s);

/** RFC 9591 H1/H2/H3 (hash_to_field with the suite's context string + tag). */
export function hashToScalar(tag: 'rho' | 'chal' | 'nonce' | 'dkg', msg: Uint8Array): bigint {
  return secp256k1_hasher.hashToScalar(msg, { DST: utf8ToBytes(CONTEXT + tag) });
}
/** RFC 9591 H4/H5 (plain SHA-256 with the suite's context string + tag). */
export function hashBytes(tag: 'msg' | 'com', msg: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8ToBytes(CONTEXT + tag), msg));
}

/** Horner evaluation of sum coeffs[k] x^k in the scalar field. */
export function evalPoly(coeffs: readonly bigint[], x: bigint): bigint {
  let acc = 0n;
  for (let k = coeffs.length - 1; k >= 0; k--) acc = Fn.add(Fn.mul(acc, x), coeffs[k]!);
  return acc;
}

/** Lagrange coefficient at 0 of `xi` over the distinct set `xs` (RFC 9591 derive_interpolating_value). */
export function lagrangeAtZero(xs: readonly bigint[], xi: bigint): bigint {
  if (new Set(xs).size !== xs.length || !xs.includes(xi)) throw new MpcError('INVALID_ARGUMENT', 'lagrange: duplicate or missing x');
  let num = 1n;
  let den = 1n;
  for (const x of xs) {
    if (x === xi) continue;
    num = Fn.mul(num, x);
    den = Fn.mul(den, Fn.sub(x, xi));
  }
  return Fn.div(num, den);
}

/**
 * A fresh uniformly random non-zero scalar: noble FROST's derivation (mapHashToField over
 * 48 random bytes, result in 1..n-1) without what frost.utils.randomScalar adds around it, a base
 * multiplication whose point it discards (~0.7 ms each in noble, a fifth of a DKG's CPU).
 */
export function randomScalar(): bigint {
  const b = randomBytes(getMinHashLength(ORDER));
  try {
    return bytesToNumberBE(mapHashToField(b, ORDER, false));
  } finally {
    b.fill(0);
  }
}
