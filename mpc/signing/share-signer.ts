// The two signing operations that need a holder's share and nonces, behind an interface so that
// both can live where the share lives (a ShareVault: sidecar/store/share-vault.ts) and the
// participant only ever sees commitments and signature shares. nonceStoreSigner() is the one
// implementation of the nonce discipline (persist before the commitment leaves, tombstone before
// the share leaves); every vault runs it next to its share.
import { MpcError } from '../errors.js';
import { equalBytes } from '../envelope.js';
import type { KeyShare } from '../keys/types.js';
import { commitNonces, signShare, type SigningCommitment, type SigningNonces } from './frost.js';

export type NonceRecord = { state: 'pending'; nonces: SigningNonces; commitment: SigningCommitment } | { state: 'used' };

/**
 * Where a participant keeps its nonces so that each is used at most once, across crashes too: a nonce
 * is written before its commitment leaves, and tombstoned before the share that uses it leaves. The
 * sidecar's encrypted LevelDB store (sidecar/store/nonce-store.ts) implements it; this library does
 * no I/O of its own.
 */
export interface NonceStore {
  get(session: Uint8Array, attempt: number): Promise<NonceRecord | undefined>;
  /** Persists a fresh nonce pair; refuses (NONCE_REUSE) if this attempt already has one. */
  put(session: Uint8Array, attempt: number, nonces: SigningNonces, commitment: SigningCommitment): Promise<void>;
  /** Deletes the nonce and writes its tombstone, atomically. */
  consume(session: Uint8Array, attempt: number): Promise<void>;
  /** Nonce records (pending or used) of `session` whose attempt lies in [from, to]. */
  count(session: Uint8Array, from: number, to: number): Promise<number>;
}

/** A coordinator's nonce allowance for one request: at most `max` nonces in its attempts [from, to]. */
export interface NonceQuota {
  coordinator: number;
  from: number;
  to: number;
  max: number;
}

/** One key epoch's signing operations; the share and the nonces stay behind it. */
export interface ShareSigner {
  /** Round 1: the commitment of (session, attempt): the pending one if it was made before (a replay
   * after a crash), else fresh nonces, persisted before their commitment is returned. NONCE_REUSE if
   * the attempt was signed already; QUOTA if the coordinator used up its allowance. */
  commit(session: Uint8Array, attempt: number, quota: NonceQuota): Promise<SigningCommitment>;
  /** Round 2: our share z_i of the package (commitment list + message), the nonce tombstoned before
   * it is returned. NONCE_MISSING, or NONCE_REUSE (used, or the list lacks our stored commitment). */
  sign(session: Uint8Array, attempt: number, list: readonly SigningCommitment[], message: Uint8Array): Promise<Uint8Array>;
}

/** The signer of a share held in memory, its nonces in `nonces` (what every vault runs inside). */
export function nonceStoreSigner(key: KeyShare, nonces: NonceStore): ShareSigner {
  return {
    async commit(session, attempt, quota) {
      const rec = await nonces.get(session, attempt);
      if (rec?.state === 'used') throw new MpcError('NONCE_REUSE', 'this attempt was already signed');
      if (rec?.state === 'pending') return rec.commitment;
      if ((await nonces.count(session, quota.from, quota.to)) >= quota.max)
        throw new MpcError('QUOTA', `coordinator ${quota.coordinator} already had ${quota.max} nonces made for this request`, { culprit: quota.coordinator });
      const fresh = commitNonces(key.secret);
      await nonces.put(session, attempt, fresh.nonces, fresh.commitment); // persist before revealing
      fresh.nonces.hiding.fill(0);
      fresh.nonces.binding.fill(0);
      return fresh.commitment;
    },
    async sign(session, attempt, list, message) {
      const rec = await nonces.get(session, attempt);
      if (!rec) throw new MpcError('NONCE_MISSING', 'no nonce for this attempt');
      if (rec.state === 'used') throw new MpcError('NONCE_REUSE', 'nonce already used: refusing to sign again');
      const mine = list.find((c) => c.index === key.secret.index);
      if (!mine || !equalBytes(mine.hiding, rec.commitment.hiding) || !equalBytes(mine.binding, rec.commitment.binding))
        throw new MpcError('NONCE_REUSE', 'package does not carry our stored commitment');
      const share = signShare(key.public, key.secret, rec.nonces, list, message);
      await nonces.consume(session, attempt); // tombstone before the share leaves
      return share;
    },
  };
}
