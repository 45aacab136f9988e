// Resharing the same group key from an old committee (n, t) to a new one (n', t'): overlapping,
// disjoint, growing, shrinking, threshold up or down. Each old holder i in the dealer set D deals a
// Feldman VSS of lambda_i^D s_i at threshold t'; receivers check C_i0 == lambda_i^D Y_i (so a wrong
// constant is a provable fault) and that the constants sum to the group key. If complaints shrink the
// qualified set Q below D, receivers re-weight each dealing by lambda_i^Q / lambda_i^D, so any
// >= t honest old holders suffice without a redeal. Fewer than t: NOT_ENOUGH_PARTICIPANTS, and the
// old sharing (untouched in the key store) keeps signing.
import type { Logger } from '../../common/log.js';
import { MpcError } from '../errors.js';
import { equalBytes, sessionId } from '../envelope.js';
import type { IdentityKey } from '../identity.js';
import { Fn, lagrangeAtZero } from '../suite.js';
import { ecc, parsePt } from '../ecc.js';
import { thresholdFor } from '../threshold.js';
import { buildPackage, combineCommitments, indexOf, validateCommittee } from './committee.js';
import { SecretShare, type Member, type PublicKeyPackage } from './types.js';
import { dealScaledShare, type Dealing, type ReshareDealingRequest } from './share-math.js';
import { VssEngine } from './vss-engine.js';
import { VssSession, type Fault, type Outbound } from './vss-session.js';
import type { KeygenResult } from './dkg.js';

export interface ReshareConfig {
  /** The sharing in use (its epoch's public package). */
  old: PublicKeyPackage;
  /** Old holders that deal; defaults to all old holders. At least old.threshold. */
  dealers?: number[];
  newMembers: Member[];
  /** Defaults to thresholdFor(newMembers.length). */
  newThreshold?: number;
  newEpoch: number;
  attempt?: number;
  identity: IdentityKey;
  /** Our old share when we are an old holder: the share itself (in-memory use: tests, the bench), or
   * only its index when a ShareVault holds it (the sidecar), and then start() takes the vault's dealing. */
  oldShare?: SecretShare | { index: number };
  logger?: Logger;
}

export function reshareSessionId(cfg: ReshareConfig, dealers: number[], members: Member[], t2: number): Uint8Array {
  const o = cfg.old;
  return sessionId('reshare', o.keyId, o.epoch, o.groupKey, cfg.newEpoch, cfg.attempt ?? 0, o.threshold, dealers.join(','), t2, members.map((m) => m.index).join(','), members.map((m) => m.identity));
}

export class ReshareEngine extends VssEngine {
  readonly #cfg: ReshareConfig;
  readonly #members: Member[];
  readonly #t2: number;
  readonly #dealers: number[];
  readonly #lambdaD: Map<number, bigint>;
  readonly #myDealer: number | undefined;
  readonly #myReceiver: number | undefined;

