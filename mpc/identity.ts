// Identity keys sign every MPC message. They are the validators' secp256k1 keys (DESIGN decision 3).
// ECDSA over SHA-256. Signing goes through node:crypto (OpenSSL), so the private key stays inside a
// KeyObject. Verification goes through common/secp.ts (libsecp256k1, OpenSSL as fallback): a DKG of
// n members verifies O(n^2) envelopes, ~65 us each natively against ~330 us in OpenSSL on the bench
// machine. Signatures are 64-byte r||s, normalised to low-s and rejected when high-s, so each
// message has exactly one valid signature.
import { createPrivateKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { MpcError } from './errors.js';
import { verify as secpVerify } from '../common/secp.js';

const N = secp256k1.Point.Fn.ORDER;
const HALF_N = N >> 1n;
const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

function jwkOf(pub33: Uint8Array, secret?: Uint8Array) {
  const p = secp256k1.Point.fromBytes(pub33).toBytes(false);
  return { kty: 'EC', crv: 'secp256k1', x: b64u(p.subarray(1, 33)), y: b64u(p.subarray(33)), ...(secret ? { d: b64u(secret) } : {}) };
}

/** A party's signing identity. The private key stays inside a node KeyObject. */
export class IdentityKey {
  readonly publicKey: Uint8Array;
  readonly #key: KeyObject;
  private constructor(secret: Uint8Array) {
    this.publicKey = secp256k1.getPublicKey(secret, true);
    this.#key = createPrivateKey({ key: jwkOf(this.publicKey, secret), format: 'jwk' });
  }
  static generate(): IdentityKey {
    return new IdentityKey(secp256k1.utils.randomSecretKey());
  }
  static fromSecretKey(secret: Uint8Array): IdentityKey {
    if (!secp256k1.utils.isValidSecretKey(secret)) throw new MpcError('INVALID_ARGUMENT', 'invalid identity secret key');
    return new IdentityKey(secret);
  }
  /** 64-byte low-s ECDSA signature over SHA-256(data). */
  sign(data: Uint8Array): Uint8Array {
    const sig = new Uint8Array(nodeSign('sha256', data, { key: this.#key, dsaEncoding: 'ieee-p1363' }));
    const s = BigInt('0x' + bytesToHex(sig.subarray(32)));
    if (s > HALF_N) sig.set(secp256k1.Point.Fn.toBytes(N - s), 32);
    return sig;
  }
  toJSON(): unknown {
    return { publicKey: bytesToHex(this.publicKey) };
  }
}

/** Verifies a 64-byte low-s signature by the 33-byte compressed key `pub33` over SHA-256(data). */
export function verifyIdentitySignature(pub33: Uint8Array, data: Uint8Array, sig: Uint8Array): boolean {
  try {
    if (sig.length !== 64 || pub33.length !== 33) return false;
    // Same acceptance as before: 0 < r < n, 0 < s <= n/2, a valid compressed key (common/secp.ts).
    return secpVerify(pub33, data, sig);
  } catch {
    return false;
  }
}
