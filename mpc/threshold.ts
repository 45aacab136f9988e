// The pool's threshold rule, in exactly one place: t = floor(2n/3) + 1 signers out of n.
// With this t, any two signing quorums overlap in more than n/3 members, so a coalition of up to
// floor((n-1)/3) faulty members (the BFT bound CometBFT also assumes) can neither sign alone nor
// block signing while t honest members are online.
import { MpcError } from './errors.js';

/** Number of signers required for a committee of `n` members: floor(2n/3) + 1. */
export function thresholdFor(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new MpcError('INVALID_ARGUMENT', `committee size must be a positive integer, got ${n}`);
  return Math.floor((2 * n) / 3) + 1;
}
