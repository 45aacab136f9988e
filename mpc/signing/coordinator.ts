// The coordinator of one signing request. It picks t signers, collects their commitments, sends the
// signing package, aggregates, and only on failure checks shares one by one (identifiable abort).
// A share counts only if it names this attempt's package hash: only such a share is evidence against
// its signer (mpc/signing/evidence.ts), and one answering another package cannot be aggregated anyway.
// Cheaters (with signed evidence) and signers that miss a per-round deadline are excluded and a new
// attempt starts with a fresh subset (ROAST-style), until a signature verifies, fewer than t
// candidates remain, or the request expires. Time comes from the caller (`now`), e.g. block time.
// (Asking every candidate and signing with the first t answers was measured and dropped: on a
// CPU-bound localnet the extra nonces and signatures cost more than the commit skew it hid.)
import type { Logger } from '../../common/log.js';
import { silentLogger } from '../../common/log.js';
import { MpcError } from '../errors.js';
import { equalBytes, open, seal, type Opened } from '../envelope.js';
import type { IdentityKey } from '../identity.js';
import type { PublicKeyPackage } from '../keys/types.js';
import { aggregate, type SigningCommitment } from './frost.js';
import { attemptRange, signingPackageHash, signingSessionId } from './session.js';
import type { CheaterEvidence } from './evidence.js';

export { isProvenCheater, type CheaterEvidence } from './evidence.js';

export type SigningOutbound = { to: Uint8Array; envelope: Uint8Array };

export interface CoordinatorConfig {
  identity: IdentityKey;
  pkg: PublicKeyPackage;
  requestId: string;
  message: Uint8Array;
  now: () => number;
  /** Per-round response deadline, ms. */
  roundTimeoutMs: number;
  /** Absolute expiry of the request, ms. */
  expiresAt: number;
  /**
   * Attempt numbers start after this (default 0). Participants keep one nonce per (session,
   * attempt) and never sign an attempt twice, so two coordinators of the same request (a takeover,
   * a restart) must number their attempts apart or every attempt after the first collides.
   */
  attemptBase?: number;
  /** Rotate the candidate list by this much before taking the first t (spreads signing across the
   * committee, so every member's share is exercised; default 0). */
  rotate?: number;
  /** Members believed unreachable (they missed a recent round and have not been heard from since):
   * picked only when too few others remain, so one dead member does not cost every request a
   * round timeout. */
  suspects?: readonly number[];
  logger?: Logger;
}

type Phase = 'commit' | 'sign' | 'done' | 'failed';

export class SigningCoordinator {
  readonly #cfg: CoordinatorConfig;
  readonly #log: Logger;
  readonly session: Uint8Array;
  readonly excluded = new Map<number, 'no-response' | 'cheater'>();
  readonly evidence: CheaterEvidence[] = [];
  #attempt = 0;
  #phase: Phase = 'commit';
  #deadline = 0;
  #signers: number[] = [];
  #commitments = new Map<number, Opened>();
  #shares = new Map<number, Opened>();
  #package: Uint8Array = new Uint8Array();
  #packageHash: Uint8Array = new Uint8Array();
  #signature: Uint8Array | undefined;
  #error: MpcError | undefined;

  constructor(cfg: CoordinatorConfig) {
    this.#cfg = cfg;
    this.#log = cfg.logger ?? silentLogger();
    this.session = signingSessionId(cfg.pkg, cfg.requestId);
    // Default: the start of our own attempt range (participants refuse attempts outside it).
    this.#attempt = cfg.attemptBase ?? attemptRange(cfg.pkg.members.find((m) => equalBytes(m.identity, cfg.identity.publicKey))?.index ?? 0)[0] - 1;
  }

  get attempt(): number {
    return this.#attempt;
  }
  get signers(): number[] {
    return [...this.#signers];
  }
  get phase(): Phase {
    return this.#phase;
  }
  /** The 65-byte RFC 9591 signature once done. */
  get signature(): Uint8Array | undefined {
    return this.#signature;
  }
  get error(): MpcError | undefined {
    return this.#error;
  }

  /** Starts attempt 1. */
  start(): SigningOutbound[] {
    return this.#newAttempt();
  }

  #fail(e: MpcError): SigningOutbound[] {
    this.#phase = 'failed';
    this.#error = e;
    this.#log.warn({ code: e.code, attempt: this.#attempt }, 'signing request failed');
    return [];
  }