  constructor(cfg: ReshareConfig) {
    super();
    this.#cfg = cfg;
    const old = cfg.old;
    this.#members = validateCommittee(cfg.newMembers, 'new committee');
    this.#t2 = cfg.newThreshold ?? thresholdFor(this.#members.length);
    if (!Number.isSafeInteger(this.#t2) || this.#t2 < 1 || this.#t2 > this.#members.length) throw new MpcError('INVALID_ARGUMENT', `new threshold ${this.#t2}`);
    this.#dealers = [...new Set(cfg.dealers ?? old.members.map((m) => m.index))].sort((a, b) => a - b);
    if (this.#dealers.some((d) => !old.members.some((m) => m.index === d))) throw new MpcError('INVALID_ARGUMENT', 'dealer is not an old holder');
    if (this.#dealers.length < old.threshold) throw new MpcError('NOT_ENOUGH_PARTICIPANTS', `${this.#dealers.length} dealers, old threshold ${old.threshold}`);
    const xs = this.#dealers.map(BigInt);
    this.#lambdaD = new Map(this.#dealers.map((d) => [d, lagrangeAtZero(xs, BigInt(d))]));
    const oldIdx = indexOf(old.members, cfg.identity);
    this.#myDealer = oldIdx !== undefined && cfg.oldShare && this.#dealers.includes(oldIdx) ? oldIdx : undefined;
    if (cfg.oldShare && oldIdx !== cfg.oldShare.index) throw new MpcError('INVALID_ARGUMENT', 'old share does not belong to this identity');
    this.#myReceiver = indexOf(this.#members, cfg.identity);
    const dealerMembers = old.members.filter((m) => this.#dealers.includes(m.index));
    this.vss = new VssSession(
      {
        session: reshareSessionId(cfg, this.#dealers, this.#members, this.#t2),
        dealers: dealerMembers,
        receivers: this.#members,
        commitmentCount: this.#t2,
        offset: 0,
        proofBytes: 0,
        minDealers: old.threshold,
        checkDealing: (dealer, cs) => {
          const y = old.verifyingShares[dealer];
          return y && cs[0]!.equals(ecc.mul(parsePt(y), this.#lambdaD.get(dealer)!)) ? undefined : 'bad-dealing';
        },
      },
      {
        identity: cfg.identity,
        ...(this.#myDealer !== undefined ? { dealerIndex: this.#myDealer } : {}),
        ...(this.#myReceiver !== undefined ? { receiverIndex: this.#myReceiver } : {}),
      },
      cfg.logger,
    );
  }

  /** What our dealing is (lambda_i^D s_i at t' to the new committee), for the vault holding s_i;
   * undefined when we do not deal. */
  dealingRequest(): ReshareDealingRequest | undefined {
    if (this.#myDealer === undefined) return undefined;
    return { weight: this.#lambdaD.get(this.#myDealer)!, threshold: this.#t2, receivers: this.#members.map((m) => m.index) };
  }

  /** Deals lambda_i s_i to the new committee (old holders only; others return nothing): `dealing`
   * is the vault's answer to dealingRequest(), required unless the config holds the share itself. */
  start(dealing?: Dealing): Outbound[] {
    const req = this.dealingRequest();
    if (!req) return [];
    const share = this.#cfg.oldShare;
    const d = dealing ?? (share instanceof SecretShare ? dealScaledShare(share, req) : undefined);
    if (!d) throw new MpcError('INVALID_ARGUMENT', 'a reshare dealer whose share is in a vault needs the vault\'s dealing');
    if (d.commitments.length !== this.#t2) throw new MpcError('INVALID_ARGUMENT', `dealing has ${d.commitments.length} commitments, threshold ${this.#t2}`);
    try {
      return this.vss.dealValues(d.values, d.commitments);
    } finally {
      d.values.clear();
    }
  }

  /** The new committee's package (same group key, new epoch) and our new share if we are in it. */
  finalise(): KeygenResult {
    const out = this.vss.finalise();
    const xs = out.qualified.map(BigInt);
    const full = out.qualified.length === this.#dealers.length;
    // weight 1 when every dealer qualified (plain additions); otherwise lambda^Q / lambda^D.
    const weight = (d: number) => (full ? 1n : Fn.div(lagrangeAtZero(xs, BigInt(d)), this.#lambdaD.get(d)!));
    const gc = combineCommitments(out.commitments, this.#t2, weight);
    if (gc[0]!.is0() || !equalBytes(gc[0]!.toBytes(true), this.#cfg.old.groupKey))
      throw new MpcError('RESHARE_FAILED', 'dealt constant terms do not sum to the group key', { qualified: out.qualified });
    const pub = buildPackage(this.#cfg.old.keyId, this.#cfg.newEpoch, this.#t2, this.#members, gc);
    let secret: SecretShare | undefined;
    if (this.#myReceiver !== undefined) {
      let s = 0n;
      for (const [d, v] of out.shares) s = Fn.add(s, Fn.mul(weight(d), v));
      secret = new SecretShare(this.#myReceiver, s);
      if (!ecc.mulBase(s).equals(parsePt(pub.verifyingShares[this.#myReceiver]!)))
        throw new MpcError('RESHARE_FAILED', 'our new share does not match its verifying share');
    }
    return { public: pub, ...(secret ? { secret } : {}), qualified: out.qualified, faults: out.faults, falseComplainers: out.falseComplainers };
  }
}
