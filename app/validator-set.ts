// Applying a change to the CometBFT validator set: the one function through which the set changes
// (driven by attested L1 staking events, never by an admin tx). Pure: takes the current set, returns
// the next set and the ValidatorUpdates for FinalizeBlock, or a reason the change is refused.
import { compareBytes, equalBytes, toHex } from '../common/bytes.js';
import { isValidPubKey, pubKeyToAddress } from '../common/secp.js';
import type { ValidatorEntry } from '../proto/seqpool.js';

/** CometBFT's MaxTotalVotingPower: int64 max / 8. */
export const MAX_TOTAL_VOTING_POWER = (2n ** 63n - 1n) / 8n;

export interface ValidatorChange {
  pubKey: Uint8Array;
  power: bigint; // 0 removes
}

export interface ValidatorUpdateOut {
  pubKey: Uint8Array; // secp256k1, compressed
  power: bigint;
}

export type SetChangeResult =
  | { ok: true; next: ValidatorEntry[]; updates: ValidatorUpdateOut[] }
  | { ok: false; reason: string };

export function sortValidators(set: ValidatorEntry[]): ValidatorEntry[] {
  return [...set].sort((a, b) => compareBytes(a.address, b.address));
}

export function totalPower(set: ValidatorEntry[]): bigint {
  return set.reduce((sum, v) => sum + v.power, 0n);
}

export function applyValidatorSetChange(current: ValidatorEntry[], changes: ValidatorChange[]): SetChangeResult {
  const byAddress = new Map(current.map((v) => [toHex(v.address), v]));
  const touched = new Set<string>();
  const updates: ValidatorUpdateOut[] = [];
  for (const change of changes) {
    if (!isValidPubKey(change.pubKey)) return { ok: false, reason: `invalid secp256k1 public key ${toHex(change.pubKey)}` };
    if (change.power < 0n) return { ok: false, reason: `negative power ${change.power}` };
    if (change.power > MAX_TOTAL_VOTING_POWER) return { ok: false, reason: `power ${change.power} exceeds the maximum` };
    const address = pubKeyToAddress(change.pubKey);
    const id = toHex(address);
    if (touched.has(id)) return { ok: false, reason: `duplicate change for validator ${id.toUpperCase()}` };
    touched.add(id);
    const existing = byAddress.get(id);
    if (existing && !equalBytes(existing.pubKey, change.pubKey)) return { ok: false, reason: `address collision for ${id.toUpperCase()}` };
    if (change.power === 0n) {
      if (!existing) return { ok: false, reason: `cannot remove ${id.toUpperCase()}: not a validator` };
      byAddress.delete(id);
    } else {
      if (existing && existing.power === change.power) continue; // no-op, no update
      byAddress.set(id, { address, pubKey: change.pubKey, power: change.power });
    }
    updates.push({ pubKey: change.pubKey, power: change.power });
  }
  const next = sortValidators([...byAddress.values()]);
  if (next.length === 0) return { ok: false, reason: 'the change would leave the validator set empty' };
  if (totalPower(next) > MAX_TOTAL_VOTING_POWER) return { ok: false, reason: 'total voting power would exceed the maximum' };
  updates.sort((a, b) => compareBytes(pubKeyToAddress(a.pubKey), pubKeyToAddress(b.pubKey)));
  return { ok: true, next, updates };
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
