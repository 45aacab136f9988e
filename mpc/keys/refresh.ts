// Proactive refresh: every holder deals a zero-constant polynomial at the same threshold; each new
// share is the old one plus the qualified dealers' evaluations. The group key does not change; the
// shares (and verifying shares) do, so old and new shares no longer interpolate together. C_0 of a
// zero polynomial is the identity, which has no encoding, so dealings carry C_1..C_{t-1} only.
import type { Logger } from '../../common/log.js';
import { MpcError } from '../errors.js';
import { sessionId } from '../envelope.js';
import type { IdentityKey } from '../identity.js';
import { Fn } from '../suite.js';
import { ecc, parsePt } from '../ecc.js';
import { buildPackage, combineCommitments, indexOf } from './committee.js';
import { SecretShare, type PublicKeyPackage } from './types.js';
import { refreshedShare } from './share-math.js';
import { commitPolynomial, randomPolynomial } from './vss.js';
import { VssEngine } from './vss-engine.js';
import { VssSession, type Fault, type Outbound } from './vss-session.js';
import type { KeygenResult } from './dkg.js';

export interface RefreshConfig {
  current: PublicKeyPackage;
  /** Our share; omitted by an observer (the chain app), which neither deals nor receives. Only its
   * index when a ShareVault holds it (the sidecar): finalise() then returns the delta for the vault
   * to add (ShareVault.storeRefreshed) instead of the new share. */
  share?: SecretShare | { index: number };
  newEpoch: number;
  attempt?: number;
  identity: IdentityKey;
  logger?: Logger;
}

export function refreshSessionId(p: PublicKeyPackage, newEpoch: number, attempt: number): Uint8Array {
  return sessionId('refresh', p.keyId, p.epoch, p.groupKey, newEpoch, attempt, p.threshold, p.members.map((m) => m.index).join(','), p.members.map((m) => m.identity));
}

export class RefreshEngine extends VssEngine {
  readonly #cfg: RefreshConfig;
  readonly #me: number | undefined;

  constructor(cfg: RefreshConfig) {
    super();
    this.#cfg = cfg;
    const me = indexOf(cfg.current.members, cfg.identity);
    if (cfg.share ? me !== cfg.share.index : me !== undefined) throw new MpcError('INVALID_ARGUMENT', 'not a holder of this key, or share/identity mismatch');
    this.#me = cfg.share ? me : undefined;
    const p = cfg.current;
    this.vss = new VssSession(
      {
        session: refreshSessionId(p, cfg.newEpoch, cfg.attempt ?? 0),
        dealers: p.members,
        receivers: p.members,
        commitmentCount: p.threshold - 1,
        offset: 1,
        proofBytes: 0,
        minDealers: p.threshold,
        checkDealing: () => undefined,
      },
      { identity: cfg.identity, ...(this.#me !== undefined ? { dealerIndex: this.#me, receiverIndex: this.#me } : {}) },
      cfg.logger,
    );
  }

  start(): Outbound[] {
    if (this.#me === undefined) throw new MpcError('INVALID_ARGUMENT', 'an observer does not deal');
    const coeffs = randomPolynomial(0n, this.#cfg.current.threshold);
    try {
      return this.vss.deal(coeffs, commitPolynomial(coeffs, 1));
    } finally {
      coeffs.fill(0n);
    }
  }

  finalise(): KeygenResult {
    const out = this.vss.finalise();
    const p = this.#cfg.current;
    const delta = combineCommitments(out.commitments, p.threshold - 1); // coefficients 1..t-1
    const oldGc = p.commitments.map((c) => parsePt(c));
    const gc = oldGc.map((c, k) => (k === 0 ? c : ecc.sum([c, delta[k - 1]!])));
    const pub = buildPackage(p.keyId, this.#cfg.newEpoch, p.threshold, p.members, gc);
    if (this.#me === undefined || !this.#cfg.share) return { public: pub, qualified: out.qualified, faults: out.faults, falseComplainers: out.falseComplainers };
    let sum = 0n;
    for (const v of out.shares.values()) sum = Fn.add(sum, v);
    const base = { public: pub, qualified: out.qualified, faults: out.faults, falseComplainers: out.falseComplainers };
    if (!(this.#cfg.share instanceof SecretShare)) return { ...base, refreshDelta: sum };
    return { ...base, secret: refreshedShare(this.#cfg.share, sum, pub) };
  }
}
