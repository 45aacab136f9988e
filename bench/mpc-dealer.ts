// Trusted-dealer keys and in-process threshold signing, for benchmarks (bench:mpc runs reshare/refresh
// at sizes where a full DKG would be too slow; bench:gas signs L1 digests) and the contract tests.
// Built from the library's own primitives; not protocol code.
import { randomBytes } from 'node:crypto';
import { parsePt } from '../mpc/ecc.js';
import { buildPackage } from '../mpc/keys/committee.js';
import { SecretShare, type KeyShare, type Member } from '../mpc/keys/types.js';
import { isL1CompatibleGroupKey } from '../mpc/l1.js';
import { commitPolynomial, randomPolynomial, shareFor, shareMatches } from '../mpc/keys/vss.js';
import { aggregate, commitNonces, signShare, verifySignature } from '../mpc/signing/frost.js';
import { randomScalar } from '../mpc/suite.js';

/**
 * Feldman sharing of a random secret at threshold t among `members` by a trusted dealer: the public
 * package (commitments, group key, every member's verifying share) and every member's share, each
 * checked against the commitments.
 */
export function dealerKey(keyId: string, epoch: number, members: readonly Member[], t: number): KeyShare[] {
  const coeffs = randomPolynomial(randomScalar(), t);
  try {
    const gc = commitPolynomial(coeffs).map((c) => parsePt(c));
    const pub = buildPackage(keyId, epoch, t, members, gc);
    return members.map((m) => {
      const s = shareFor(coeffs, m.index);
      if (!shareMatches(gc, m.index, s)) throw new Error(`dealer: share ${m.index} does not match the commitments`);
      return { public: pub, secret: new SecretShare(m.index, s) };
    });
  } finally {
    coeffs.fill(0n);
  }
}

/** k items spread evenly over `xs` (first, ..., last), or all of them when k >= xs.length. */
export function spread<T>(xs: readonly T[], k: number): T[] {
  if (k >= xs.length) return [...xs];
  if (k === 1) return [xs[0]!];
  return Array.from({ length: k }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (k - 1))]!);
}

/** A t-of-n key for members 1..n, re-dealt until the L1 verifier can take it (Px < n). */
export function l1DealerKey(n: number, t: number, keyId = 'dealer'): KeyShare[] {
  const members = Array.from({ length: n }, (_, i) => ({ index: i + 1, identity: new Uint8Array(33) }));
  for (;;) {
    const shares = dealerKey(keyId, 0, members, t);
    if (isL1CompatibleGroupKey(shares[0]!.public.groupKey)) return shares;
  }
}

/** RFC 9591 two-round signing of `msg` by the lowest `threshold` indexes of `shares`: the 65-byte
 * signature, or undefined when there are fewer shares than the threshold. */
export function thresholdSign(shares: readonly KeyShare[], msg: Uint8Array): Uint8Array | undefined {
  const pub = shares[0]!.public;
  const signers = [...shares].sort((a, b) => a.secret.index - b.secret.index).slice(0, pub.threshold);
  if (signers.length < pub.threshold) return undefined;
  const rounds = signers.map((s) => commitNonces(s.secret));
  const list = rounds.map((r) => r.commitment);
  const zs = new Map(signers.map((s, i) => [s.secret.index, signShare(s.public, s.secret, rounds[i]!.nonces, list, msg)]));
  return aggregate(pub, list, msg, zs);
}

/** FROST-signs a random message with the first `threshold` of `shares` and verifies it under the group key. */
export function thresholdSignatureVerifies(shares: readonly KeyShare[]): boolean {
  const msg = randomBytes(32);
  const sig = thresholdSign(shares, msg);
  return sig !== undefined && verifySignature(sig, msg, shares[0]!.public.groupKey);
}
