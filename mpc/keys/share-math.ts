// The key-session arithmetic that needs a holder's secret scalar, kept apart so that it runs where
// the share lives (a ShareVault: sidecar/store/share-vault.ts) and hands out only what the protocol
// sends anyway. With mpc/signing/frost.ts (nonce generation, signature share) these are the only
// library functions that read a SecretShare's scalar.
import { MpcError } from '../errors.js';
import { ecc, parsePt } from '../ecc.js';
import { Fn } from '../suite.js';
import { SecretShare, type PublicKeyPackage } from './types.js';
import { commitPolynomial, randomPolynomial, shareFor } from './vss.js';

/** A Feldman dealing made where its polynomial lives: the commitments and each receiver's value
 * (its share, which goes to that receiver only). The coefficients never leave. */
export interface Dealing {
  commitments: Uint8Array[];
  values: Map<number, bigint>;
}

/** What a reshare dealer deals: weight * s (lambda_i^D s_i) at `threshold`, to `receivers`. */
export interface ReshareDealingRequest {
  weight: bigint;
  threshold: number;
  receivers: number[];
}

/** Deals weight * s at the requested threshold: a fresh random polynomial, wiped before returning. */
export function dealScaledShare(share: SecretShare, req: ReshareDealingRequest): Dealing {
  const coeffs = randomPolynomial(Fn.mul(req.weight, share.reveal()), req.threshold);
  try {
    return { commitments: commitPolynomial(coeffs), values: new Map(req.receivers.map((r) => [r, shareFor(coeffs, r)])) };
  } finally {
    coeffs.fill(0n);
  }
}

/** A refresh's new share s + delta, checked against its verifying share in the new package. */
export function refreshedShare(share: SecretShare, delta: bigint, pkg: PublicKeyPackage): SecretShare {
  const s = Fn.add(share.reveal(), delta);
  const y = pkg.verifyingShares[share.index];
  if (!y || !ecc.mulBase(s).equals(parsePt(y))) throw new MpcError('MISSING_SHARE', 'refreshed share does not match its verifying share');
  return new SecretShare(share.index, s);
}
