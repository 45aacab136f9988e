// The encoding the L1 (Solidity) verifier takes. A Solidity contract will be written against these
// functions, so every byte is specified here and in docs/mpc.md.
//
//   digest   = keccak256(abi.encode(L1_DOMAIN_TAG, uint256 chainId, address verifier,
//                                   keccak256(bytes(purpose)), keccak256(payload)))
//              where L1_DOMAIN_TAG = keccak256("seqpool.frost.l1.v1"). The FROST message is this
//              32-byte digest, so one signature cannot be replayed on another chain, contract or
//              purpose (commitEpoch, recommitEpoch, appendBatch, ...).
//   groupKey = Px || Py (64 bytes, uncompressed without the 0x04 prefix); Px must be < n, because
//              the ecrecover trick passes Px as the ECDSA r value. Such keys are rejected at DKG.
//   sig      = Rx || Ry || z (96 bytes). The verifier recomputes the RFC 9591 challenge
//              c = H2(compress(R) || compress(P) || digest) (hash_to_field, expand_message_xmd with
//              SHA-256, DST "FROST-secp256k1-SHA256-v1chal") and checks z*G == R + c*P, e.g. as
//              ecrecover(-z*Px, v(Py), Px, -c*Px) == address(R) (all mod n).
import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { ORDER, parsePoint, parseScalar } from './suite.js';
import { ecc, parsePt } from './ecc.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { challenge } from './signing/frost.js';
import { MpcError } from './errors.js';

export const L1_DOMAIN = 'seqpool.frost.l1.v1';
const L1_DOMAIN_TAG: Uint8Array = keccak_256(utf8ToBytes(L1_DOMAIN));

export interface L1DigestInput {
  chainId: bigint;
  /** 20-byte address of the verifying contract. */
  verifier: Uint8Array;
  /** What the signature authorises, e.g. "commitEpoch". */
  purpose: string;
  /** The ABI-encoded call data being authorised. */
  payload: Uint8Array;
}

const word = (n: bigint): Uint8Array => {
  if (n < 0n || n >= 1n << 256n) throw new MpcError('INVALID_ARGUMENT', 'uint256 out of range');
  const out = new Uint8Array(32);
  let v = n;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
};
const leftPad = (b: Uint8Array): Uint8Array => concatBytes(new Uint8Array(32 - b.length), b);

/** The 32-byte domain-separated digest that is the FROST message for anything verified on L1. */
export function l1Digest(input: L1DigestInput): Uint8Array {
  if (input.verifier.length !== 20) throw new MpcError('INVALID_ARGUMENT', 'verifier must be a 20-byte address');
  return keccak_256(
    concatBytes(L1_DOMAIN_TAG, word(input.chainId), leftPad(input.verifier), keccak_256(utf8ToBytes(input.purpose)), keccak_256(input.payload)),
  );
}

/** True when the ecrecover-based verifier can take this group key (x-coordinate < n). */
export function isL1CompatibleGroupKey(groupKey: Uint8Array): boolean {
  return parsePoint(groupKey, 'group key').toAffine().x < ORDER;
}

/** 64-byte Px || Py for the L1 contract; throws GROUP_KEY_UNUSABLE when Px >= n. */
export function encodeL1GroupKey(groupKey: Uint8Array): Uint8Array {
  const P = parsePoint(groupKey, 'group key');
  if (P.toAffine().x >= ORDER) throw new MpcError('GROUP_KEY_UNUSABLE', 'group key x-coordinate >= curve order');
  return P.toBytes(false).subarray(1);
}

/** 96-byte Rx || Ry || z from a 65-byte RFC 9591 signature (compressed R || z). */
export function encodeL1Signature(sig: Uint8Array): Uint8Array {
  if (sig.length !== 65) throw new MpcError('MALFORMED', 'signature must be 65 bytes');
  const R = parsePoint(sig.subarray(0, 33), 'signature R');
  parseScalar(sig.subarray(33), 'signature z');
  return concatBytes(R.toBytes(false).subarray(1), sig.subarray(33));
}

/** Reference implementation of the L1 check (what the Solidity verifier computes). */
export function verifyL1(sig96: Uint8Array, key64: Uint8Array, digest: Uint8Array): boolean {
  try {
    if (sig96.length !== 96 || key64.length !== 64 || digest.length !== 32) return false;
    const R = parsePt(concatBytes(Uint8Array.of(4), sig96.subarray(0, 64)), 'R');
    const P = parsePt(concatBytes(Uint8Array.of(4), key64), 'group key');
    if (bytesToNumberBE(key64.subarray(0, 32)) >= ORDER) return false;
    const z = parseScalar(sig96.subarray(64), 'z');
    const c = challenge(R, P, digest);
    return ecc.mulBase(z).equals(ecc.sum([R, ecc.mul(P, c)])); // mpc/ecc.ts: libsecp256k1 when it loads
  } catch {
    return false;
  }
}
