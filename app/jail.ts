// Jailing (docs/pool.md "Jailing and slashing"): a jailed sequencer leaves the committee (CometBFT
// set, MPC key, candidates) at the next epoch boundary; with slashAmount > 0 and an L1 LockingPool,
// a threshold-signed slash(sequencerId, amount, authNonce) request is created.
import { toHex } from '../common/bytes.js';
import { encodeSlash } from './abi.js';
import { createSignRequest, event, takeAuthNonce, type BlockCtx } from './sign-requests.js';
import type { State } from './state.js';

/** Jail `address` with `reason`; false when it is unknown or already jailed (then nothing changes). */
export function jailSequencer(state: State, address: Uint8Array, reason: string, ctx: BlockCtx): boolean {
  const s = state.sequencer(address);
  if (!s || s.jailed) return false;
  state.setSequencer({ ...s, jailed: true, jailReason: reason, misses: 0 });
  ctx.events.push(event('jailed', { address: toHex(address).toUpperCase(), reason }));
  ctx.log.warn({ address: toHex(address).toUpperCase(), reason }, 'sequencer jailed');
  const amount = BigInt(ctx.params.slashAmount || '0');
  const l1 = state.l1Config();
  if (amount > 0n && l1 && (s.sequencerId ?? 0n) > 0n) {
    const slashable = BigInt(s.locked || '0');
    const take = amount < slashable ? amount : slashable;
    if (take > 0n) {
      const nonce = takeAuthNonce(state, l1.lockingPool);
      createSignRequest(state, ctx, { purpose: 'slash', chainId: l1.chainId, verifier: l1.lockingPool, payload: encodeSlash(s.sequencerId!, take, nonce) });
    }
  }
  return true;
}