  #identity(index: number): Uint8Array {
    return this.#cfg.pkg.members.find((m) => m.index === index)!.identity;
  }

  #newAttempt(): SigningOutbound[] {
    if (this.#cfg.now() >= this.#cfg.expiresAt) return this.#fail(new MpcError('EXPIRED', 'signing request expired', { excluded: Object.fromEntries(this.excluded) }));
    const candidates = this.#cfg.pkg.members.map((m) => m.index).filter((i) => !this.excluded.has(i));
    const t = this.#cfg.pkg.threshold;
    if (candidates.length < t) return this.#fail(new MpcError('NOT_ENOUGH_PARTICIPANTS', `${candidates.length} candidates left, need ${t}`, { excluded: Object.fromEntries(this.excluded) }));
    this.#attempt++;
    this.#phase = 'commit';
    const r = (this.#cfg.rotate ?? 0) % candidates.length;
    const rotated = [...candidates.slice(r), ...candidates.slice(0, r)];
    const suspect = new Set(this.#cfg.suspects ?? []);
    const ordered = [...rotated.filter((i) => !suspect.has(i)), ...rotated.filter((i) => suspect.has(i))];
    this.#signers = ordered.slice(0, t).sort((a, b) => a - b);
    this.#commitments = new Map();
    this.#shares = new Map();
    this.#packageHash = new Uint8Array();
    this.#deadline = this.#cfg.now() + this.#cfg.roundTimeoutMs;
    const env = seal(this.#cfg.identity, { session: this.session, signRequest: { message: this.#cfg.message, attempt: this.#attempt, signers: this.#signers } });
    return this.#signers.map((i) => ({ to: this.#identity(i), envelope: env }));
  }

  /** Ingests a NonceCommitment or SignatureShare. Stale or foreign messages: typed error, no change. */
  receive(bytes: Uint8Array): SigningOutbound[] {
    if (this.#phase === 'done' || this.#phase === 'failed') throw new MpcError('WRONG_PHASE', `request is ${this.#phase}`);
    const o = open(bytes);
    if (!equalBytes(o.body.session, this.session)) throw new MpcError('WRONG_SESSION', 'message for another request');
    const b = o.body;
    const signer = 'nonceCommitment' in b && b.payload === 'nonceCommitment' ? b.nonceCommitment.signer : 'signatureShare' in b && b.payload === 'signatureShare' ? b.signatureShare.signer : -1;
    const attempt = 'nonceCommitment' in b && b.payload === 'nonceCommitment' ? b.nonceCommitment.attempt : 'signatureShare' in b && b.payload === 'signatureShare' ? b.signatureShare.attempt : -1;
    if (signer < 0) throw new MpcError('MALFORMED', `unexpected payload ${b.payload}`);
    if (attempt !== this.#attempt) throw new MpcError('WRONG_SESSION', `message for attempt ${attempt}, current ${this.#attempt}`);
    if (!this.#signers.includes(signer) || !equalBytes(this.#identity(signer), b.sender)) throw new MpcError('UNKNOWN_SENDER', `sender is not signer ${signer} of this attempt`);
    if ('nonceCommitment' in b && b.payload === 'nonceCommitment') {
      if (this.#phase !== 'commit') throw new MpcError('WRONG_PHASE', 'commitments already collected');
      if (this.#commitments.has(signer)) throw new MpcError('REPLAY', `second commitment from ${signer}`);
      this.#commitments.set(signer, o);
      if (this.#commitments.size < this.#signers.length) return [];
      this.#phase = 'sign';
      this.#deadline = this.#cfg.now() + this.#cfg.roundTimeoutMs;
      this.#package = seal(this.#cfg.identity, {
        session: this.session,
        signingPackage: { message: this.#cfg.message, attempt: this.#attempt, commitments: this.#signers.map((i) => this.#commitments.get(i)!.envelope) },
      });
      this.#packageHash = signingPackageHash(this.session, this.#attempt, this.#cfg.message, this.#list());
      return this.#signers.map((i) => ({ to: this.#identity(i), envelope: this.#package }));
    }
    if (this.#phase !== 'sign') throw new MpcError('WRONG_PHASE', 'not collecting shares');
    if (this.#shares.has(signer)) throw new MpcError('REPLAY', `second share from ${signer}`);
    if (!('signatureShare' in b) || b.signatureShare.share.length !== 32) throw new MpcError('MALFORMED', 'share must be 32 bytes');
    // Not counted (so the signer times out): a share of another package is no evidence against it.
    if (!equalBytes(b.signatureShare.packageHash, this.#packageHash)) throw new MpcError('WRONG_SESSION', `signer ${signer}'s share answers another signing package than ours`);
    this.#shares.set(signer, o);
    if (this.#shares.size < this.#signers.length) return [];
    return this.#aggregate();
  }

  #list(): SigningCommitment[] {
    return this.#signers.map((i) => {
      const b = this.#commitments.get(i)!.body;
      const c = 'nonceCommitment' in b ? b.nonceCommitment : undefined;
      return { index: i, hiding: c!.hiding, binding: c!.binding };
    });
  }

  #aggregate(): SigningOutbound[] {
    const shares = new Map([...this.#shares].map(([i, o]) => [i, 'signatureShare' in o.body ? o.body.signatureShare.share : new Uint8Array()]));
    try {
      this.#signature = aggregate(this.#cfg.pkg, this.#list(), this.#cfg.message, shares);
      this.#phase = 'done';
      return [];
    } catch (e) {
      const cheaters = ((e as MpcError).details?.cheaters as number[] | undefined) ?? [];
      for (const c of cheaters) {
        this.excluded.set(c, 'cheater');
        this.evidence.push({ signer: c, attempt: this.#attempt, package: this.#package, commitment: this.#commitments.get(c)!.envelope, share: this.#shares.get(c)!.envelope });
      }
      this.#log.warn({ attempt: this.#attempt, cheaters }, 'invalid signature shares; retrying without the cheaters');
      if (cheaters.length === 0) return this.#fail(e as MpcError);
      return this.#newAttempt();
    }
  }

  /** Call periodically: on a missed deadline, excludes non-responders and starts a new attempt. */
  tick(): SigningOutbound[] {
    if (this.#phase === 'done' || this.#phase === 'failed') return [];
    if (this.#cfg.now() >= this.#cfg.expiresAt) return this.#fail(new MpcError('EXPIRED', 'signing request expired'));
    if (this.#cfg.now() < this.#deadline) return [];
    const got = this.#phase === 'commit' ? this.#commitments : this.#shares;
    for (const i of this.#signers) if (!got.has(i)) this.excluded.set(i, 'no-response');
    return this.#newAttempt();
  }
}
