// The protocol engine shared by DKG, reshare and refresh: dealers publish Feldman commitments
// (public channel), send each receiver its share (private channel), receivers complain with the
// dealer's own signed share as evidence, dealers answer missing-share complaints publicly, and
// finalisation derives the qualified dealer set from the public transcript alone, so every honest
// party (and the chain app) computes the same set. Kind-specific rules (what C_0 must be, proofs)
// come in through `VssRules`; combining the qualified dealings is left to dkg.ts/reshare.ts/refresh.ts.
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Logger } from '../../common/log.js';
import { silentLogger } from '../../common/log.js';
import { encodeEnvelope, type EnvelopeMsg } from '../../proto/mpc.js';
import { MpcError } from '../errors.js';
import { equalBytes, open, openEnvelope, seal, type Opened } from '../envelope.js';
import { scalarBytes } from '../suite.js';
import { type EcPoint, parsePt } from '../ecc.js';
import { shareFor, shareMatches } from './vss.js';
import type { Member } from './types.js';
import type { Fault, Me, Outbound, VssRules } from './vss-types.js';
import { transcriptLimits, type TranscriptLimits } from './transcript-limits.js';
import { judgeShareEvidence, safeScalar } from './vss-evidence.js';

export { judgeShareEvidence } from './vss-evidence.js';
export type { Fault, Me, Outbound, VssRules } from './vss-types.js';

interface DealingRec {
  opened: Opened;
  commitments: EcPoint[];
}
interface ShareRec {
  envelope: EnvelopeMsg;
  value: bigint | undefined; // undefined: not a canonical scalar (a fault in itself)
}
type Verdict = 'valid' | 'false' | 'pending' | 'resolved';
interface ComplaintRec {
  opened: Opened;
  recipient: number;
  accused: number;
  evidence?: EnvelopeMsg;
}

/** A message that passed every check receive() makes, with what its payload needs to be applied. */
type Admitted =
  | { kind: 'dealing'; o: Opened; dealer: number; first: { commitments: EcPoint[]; proof: Uint8Array } | undefined }
  | { kind: 'share'; o: Opened; dealer: number; value: Uint8Array }
  | { kind: 'complaint'; o: Opened; recipient: number; accused: number; evidence: EnvelopeMsg | undefined }
  | { kind: 'justification'; o: Opened; dealer: number; recipient: number; value: bigint | undefined };

/** What finalisation hands to the kind-specific combiner. */
export interface VssOutcome {
  qualified: number[];
  faults: Fault[];
  falseComplainers: number[];
  commitments: Map<number, EcPoint[]>;
  /** Shares dealt to us by each qualified dealer (only when we are a receiver). */
  shares: Map<number, bigint>;
}

export class VssSession {
  readonly #rules: VssRules;
  readonly #me: Me;
  readonly #log: Logger;
  readonly #seen = new Set<string>();
  readonly #dealings = new Map<number, DealingRec>();
  readonly #faults = new Map<number, Fault>();
  readonly #shares = new Map<number, ShareRec>(); // shares addressed to us, by dealer
  readonly #complaints = new Map<string, ComplaintRec>(); // `${recipient}:${accused}`
  readonly #justified = new Map<string, bigint>(); // `${recipient}:${dealer}` -> publicly revealed valid share
  readonly #answered = new Set<string>(); // `${recipient}:${dealer}`: missing-share complaints with a justification
  readonly #falseComplainers = new Set<number>();
  readonly #sentShares = new Map<number, Uint8Array>(); // our signed shares by recipient, to justify
  readonly #checked = new Map<string, boolean>(); // Feldman verdicts by dealer:recipient:value
  readonly #limits: TranscriptLimits;
  #dealt = false;
  #finalised = false;

  constructor(rules: VssRules, me: Me, logger: Logger = silentLogger()) {
    this.#rules = rules;
    this.#me = me;
    this.#log = logger;
    this.#limits = transcriptLimits({ dealers: rules.dealers.length, receivers: rules.receivers.length, commitmentCount: rules.commitmentCount, proofBytes: rules.proofBytes });
    if (me.dealerIndex !== undefined) this.#member(rules.dealers, me.dealerIndex, me.identity.publicKey, 'dealer');
    if (me.receiverIndex !== undefined) this.#member(rules.receivers, me.receiverIndex, me.identity.publicKey, 'receiver');
  }

  get session(): Uint8Array {
    return this.#rules.session;
  }

