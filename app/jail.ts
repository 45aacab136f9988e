// Jailing (docs/pool.md "Jailing and slashing"): a jailed sequencer leaves the committee (CometBFT
// set, MPC key, candidates) at the next epoch boundary; with slashAmount > 0 and an L1 LockingPool,
// a threshold-signed slash(sequencerId, amount, authNonce) request is created.
import { equalBytes, toHex } from '../common/bytes.js';
import { encodeSlash } from '../protocol/signed-payloads.js';
import { createSignRequest, event, takeAuthNonce, type BlockCtx } from './sign-requests.js';
import type { State } from './state.js';

/**
 * Jail `address` with `reason`; false when it is unknown or already jailed (then nothing changes).
 * The fault is its sequencer's: a key that gave its LockingPool id to a new key (SignerChange) still
 * holds a share until the next reshare, and what it does with it jails and slashes the id's current
 * record too, wherever its stake now is.
 */
export function jailSequencer(state: State, address: Uint8Array, reason: string, ctx: BlockCtx): boolean {
  const key = state.sequencer(address);
  if (!key || key.jailed) return false;
  const id = key.sequencerId ?? 0n;
  const holder = id > 0n ? state.sequencerById(id) : undefined;
  state.setSequencer({ ...key, jailed: true, jailReason: reason, misses: 0 });
  const s = holder && !equalBytes(holder.address, key.address) ? holder : key;
  if (s !== key && !s.jailed) {
    if (s.address.length === 0) state.setKeylessSequencer({ ...s, jailed: true, jailReason: reason, misses: 0 });
    else state.setSequencer({ ...s, jailed: true, jailReason: reason, misses: 0 });
  }
  ctx.events.push(event('jailed', { address: toHex(address).toUpperCase(), reason }));
  ctx.log.warn({ address: toHex(address).toUpperCase(), sequencerId: id.toString(), reason }, 'sequencer jailed');
  const amount = BigInt(ctx.params.slashAmount || '0');
  const l1 = state.l1Config();
  if (amount > 0n && l1 && id > 0n) {
    const slashable = BigInt(s.locked || '0');
    const take = amount < slashable ? amount : slashable;
    if (take > 0n) {
      const nonce = takeAuthNonce(state, l1.lockingPool);
      createSignRequest(state, ctx, { purpose: 'slash', chainId: l1.chainId, verifier: l1.lockingPool, payload: encodeSlash(id, take, nonce) });
    }
  }
  return true;
}
