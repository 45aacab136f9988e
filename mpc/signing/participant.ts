// A key holder's side of signing. Round 1: check the request is approved (DESIGN decision 8), create
// nonces, persist them, only then reveal the commitment. Round 2: check the package (coordinator's
// signature, every listed commitment signed by its signer, ours unchanged), sign once, tombstone the
// nonce, then release the share, which names the hash of that exact package (a share is evidence
// only against the package its signer answered; decision 24). Replays of either round after a crash
// are answered idempotently (same commitment) or refused (NONCE_REUSE), never with a second share
// for the same nonce. Any key holder may coordinate (not only the one ranked for the request): with
// the package hash in the share a coordinator can frame nobody, and ranks are each node's own view
// (decision 24 says why a strict rule was not taken). The share and nonces sit behind a ShareSigner
// (share-signer.ts), so the participant itself never holds either.
import type { Logger } from '../../common/log.js';
import { silentLogger } from '../../common/log.js';
import { MpcError } from '../errors.js';
import { equalBytes, open, openEnvelope, seal } from '../envelope.js';
import type { IdentityKey } from '../identity.js';
import type { KeyShare, PublicKeyPackage } from '../keys/types.js';
import { type SigningCommitment } from './frost.js';
import { attemptOwner, attemptRange, MAX_NONCES_PER_COORDINATOR, signingPackageHash } from './session.js';
import { nonceStoreSigner, type NonceStore, type ShareSigner } from './share-signer.js';

export type { NonceRecord, NonceStore, ShareSigner } from './share-signer.js';

/** Our key: the share in memory with its nonce store (tests, the bench), or its public package, our
 * index and the signer of the vault that holds the share (the sidecar). */
export type ParticipantKey = { key: KeyShare; nonces: NonceStore } | { pkg: PublicKeyPackage; index: number; signer: ShareSigner };

export type ParticipantConfig = ParticipantKey & {
  identity: IdentityKey;
  /** True when `message` is what consensus approved for this session and we re-derived it. */
  approve: (session: Uint8Array, message: Uint8Array) => boolean | Promise<boolean>;
  logger?: Logger;
};

export class SigningParticipant {
  readonly #cfg: ParticipantConfig;
  readonly #log: Logger;
  readonly #pkg: PublicKeyPackage;
  readonly #me: number;
  readonly #signer: ShareSigner;
  constructor(cfg: ParticipantConfig) {
    this.#cfg = cfg;
    this.#log = cfg.logger ?? silentLogger();
    if ('signer' in cfg) [this.#pkg, this.#me, this.#signer] = [cfg.pkg, cfg.index, cfg.signer];
    else [this.#pkg, this.#me, this.#signer] = [cfg.key.public, cfg.key.secret.index, nonceStoreSigner(cfg.key, cfg.nonces)];
  }

  #fromCoordinator(bytes: Uint8Array) {
    const o = open(bytes);
    const coordinator = this.#pkg.members.find((m) => equalBytes(m.identity, o.body.sender));
    if (!coordinator) throw new MpcError('UNKNOWN_SENDER', 'coordinator is not a key holder');
    return { ...o, coordinator: coordinator.index };
  }

  /** Handles a SignRequest; returns our signed NonceCommitment. */
  async onRequest(bytes: Uint8Array): Promise<Uint8Array> {
    const o = this.#fromCoordinator(bytes);
    if (!('signRequest' in o.body) || o.body.payload !== 'signRequest') throw new MpcError('MALFORMED', 'expected a SignRequest');
    const { message, attempt, signers } = o.body.signRequest;
    const me = this.#me;
    if (!signers.includes(me)) throw new MpcError('WRONG_RECIPIENT', 'we are not in the requested signer set');
    if (!(await this.#cfg.approve(o.body.session, message))) throw new MpcError('NOT_APPROVED', 'request not approved or payload mismatch');
    const session = o.body.session;
    if (attemptOwner(attempt) !== o.coordinator) throw new MpcError('WRONG_ATTEMPT', `attempt ${attempt} is not in coordinator ${o.coordinator}'s range`, { culprit: o.coordinator });
    const [from, to] = attemptRange(o.coordinator);
    const commitment: SigningCommitment = await this.#signer.commit(session, attempt, { coordinator: o.coordinator, from, to, max: MAX_NONCES_PER_COORDINATOR });
    return seal(this.#cfg.identity, { session, nonceCommitment: { signer: me, attempt, hiding: commitment.hiding, binding: commitment.binding } });
  }

  /** Handles a SigningPackage; returns our signed SignatureShare. */
  async onPackage(bytes: Uint8Array): Promise<Uint8Array> {
    const o = this.#fromCoordinator(bytes);
    if (!('signingPackage' in o.body) || o.body.payload !== 'signingPackage') throw new MpcError('MALFORMED', 'expected a SigningPackage');
    const { message, attempt, commitments } = o.body.signingPackage;
    const session = o.body.session;
    const pkg = this.#pkg;
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
    const share = await this.#signer.sign(session, attempt, list, message); // nonce tombstoned inside
    this.#log.debug({ attempt, signers: list.length }, 'signature share produced');
    const packageHash = signingPackageHash(session, attempt, message, list);
    return seal(this.#cfg.identity, { session, signatureShare: { signer: this.#me, attempt, share, packageHash } });
  }
}
