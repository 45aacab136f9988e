// A key holder's side of signing. Round 1: check the request is approved (DESIGN decision 8), create
// nonces, persist them, only then reveal the commitment. Round 2: check the package (coordinator's
// signature, every listed commitment signed by its signer, ours unchanged), sign once, tombstone the
// nonce, then release the share, which names the hash of that exact package (a share is evidence
// only against the package its signer answered; decision 24). Replays of either round after a crash
// are answered idempotently (same commitment) or refused (NONCE_REUSE), never with a second share
// for the same nonce. Any key holder may coordinate (not only the one ranked for the request): with
// the package hash in the share a coordinator can frame nobody, and ranks are each node's own view
// (decision 24 says why a strict rule was not taken).
import type { Logger } from '../../common/log.js';
import { silentLogger } from '../../common/log.js';
import { MpcError } from '../errors.js';
import { equalBytes, open, openEnvelope, seal } from '../envelope.js';
import type { IdentityKey } from '../identity.js';
import type { KeyShare } from '../keys/types.js';
import { commitNonces, signShare, type SigningCommitment, type SigningNonces } from './frost.js';
import { attemptOwner, attemptRange, MAX_NONCES_PER_COORDINATOR, signingPackageHash } from './session.js';

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

export interface ParticipantConfig {
  identity: IdentityKey;
  key: KeyShare;
  nonces: NonceStore;
  /** True when `message` is what consensus approved for this session and we re-derived it. */
  approve: (session: Uint8Array, message: Uint8Array) => boolean | Promise<boolean>;
  logger?: Logger;
}

export class SigningParticipant {
  readonly #cfg: ParticipantConfig;
  readonly #log: Logger;
  constructor(cfg: ParticipantConfig) {
    this.#cfg = cfg;
    this.#log = cfg.logger ?? silentLogger();
  }

  #fromCoordinator(bytes: Uint8Array) {
    const o = open(bytes);
    const coordinator = this.#cfg.key.public.members.find((m) => equalBytes(m.identity, o.body.sender));
    if (!coordinator) throw new MpcError('UNKNOWN_SENDER', 'coordinator is not a key holder');
    return { ...o, coordinator: coordinator.index };
  }

  /** Handles a SignRequest; returns our signed NonceCommitment. */
  async onRequest(bytes: Uint8Array): Promise<Uint8Array> {
    const o = this.#fromCoordinator(bytes);
    if (!('signRequest' in o.body) || o.body.payload !== 'signRequest') throw new MpcError('MALFORMED', 'expected a SignRequest');
    const { message, attempt, signers } = o.body.signRequest;
    const me = this.#cfg.key.secret.index;
    if (!signers.includes(me)) throw new MpcError('WRONG_RECIPIENT', 'we are not in the requested signer set');
    if (!(await this.#cfg.approve(o.body.session, message))) throw new MpcError('NOT_APPROVED', 'request not approved or payload mismatch');
    const session = o.body.session;
    if (attemptOwner(attempt) !== o.coordinator) throw new MpcError('WRONG_ATTEMPT', `attempt ${attempt} is not in coordinator ${o.coordinator}'s range`, { culprit: o.coordinator });
    let rec = await this.#cfg.nonces.get(session, attempt);
    if (rec?.state === 'used') throw new MpcError('NONCE_REUSE', 'this attempt was already signed');
    let commitment: SigningCommitment;
    if (rec?.state === 'pending') commitment = rec.commitment;
    else {
      const [lo, hi] = attemptRange(o.coordinator);
      if ((await this.#cfg.nonces.count(session, lo, hi)) >= MAX_NONCES_PER_COORDINATOR)
        throw new MpcError('QUOTA', `coordinator ${o.coordinator} already had ${MAX_NONCES_PER_COORDINATOR} nonces made for this request`, { culprit: o.coordinator });
      const fresh = commitNonces(this.#cfg.key.secret);
      await this.#cfg.nonces.put(session, attempt, fresh.nonces, fresh.commitment); // persist before revealing
      fresh.nonces.hiding.fill(0);
      fresh.nonces.binding.fill(0);
      commitment = fresh.commitment;
    }
    return seal(this.#cfg.identity, { session, nonceCommitment: { signer: me, attempt, hiding: commitment.hiding, binding: commitment.binding } });
  }

  /** Handles a SigningPackage; returns our signed SignatureShare. */
  async onPackage(bytes: Uint8Array): Promise<Uint8Array> {
    const o = this.#fromCoordinator(bytes);
    if (!('signingPackage' in o.body) || o.body.payload !== 'signingPackage') throw new MpcError('MALFORMED', 'expected a SigningPackage');
    const { message, attempt, commitments } = o.body.signingPackage;
    const session = o.body.session;
    const pkg = this.#cfg.key.public;
    const list = commitments.map((env) => {
      const c = openEnvelope(env);
      if (!equalBytes(c.body.session, session) || !('nonceCommitment' in c.body) || c.body.payload !== 'nonceCommitment' || c.body.nonceCommitment.attempt !== attempt)
        throw new MpcError('MALFORMED', 'package carries a commitment of another session or attempt');
      const nc = c.body.nonceCommitment;
      const m = pkg.members.find((x) => x.index === nc.signer);
      if (!m || !equalBytes(m.identity, c.body.sender)) throw new MpcError('UNKNOWN_SENDER', `commitment not signed by signer ${nc.signer}`);
      return { index: nc.signer, hiding: nc.hiding, binding: nc.binding };
    });
    if (new Set(list.map((c) => c.index)).size !== list.length || list.length < pkg.threshold) throw new MpcError('MALFORMED', 'duplicate or too few signers');
    if (!(await this.#cfg.approve(session, message))) throw new MpcError('NOT_APPROVED', 'request not approved or payload mismatch');
    const rec = await this.#cfg.nonces.get(session, attempt);
    if (!rec) throw new MpcError('NONCE_MISSING', 'no nonce for this attempt');
    if (rec.state === 'used') throw new MpcError('NONCE_REUSE', 'nonce already used: refusing to sign again');
    const mine = list.find((c) => c.index === this.#cfg.key.secret.index);
    if (!mine || !equalBytes(mine.hiding, rec.commitment.hiding) || !equalBytes(mine.binding, rec.commitment.binding))
      throw new MpcError('NONCE_REUSE', 'package does not carry our stored commitment');
    const share = signShare(pkg, this.#cfg.key.secret, rec.nonces, list, message);
    await this.#cfg.nonces.consume(session, attempt); // tombstone before the share leaves
    this.#log.debug({ attempt, signers: list.length }, 'signature share produced');
    const packageHash = signingPackageHash(session, attempt, message, list);
    return seal(this.#cfg.identity, { session, signatureShare: { signer: this.#cfg.key.secret.index, attempt, share, packageHash } });
  }
}
