// The CometBFT validator set: its order, its power, and the ValidatorUpdates FinalizeBlock returns
// when the committee changes at an epoch boundary (driven by attested L1 staking events, never by an
// admin tx). Pure.
import { compareBytes, toHex } from '../common/bytes.js';
import type { ValidatorEntry } from '../proto/seqpool.js';

/** CometBFT's MaxTotalVotingPower: int64 max / 8. */
export const MAX_TOTAL_VOTING_POWER = (2n ** 63n - 1n) / 8n;

export interface ValidatorUpdateOut {
  pubKey: Uint8Array; // secp256k1, compressed
  power: bigint;
}

export function sortValidators(set: ValidatorEntry[]): ValidatorEntry[] {
  return [...set].sort((a, b) => compareBytes(a.address, b.address));
}

export function totalPower(set: ValidatorEntry[]): bigint {
  return set.reduce((sum, v) => sum + v.power, 0n);
}

/** The ValidatorUpdates that turn `before` into `after` (removals as power 0), in address order:
 * one update per key even when several events of a block touched it. */
export function validatorUpdatesBetween(before: ValidatorEntry[], after: ValidatorEntry[]): ValidatorUpdateOut[] {
  const was = new Map(before.map((v) => [toHex(v.address), v]));
  const now = new Map(after.map((v) => [toHex(v.address), v]));
  const out: { address: Uint8Array; update: ValidatorUpdateOut }[] = [];
  for (const [id, v] of was) if (!now.has(id)) out.push({ address: v.address, update: { pubKey: v.pubKey, power: 0n } });
  for (const [id, v] of now) if (was.get(id)?.power !== v.power) out.push({ address: v.address, update: { pubKey: v.pubKey, power: v.power } });
  return out.sort((a, b) => compareBytes(a.address, b.address)).map((o) => o.update);
}