  /** The byte caps of this session's messages and of its whole public transcript (decision 28). */
  get limits(): TranscriptLimits {
    return this.#limits;
  }

  /** Whether `dealer` has a dealing in the transcript (an equivocating or disqualified one too). */
  hasDealt(dealer: number): boolean {
    return this.#dealings.has(dealer);
  }

  /** Publishes our dealing and sends each receiver its share. `coeffs` are wiped by the caller. */
  deal(coeffs: readonly bigint[], commitments: Uint8Array[], proof: Uint8Array = new Uint8Array()): Outbound[] {
    return this.dealValues(new Map(this.#rules.receivers.map((r) => [r.index, shareFor(coeffs, r.index)])), commitments, proof);
  }

  /** deal() from the polynomial's value at each receiver, computed where the polynomial lives (a
   * reshare dealer's share vault: its constant is the dealer's weighted share, which never leaves). */
  dealValues(values: ReadonlyMap<number, bigint>, commitments: Uint8Array[], proof: Uint8Array = new Uint8Array()): Outbound[] {
    if (this.#rules.receivers.some((r) => values.get(r.index) === undefined)) throw new MpcError('INVALID_ARGUMENT', 'dealing lacks a value for some receiver');
    const dealer = this.#me.dealerIndex;
    if (dealer === undefined) throw new MpcError('INVALID_ARGUMENT', 'not a dealer in this session');
    if (this.#dealt || this.#finalised) throw new MpcError('WRONG_PHASE', 'already dealt');
    this.#dealt = true;
    const out: Outbound[] = [];
    const pub = seal(this.#me.identity, { session: this.#rules.session, dealing: { dealer, commitments, proofOfKnowledge: proof } });
    this.receive(pub);
    out.push({ channel: 'public', envelope: pub });
    for (const r of this.#rules.receivers) {
      const env = seal(this.#me.identity, { session: this.#rules.session, share: { dealer, recipient: r.index, value: scalarBytes(values.get(r.index)!) } });
      this.#sentShares.set(r.index, env);
      if (r.index === this.#me.receiverIndex) this.receive(env);
      else out.push({ channel: 'private', to: r.identity, envelope: env });
    }
    return out;
  }

  /**
   * Processes one incoming envelope. Throws MpcError (and changes nothing) for malformed, unsigned,
   * replayed, misaddressed, oversized, out-of-phase or redundant messages. Proven faults are recorded
   * and returned.
   */
  receive(bytes: Uint8Array): { outbound: Outbound[]; fault?: Fault } {
    const m = this.#admit(bytes);
    let res: { outbound: Outbound[]; fault?: Fault };
    if (m.kind === 'dealing') res = this.#onDealing(m.o, m.dealer, m.first);
    else if (m.kind === 'share') res = this.#onShare(m.o, m.dealer, m.value);
    else if (m.kind === 'complaint') res = this.#onComplaint(m.o, m.recipient, m.accused, m.evidence);
    else res = this.#onJustification(m.o, m.dealer, m.recipient, m.value);
    this.#seen.add(m.o.id);
    return res;
  }

  /**
   * Throws exactly when receive() would and changes nothing: the chain app's CheckTx judges a
   * message against the engine of the committed transcript without advancing it. Returns the payload.
   */
  check(bytes: Uint8Array): string {
    return this.#admit(bytes).o.body.payload;
  }

  /**
   * Every check of receive(), before anything changes. Beyond well-formedness, what bounds the
   * transcript (decision 28): per-kind byte caps; at most two dealings per dealer (a second one is
   * the equivocation evidence, a third proves nothing new); a justification only for a missing-share
   * complaint against its sender, once. Complaints are already one per (receiver, dealer).
   */
  #admit(bytes: Uint8Array): Admitted {
    if (this.#finalised) throw new MpcError('WRONG_PHASE', 'session already finalised');
    const o = open(bytes);
    if (!equalBytes(o.body.session, this.#rules.session)) throw new MpcError('WRONG_SESSION', 'message for another session');
    if (this.#seen.has(o.id)) throw new MpcError('REPLAY', 'message already processed');
    const b = o.body;
    const cap = (kind: keyof TranscriptLimits) => {
      if (bytes.length > this.#limits[kind]) throw new MpcError('MALFORMED', `${kind} of ${bytes.length} bytes exceeds this session's cap of ${this.#limits[kind]}`);
    };
    if ('dealing' in b && b.payload === 'dealing') {
      cap('dealing');
      const { dealer, commitments: raw } = b.dealing;
      this.#member(this.#rules.dealers, dealer, b.sender, 'dealer');
      if (this.#dealings.has(dealer)) {
        if (this.#faults.has(dealer)) throw new MpcError('EQUIVOCATION', `dealer ${dealer} is already disqualified; a further dealing proves nothing new`);
        return { kind: 'dealing', o, dealer, first: undefined };
      }
      if (raw.length !== this.#rules.commitmentCount) throw new MpcError('MALFORMED', `dealing has ${raw.length} commitments, expected ${this.#rules.commitmentCount}`);
      const commitments = raw.map((c, k) => parsePt(c, `commitment ${k}`));
      return { kind: 'dealing', o, dealer, first: { commitments, proof: b.dealing.proofOfKnowledge ?? new Uint8Array() } };
    }
    if ('share' in b && b.payload === 'share') {
      // An oversized share is refused like a missing one: its receiver then complains without
      // evidence, and the dealer must reveal a share of honest size.
      cap('share');
      const { dealer, recipient, value } = b.share;
      this.#member(this.#rules.dealers, dealer, b.sender, 'dealer');
      if (recipient !== this.#me.receiverIndex) throw new MpcError('WRONG_RECIPIENT', `share for ${recipient} delivered to ${this.#me.receiverIndex}`);
      if (this.#shares.has(dealer)) throw new MpcError('EQUIVOCATION', `second share from dealer ${dealer} ignored`);
      return { kind: 'share', o, dealer, value };
    }
    if ('complaint' in b && b.payload === 'complaint') {
      cap('complaint');
      const { recipient, accused, evidence } = b.complaint;
      this.#member(this.#rules.receivers, recipient, b.sender, 'receiver');
      if (!this.#rules.dealers.some((d) => d.index === accused)) throw new MpcError('MALFORMED', `complaint against unknown dealer ${accused}`);
      if (this.#complaints.has(`${recipient}:${accused}`)) throw new MpcError('EQUIVOCATION', `second complaint ${recipient}:${accused} ignored`);
      return { kind: 'complaint', o, recipient, accused, evidence: evidence && evidence.body.length > 0 ? evidence : undefined };
    }
    if ('justification' in b && b.payload === 'justification') {
      cap('justification');
      const inner = openEnvelope(b.justification.share);
      const dealer = this.#rules.dealers.find((d) => equalBytes(d.identity, b.sender));
      if (!dealer || !equalBytes(inner.body.sender, b.sender)) throw new MpcError('UNKNOWN_SENDER', 'justification not by the share dealer');
      const ib = inner.body;
      if (!('share' in ib) || ib.payload !== 'share' || !equalBytes(ib.session, this.#rules.session) || ib.share.dealer !== dealer.index)
        throw new MpcError('MALFORMED', 'justification does not carry a share of this session');
      const key = `${ib.share.recipient}:${dealer.index}`;
      const c = this.#complaints.get(key);
      if (!c || c.evidence) throw new MpcError('WRONG_PHASE', `no missing-share complaint by receiver ${ib.share.recipient} against dealer ${dealer.index} to justify`);
      if (this.#answered.has(key)) throw new MpcError('EQUIVOCATION', `complaint ${key} is already answered`);
      return { kind: 'justification', o, dealer: dealer.index, recipient: ib.share.recipient, value: safeScalar(ib.share.value) };
    }
    throw new MpcError('MALFORMED', `unexpected payload ${b.payload} in a VSS session`);
  }

  /** The signed share envelopes addressed to us that we hold, by dealer (our own to ourselves
   * included): with the public transcript, all a restarted sidecar needs to finish the session.
   * Secret material: the caller stores it encrypted. */
  receivedShares(): Map<number, Uint8Array> {
    return new Map([...this.#shares].map(([dealer, s]) => [dealer, encodeEnvelope(s.envelope)]));
  }

  /** The signed shares we dealt, by recipient (secret: the caller stores them encrypted). */
  sentShares(): Map<number, Uint8Array> {
    return new Map(this.#sentShares);
  }

  /**
   * After a restart: the shares we dealt before it (our dealing is already on chain and cannot be
   * made again), so we can deliver the ones that did not arrive and justify against complaints.
   * Only envelopes we signed, for this session, as its dealer, to its receivers are taken.
   */
  restoreSentShares(envelopes: Iterable<Uint8Array>): void {
    const dealer = this.#me.dealerIndex;
    if (dealer === undefined) throw new MpcError('INVALID_ARGUMENT', 'not a dealer in this session');
    for (const env of envelopes) {
      const o = open(env);
      const b = o.body;
      if (!('share' in b) || b.payload !== 'share' || !equalBytes(b.session, this.#rules.session) || !equalBytes(b.sender, this.#me.identity.publicKey) || b.share.dealer !== dealer) throw new MpcError('MALFORMED', 'not a share we dealt in this session');
      if (!this.#rules.receivers.some((r) => r.index === b.share.recipient)) throw new MpcError('MALFORMED', `share for unknown receiver ${b.share.recipient}`);
      this.#sentShares.set(b.share.recipient, env);
    }
    this.#dealt = true;
  }

  /** Complaints about our missing or bad shares, to publish when the share deadline passes. */
  complain(): Outbound[] {
    const me = this.#me.receiverIndex;
    if (me === undefined || this.#finalised) return [];
    const out: Outbound[] = [];
    for (const [dealer] of this.#dealings) {
      if (this.#faults.has(dealer) || this.#complaints.has(`${me}:${dealer}`)) continue;
      const s = this.#shares.get(dealer);
      if (s && this.#shareOk(dealer, me, s.value)) continue;
      const env = seal(this.#me.identity, { session: this.#rules.session, complaint: { recipient: me, accused: dealer, ...(s ? { evidence: s.envelope } : {}) } });
      this.receive(env);
      out.push({ channel: 'public', envelope: env });
    }
    return out;
  }

  /** Derives the qualified set from the public transcript and returns our shares from it. */
  finalise(): VssOutcome {
    if (this.#finalised) throw new MpcError('WRONG_PHASE', 'session already finalised');
    for (const c of this.#complaints.values()) this.#judge(c, true);
    const qualified = [...this.#dealings.keys()].filter((d) => !this.#faults.has(d)).sort((a, b) => a - b);
    if (qualified.length < this.#rules.minDealers)
      throw new MpcError('NOT_ENOUGH_PARTICIPANTS', `${qualified.length} qualified dealers, need ${this.#rules.minDealers}`, {
        qualified,
        faults: [...this.#faults.values()],
      });
    const shares = new Map<number, bigint>();
    const me = this.#me.receiverIndex;
    if (me !== undefined) {
      for (const d of qualified) {
        const v = this.#justified.get(`${me}:${d}`) ?? this.#shares.get(d)?.value;
        if (v === undefined || !this.#shareOk(d, me, v)) throw new MpcError('MISSING_SHARE', `no valid share from dealer ${d}; complain before finalising`);
        shares.set(d, v);
      }
    }
    this.#finalised = true;
    const commitments = new Map(qualified.map((d) => [d, this.#dealings.get(d)!.commitments]));
    this.#log.info({ session: bytesToHex(this.#rules.session).slice(0, 16), qualified: qualified.length, faults: this.#faults.size }, 'vss session finalised');
    return { qualified, faults: [...this.#faults.values()], falseComplainers: [...this.#falseComplainers].sort((a, b) => a - b), commitments, shares };
  }

  /**
   * Current view (for tests, status queries and the chain app). `unanswered`: missing-share
   * complaints against a dealer that dealt, is not disqualified and has not justified yet.
   */
  status(): { dealings: number[]; faults: Fault[]; falseComplainers: number[]; unanswered: { recipient: number; accused: number }[] } {
    const unanswered = [...this.#complaints.values()]
      .filter((c) => !c.evidence && this.#dealings.has(c.accused) && !this.#faults.has(c.accused) && !this.#justified.has(`${c.recipient}:${c.accused}`))
      .map((c) => ({ recipient: c.recipient, accused: c.accused }))
      .sort((a, b) => a.accused - b.accused || a.recipient - b.recipient);
    return { dealings: [...this.#dealings.keys()].sort((a, b) => a - b), faults: [...this.#faults.values()], falseComplainers: [...this.#falseComplainers], unanswered };
  }

  #member(list: readonly Member[], index: number, sender: Uint8Array, role: string): Member {
    const m = list.find((x) => x.index === index);
    if (!m || !equalBytes(m.identity, sender)) throw new MpcError('UNKNOWN_SENDER', `sender is not ${role} ${index} of this session`);
    return m;
  }

  #shareOk(dealer: number, recipient: number, value: bigint | undefined): boolean {
    const d = this.#dealings.get(dealer);
    if (d === undefined || value === undefined) return false;
    // A dealing's commitments never change once stored (a second one is equivocation), so a verdict
    // on (dealer, recipient, value) is final; complain() and finalise() used to run the same
    // constant-time check twice per dealer (a fifth of a DKG's CPU at n = 10).
    const key = `${dealer}:${recipient}:${value}`;
    let ok = this.#checked.get(key);
    if (ok === undefined) {
      ok = shareMatches(d.commitments, recipient, value, this.#rules.offset);
      this.#checked.set(key, ok);
    }
    return ok;
  }

  #fault(f: Fault): Fault {
    if (!this.#faults.has(f.dealer)) {
      this.#faults.set(f.dealer, f);
      this.#log.warn({ dealer: f.dealer, reason: f.reason }, 'dealer disqualified');
    }
    return this.#faults.get(f.dealer)!;
  }

  #onDealing(o: Opened, dealer: number, first: { commitments: EcPoint[]; proof: Uint8Array } | undefined) {
    if (!first) {
      const prev = this.#dealings.get(dealer)!;
      return { outbound: [], fault: this.#fault({ dealer, reason: 'equivocation', evidence: [prev.opened.bytes, o.bytes] }) };
    }
    this.#dealings.set(dealer, { opened: o, commitments: first.commitments });
    const reason = this.#rules.checkDealing(dealer, first.commitments, first.proof);
    if (reason) return { outbound: [], fault: this.#fault({ dealer, reason, evidence: [o.bytes] }) };
    return { outbound: [] };
  }

  #onShare(o: Opened, dealer: number, value: Uint8Array) {
    // kept even if the value is invalid: it is complaint evidence
    this.#shares.set(dealer, { envelope: o.envelope, value: safeScalar(value) });
    return { outbound: [] };
  }

  #onComplaint(o: Opened, recipient: number, accused: number, evidence: EnvelopeMsg | undefined) {
    const rec: ComplaintRec = { opened: o, recipient, accused, ...(evidence ? { evidence } : {}) };
    this.#complaints.set(`${recipient}:${accused}`, rec);
    const outbound: Outbound[] = [];
    // A missing-share complaint against us: reveal the signed share publicly.
    if (!evidence && accused === this.#me.dealerIndex) {
      const env = this.#sentShares.get(recipient);
      if (env) {
        const j = seal(this.#me.identity, { session: this.#rules.session, justification: { share: open(env).envelope } });
        try {
          const m = this.#admit(j); // the complaint it answers is recorded just above
          if (m.kind === 'justification') {
            this.#seen.add(m.o.id); // our own public message: applied now, a REPLAY if echoed back
            this.#onJustification(m.o, m.dealer, m.recipient, m.value);
            outbound.push({ channel: 'public', envelope: j });
          }
        } catch (e) {
          this.#log.error({ recipient, err: (e as Error).message }, 'our own justification does not pass our checks; not sent');
        }
      }
    }
    const verdict = this.#judge(rec, false);
    return { outbound, ...(verdict === 'valid' ? { fault: this.#faults.get(accused)! } : {}) };
  }

  #onJustification(o: Opened, dealer: number, recipient: number, value: bigint | undefined) {
    this.#answered.add(`${recipient}:${dealer}`);
    if (!this.#shareOk(dealer, recipient, value)) {
      return { outbound: [], fault: this.#fault({ dealer, reason: 'bad-justification', evidence: [o.bytes] }) };
    }
    this.#justified.set(`${recipient}:${dealer}`, value!);
    return { outbound: [] };
  }

  /**
   * Complaint verdict: valid (dealer faulted), false (complainer flagged), resolved (a missing share
   * was revealed) or pending. Missing-share complaints are decided only at finalisation, because the
   * dealer may still answer with a Justification until then.
   */
  #judge(c: ComplaintRec, final: boolean): Verdict {
    const dealing = this.#dealings.get(c.accused);
    if (!dealing) return 'pending'; // a dealer without a dealing is not qualified anyway
    if (!c.evidence) {
      if (this.#justified.has(`${c.recipient}:${c.accused}`)) return 'resolved';
      if (!final) return 'pending';
      this.#fault({ dealer: c.accused, reason: 'unanswered-complaint', evidence: [c.opened.bytes] });
      return 'valid';
    }
    const verdict = judgeShareEvidence(this.#rules, c.accused, c.recipient, dealing.commitments, c.evidence);
    if (verdict === 'valid') this.#fault({ dealer: c.accused, reason: 'bad-share', evidence: [c.opened.bytes, dealing.opened.bytes] });
    else this.#falseComplainers.add(c.recipient);
    return verdict;
  }
}
