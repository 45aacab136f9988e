// Pedersen DKG with proofs of knowledge (RFC 9591 / frost-rs style) as a messages-in/messages-out
// engine: start() publishes our commitments and sends shares, receive() ingests others', complain()
// accuses dealers of bad or missing shares, finalise() yields the key from the qualified set.
// Dealing produces noble's DKG.round1 format (polynomial, commitments, proof of knowledge); the round2/round3
// checks are done per dealer here, because noble's require every party and stop at the first bad
// package without naming it, while complaints need a verdict per dealer and a qualified subset.
import type { Logger } from '../../common/log.js';
import { MpcError } from '../errors.js';
import { sessionId } from '../envelope.js';
import type { IdentityKey } from '../identity.js';
import { isL1CompatibleGroupKey } from '../l1.js';
import { Fn, randomScalar } from '../suite.js';
import { thresholdFor } from '../threshold.js';
import { buildPackage, combineCommitments, indexOf, validateCommittee } from './committee.js';
import { SecretShare, type Member, type PublicKeyPackage } from './types.js';
import { commitPolynomial, POK_BYTES, provePossession, randomPolynomial, verifyPossession } from './vss.js';
import { VssEngine } from './vss-engine.js';
import { VssSession, type Fault, type Outbound } from './vss-session.js';

export interface DkgConfig {
  keyId: string;
  epoch: number;
  /** Bumped on every rerun (e.g. after GROUP_KEY_UNUSABLE) so messages of different runs never mix. */
  attempt?: number;
  members: Member[];
  /** Defaults to thresholdFor(members.length). */
  threshold?: number;
  identity: IdentityKey;
  logger?: Logger;
  /** Group key acceptance rule; defaults to the L1 rule (x < n). Overridable for tests only. */
  acceptGroupKey?: (groupKey: Uint8Array) => boolean;
}

export interface KeygenResult {
  public: PublicKeyPackage;
  /** Our share; undefined when we are not among the key holders. */
  secret?: SecretShare;
  /** A refresh of a vault-held share (RefreshConfig.share an index): what the vault adds to it. */
  refreshDelta?: bigint;
  qualified: number[];
  faults: Fault[];
  falseComplainers: number[];
}

export function dkgSessionId(cfg: Pick<DkgConfig, 'keyId' | 'epoch' | 'attempt' | 'members' | 'threshold'>): Uint8Array {
  const members = validateCommittee(cfg.members);
  const t = cfg.threshold ?? thresholdFor(members.length);
  return sessionId('dkg', cfg.keyId, cfg.epoch, cfg.attempt ?? 0, t, members.map((m) => m.index).join(','), members.map((m) => m.identity));
}

export class DkgEngine extends VssEngine {
  readonly #cfg: DkgConfig;
  readonly #members: Member[];
  readonly #t: number;
  readonly #me: number | undefined;

  constructor(cfg: DkgConfig) {
    super();
    this.#cfg = cfg;
    this.#members = validateCommittee(cfg.members);
    this.#t = cfg.threshold ?? thresholdFor(this.#members.length);
    if (!Number.isSafeInteger(this.#t) || this.#t < 1 || this.#t > this.#members.length) throw new MpcError('INVALID_ARGUMENT', `threshold ${this.#t}`);
    this.#me = indexOf(this.#members, cfg.identity);
    this.vss = new VssSession(
      {
        session: dkgSessionId(cfg),
        dealers: this.#members,
        receivers: this.#members,
        commitmentCount: this.#t,
        offset: 0,
        proofBytes: POK_BYTES,
        minDealers: this.#t,
        checkDealing: (dealer, cs, proof) => (verifyPossession(dealer, cs[0]!, proof) ? undefined : 'bad-proof'),
      },
      { identity: cfg.identity, ...(this.#me !== undefined ? { dealerIndex: this.#me, receiverIndex: this.#me } : {}) },
      cfg.logger,
    );
  }

  /**
   * Our public dealing (commitments + proof of knowledge) and one private share per member. The
   * dealing is noble's DKG.round1 format (C_k = a_k G compressed, PoK R || mu with
   * c = H_dkg(id || C_0 || R)), produced here with libsecp256k1's constant-time base multiplication:
   * noble's round1 spent ~0.7 ms per coefficient. The same code covers t = 1, which noble refuses.
   */
  start(): Outbound[] {
    if (this.#me === undefined) throw new MpcError('INVALID_ARGUMENT', 'not a member of this DKG');
    const coeffs = randomPolynomial(randomScalar(), this.#t);
    try {
      return this.vss.deal(coeffs, commitPolynomial(coeffs), provePossession(this.#me, coeffs[0]!));
    } finally {
      coeffs.fill(0n);
    }
  }

  /**
   * Key holders are the qualified dealers; the group key is the sum of their C_0. Throws
   * GROUP_KEY_UNUSABLE when the key's x-coordinate is >= n: rerun with attempt + 1.
   */
  finalise(): KeygenResult {
    const out = this.vss.finalise();
    const gc = combineCommitments(out.commitments, this.#t);
    const groupKey = gc[0]!.toBytes(true);
    const accept = this.#cfg.acceptGroupKey ?? isL1CompatibleGroupKey;
    if (!accept(groupKey)) throw new MpcError('GROUP_KEY_UNUSABLE', 'group key x-coordinate >= curve order; rerun the DKG with a new attempt', { groupKey });
    const holders = this.#members.filter((m) => out.qualified.includes(m.index));
    const pub = buildPackage(this.#cfg.keyId, this.#cfg.epoch, this.#t, holders, gc);
    let secret: SecretShare | undefined;
    if (this.#me !== undefined && out.qualified.includes(this.#me)) {
      let s = 0n;
      for (const v of out.shares.values()) s = Fn.add(s, v);
      secret = new SecretShare(this.#me, s);
    }
    return { public: pub, ...(secret ? { secret } : {}), qualified: out.qualified, faults: out.faults, falseComplainers: out.falseComplainers };
  }
}
