// Threshold signing of committed sign requests (docs/pool.md "Sign requests"). As coordinator (the
// member of rank r once the request is pending at committed height >= created_height +
// RANK_STEP_BLOCKS * r; ranks skip members we suspect are unreachable) it runs a SigningCoordinator
// over the channel with wall-clock round timeouts, submits the aggregate (SubmitSignature, lane 1)
// and reports proven cheaters (ReportSigningCheater). As participant it answers with a
// SigningParticipant whose share and nonces stay in the ShareVault (nonces never reused, crash or not) and whose
// approval is the Approver (decision 8). It answers any key holder, not only the rank it computes:
// ranks are this node's own view (suspects), and a share names the package it answered, so no
// coordinator can turn it into evidence against us (decision 24).
import { Suspects } from './suspects.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Logger } from '../common/log.js';
import { encodeEnvelope } from '../proto/mpc.js';
import { equalBytes, open, type Opened } from '../mpc/envelope.js';
import type { IdentityKey } from '../mpc/identity.js';
import { MpcError } from '../mpc/errors.js';
import type { PublicKeyPackage } from '../mpc/keys/types.js';
import { SigningCoordinator, type SigningOutbound } from '../mpc/signing/coordinator.js';
import { SigningParticipant } from '../mpc/signing/participant.js';
import { ATTEMPTS_PER_MEMBER, signingSessionId } from '../mpc/signing/session.js';
import type { ShareVault } from './store/share-vault.js';
import type { Approver } from './approval.js';
import type { DecodedKey, DecodedSignRequest } from './chain-view.js';
import type { SidecarMsg } from './pool-tx-sender.js';

export interface SigningDeps {
  identity: IdentityKey;
  /** Our shares and nonces: commitments and signature shares come out, never a share or a nonce. */
  vault: ShareVault;
  approver: Approver;
  send(to: Uint8Array, envelope: Uint8Array): Promise<void>;
  submit(msg: SidecarMsg, what: string): Promise<{ code: number; log: string }>;
  roundTimeoutMs: number;
  now?: () => number;
  logger: Logger;
  tickMs?: number;
  /** Told how runs we coordinate end (sidecar/metrics.ts); never required. */
  observe?: SigningObserver;
}

/** A coordinated run's outcome for metrics; stage times in ms (wait: seen committed to our run's
 * start; network: waiting on other signers; local: our own work; total: seen to aggregated). */
export interface SigningObserver {
  aggregated?(purpose: string, ms: { wait: number; network: number; local: number; total: number }): void;
  failed?(purpose: string): void;
  /** A member let a round of ours pass unanswered. */
  missedRound?(): void;
}

interface Run {
  req: DecodedSignRequest;
  coord: SigningCoordinator;
  /** Attempt numbers of this run start after it. */
  base: number;
  seenAt: number;
  startedAt: number;
  roundSentAt: number;
  networkMs: number;
  reported: number;
  finished: boolean;
}

/**
 * Rank of `me` for request `id`: members in key order starting at position (id - 1) mod n, not
 * counting those `skip` says are unreachable (a dead rank-0 coordinator would otherwise hold a
 * request for RANK_STEP_BLOCKS). Undefined when `me` is not a member.
 */
export function coordinatorRank(members: readonly { identity: Uint8Array }[], id: bigint, me: Uint8Array, skip: (identity: Uint8Array) => boolean = () => false): number | undefined {
  const n = members.length;
  const pos = members.findIndex((m) => equalBytes(m.identity, me));
  if (pos < 0 || n === 0) return undefined;
  const base = Number((id - 1n) % BigInt(n));
  let rank = 0;
  for (let k = base; k % n !== pos; k++) if (!skip(members[k % n]!.identity)) rank++;
  return rank;
}


/** Blocks between coordinator ranks taking over a pending request (docs/pool.md): long enough
 * that rank 0 usually finishes first (a run takes two round trips), short enough for failover. */
export const RANK_STEP_BLOCKS = 10n;
const RETRY_AFTER_BLOCKS = 4n;
/** Heights between sweeps of settled requests' nonces and tombstones out of the nonce store. */
export const NONCE_SWEEP_BLOCKS = 50n;

/** A coordinator run's attempt numbers: 100 per run, runs of member i in their own million. */
function attemptBase(memberIndex: number, run: number): number {
  return memberIndex * ATTEMPTS_PER_MEMBER + (run % 10_000) * 100;
}

const myIndex = (pkg: PublicKeyPackage, identity: Uint8Array): number => pkg.members.find((m) => equalBytes(m.identity, identity))?.index ?? 0;

export class SigningDriver {
  readonly #d: SigningDeps;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #runs = new Map<string, Run>(); // by session hex
  readonly #seen = new Map<bigint, number>(); // request id -> when we first saw it committed
  readonly #failedAt = new Map<bigint, bigint>(); // request id -> height our run failed
  /** Members believed unreachable (sidecar/suspects.ts); cleared by any message from them. */
  readonly #suspects: Suspects;
  /** Members (identity hex) we sent a round to and have not heard from since, with the round's
   * deadline. Past it they become suspects (and lose their coordinator turns), also when a retry
   * without them finished first. */
  readonly #awaiting = new Map<string, number>();
  #participant: { epoch: number; keyId: string; p: SigningParticipant } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #runCounter = Math.floor(Date.now() / 1000);
  /** Nonce-store sessions not pending at the last sweep: forgotten if still not pending at the next. */
  #staleNonces = new Set<string>();
  #sweptAt = 0n;
  #sweeping = false;
  signed = 0;

  constructor(deps: SigningDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ part: 'signing' });
    this.#now = deps.now ?? Date.now;
    this.#suspects = new Suspects(this.#now, (id, reason) =>
      this.#log.info({ member: id.slice(0, 16) }, reason === 'missed-round' ? 'member missed a signing round; suspected unreachable until heard from' : "member's validator signed none of the last commits; suspected unreachable until heard from"),
    );
  }

  /**
   * One committed height: the key and the PENDING requests, and when we saw the block; `signedCommit`,
   * when known, the member identities (hex) whose validators signed the last commit.
   */
  async onHeight(height: bigint, key: DecodedKey | undefined, pkg: PublicKeyPackage | undefined, pending: DecodedSignRequest[], seenAt: number, signedCommit?: Set<string>): Promise<void> {
    if (key && signedCommit) this.#suspects.noteCommit(key.members, signedCommit, this.#d.identity.publicKey);
    for (const [id, h] of this.#failedAt) if (h === -1n) this.#failedAt.set(id, height); // a retry waits one rank step
    const live = new Set(pending.map((r) => r.id));
    for (const id of [...this.#seen.keys()]) if (!live.has(id)) this.#seen.delete(id);
    for (const id of [...this.#failedAt.keys()]) if (!live.has(id)) this.#failedAt.delete(id);
    for (const [s, run] of this.#runs) {
      if (live.has(run.req.id)) continue;
      if (!run.finished && run.coord.phase !== 'done') this.#log.info({ requestId: run.req.id.toString() }, 'sign request no longer pending (signed by another coordinator, or expired); run dropped');
      run.finished = true;
      this.#runs.delete(s);
    }
    if (!key || !pkg) return;
    this.#sweepNonces(height, pkg, pending);
    await this.#ensureParticipant(key);
    for (const r of pending) {
      if (!this.#seen.has(r.id)) this.#seen.set(r.id, seenAt);
      const rank = coordinatorRank(key.members, r.id, this.#d.identity.publicKey, (identity) => this.#suspects.has(identity));
      if (rank === undefined || height < r.createdHeight + RANK_STEP_BLOCKS * BigInt(rank)) continue;
      const failed = this.#failedAt.get(r.id);
      if (failed !== undefined && height < failed + RETRY_AFTER_BLOCKS) continue;
      const running = [...this.#runs.values()].find((x) => x.req.id === r.id && !x.finished);
      if (running) continue;
      if ([...this.#runs.values()].some((x) => x.req.id === r.id && x.coord.phase === 'done')) continue;
      this.#startRun(r, pkg, rank, this.#seen.get(r.id)!);
    }
  }

  /**
   * Tombstones (and the nonces of attempts that never got a package) would pile up for ever, so
   * settled requests' records are deleted now and then. Two sweeps apart: a request our node
   * committed after the pending list we hold was read is never swept while it may still be signed.
   */
  #sweepNonces(height: bigint, pkg: PublicKeyPackage, pending: DecodedSignRequest[]): void {
    if (this.#sweeping || height < this.#sweptAt + NONCE_SWEEP_BLOCKS) return;
    this.#sweptAt = height;
    this.#sweeping = true;
    const live = new Set(pending.map((r) => bytesToHex(signingSessionId(pkg, String(r.id)))));
    void (async () => {
      const stale = [...(await this.#d.vault.nonceSessions())].filter((s) => !live.has(s));
      const settled = stale.filter((s) => this.#staleNonces.has(s));
      for (const s of settled) await this.#d.vault.forgetNonces(s);
      this.#staleNonces = new Set(stale.filter((s) => !settled.includes(s)));
      if (settled.length) this.#log.debug({ sessions: settled.length }, 'settled requests\' nonces deleted');
    })()
      .catch((e: unknown) => {
        if (!this.#stopped) this.#log.warn({ err: (e as Error).message }, 'sweeping the nonce store failed; retried later');
      })
      .finally(() => (this.#sweeping = false));
  }

  /** Members currently suspected unreachable. */
  get suspects(): number {
    return this.#suspects.count;
  }

  async #ensureParticipant(key: DecodedKey): Promise<void> {
    if (this.#participant && this.#participant.epoch === key.keyEpoch && this.#participant.keyId === key.keyId) return;
    const ref = { keyId: key.keyId, epoch: key.keyEpoch };
    const held = await this.#d.vault.held(ref.keyId, ref.epoch);
    if (!held) {
      if (key.members.some((m) => equalBytes(m.identity, this.#d.identity.publicKey)))
        this.#log.warn({ keyEpoch: key.keyEpoch }, 'we are a member of the current key but hold no share of its epoch (missed its session?); cannot sign');
      this.#participant = undefined;
      return;
    }
    this.#participant = {
      epoch: key.keyEpoch,
      keyId: key.keyId,
      p: new SigningParticipant({
        identity: this.#d.identity,
        pkg: held.public,
        index: held.index,
        signer: {
          commit: (session, attempt, quota) => this.#d.vault.commitNonces(ref, session, attempt, quota),
          sign: (session, attempt, list, message) => this.#d.vault.signPackage(ref, session, attempt, list, message),
        },
        approve: this.#d.approver.approveFor(held.public),
        logger: this.#log,
      }),
    };
    this.#log.info({ keyEpoch: key.keyEpoch, index: held.index }, 'signing with key epoch');
  }

  #startRun(req: DecodedSignRequest, pkg: PublicKeyPackage, rank: number, seenAt: number): void {
    const now = this.#now();
    const base = attemptBase(myIndex(pkg, this.#d.identity.publicKey), this.#runCounter++);
    const coord = new SigningCoordinator({
      identity: this.#d.identity,
      pkg,
      requestId: String(req.id),
      message: req.digest,
      now: this.#now,
      roundTimeoutMs: this.#d.roundTimeoutMs,
      // The deadline is in block time; measured from when we saw the request committed, so a
      // clock offset between this host and block time cannot expire (or prolong) it.
      expiresAt: seenAt + Math.max(0, Number(req.deadlineTime - req.createdTime)) * 1000,
      // Apart from every other coordinator's and from our own earlier runs (also across restarts:
      // seeded by the clock), so no attempt reuses a (session, attempt) a participant already signed.
      attemptBase: base,
      rotate: Number(req.id % BigInt(pkg.members.length)),
      suspects: pkg.members.filter((m) => this.#suspects.has(m.identity)).map((m) => m.index),
      logger: this.#log,
    });
    const run: Run = { req, coord, base, seenAt, startedAt: now, roundSentAt: now, networkMs: 0, reported: 0, finished: false };
    this.#runs.set(bytesToHex(coord.session), run);
    this.#log.info({ requestId: req.id.toString(), purpose: req.purpose, rank }, 'coordinating sign request');
    this.#dispatch(run, coord.start());
    this.#ensureTimer();
  }

  #ensureTimer(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => {
      let active = false;
      for (const run of this.#runs.values()) {
        if (run.finished) continue;
        active = true;
        const out = run.coord.tick();
        if (out.length) this.#dispatch(run, out);
        this.#after(run);
      }
      this.#noteMissed();
      if (!active && this.#awaiting.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    }, this.#d.tickMs ?? 100);
  }

  /** Members that let a round's deadline pass without a word become suspects. */
  #noteMissed(): void {
    const now = this.#now();
    for (const [id, deadline] of this.#awaiting) {
      if (now < deadline) continue;
      this.#awaiting.delete(id);
      this.#suspects.suspect(id, 'missed-round');
      this.#d.observe?.missedRound?.();
    }
  }

  #dispatch(run: Run, out: SigningOutbound[]): void {
    if (out.length === 0) return;
    run.roundSentAt = this.#now();
    for (const o of out) {
      if (equalBytes(o.to, this.#d.identity.publicKey)) {
        // Our own participant: no network.
        void this.#participate(o.envelope).then((reply) => {
          if (reply) this.#coordinatorReceive(run, reply);
        });
      } else {
        const id = bytesToHex(o.to);
        if (!this.#awaiting.has(id)) this.#awaiting.set(id, run.roundSentAt + this.#d.roundTimeoutMs);
        this.#d.send(o.to, o.envelope).catch((e: unknown) => this.#log.debug({ requestId: run.req.id.toString(), err: (e as Error).message }, 'signing message not delivered; the round timeout excludes that signer'));
      }
    }
    this.#after(run);
  }

  #coordinatorReceive(run: Run, envelope: Uint8Array): void {
    if (run.finished) return;
    let out: SigningOutbound[];
    try {
      out = run.coord.receive(envelope);
    } catch (e) {
      this.#log.debug({ requestId: run.req.id.toString(), err: e instanceof MpcError ? e.code : (e as Error).message }, 'signing reply refused');
      return;
    }
    if (out.length || run.coord.phase === 'done') run.networkMs += this.#now() - run.roundSentAt;
    this.#dispatch(run, out);
    this.#after(run);
  }

  /** Completion, failure and cheater reports of a run. */
  #after(run: Run): void {
    const c = run.coord;
    while (run.reported < c.evidence.length) {
      const ev = c.evidence[run.reported++]!;
      this.#log.warn({ requestId: run.req.id.toString(), signer: ev.signer, attempt: ev.attempt }, 'signing cheater proven; reporting it');
      void this.#d.submit(
        { reportCheater: { requestId: run.req.id, signer: ev.signer, attempt: ev.attempt, package: ev.package, commitment: encodeEnvelope(ev.commitment), share: encodeEnvelope(ev.share) } },
        'report cheater',
      );
    }
    if (run.finished) return;
    if (c.phase === 'done') {
      run.finished = true;
      const at = this.#now();
      this.signed++;
      const ms = { wait: run.startedAt - run.seenAt, network: run.networkMs, local: Math.max(0, at - run.startedAt - run.networkMs), total: at - run.seenAt };
      this.#d.observe?.aggregated?.(run.req.purpose, ms);
      this.#log.info(
        {
          requestId: run.req.id.toString(),
          purpose: run.req.purpose,
          ms: ms.total,
          networkMs: ms.network,
          localMs: ms.local,
          waitMs: ms.wait,
          attempts: c.attempt - run.base,
          signers: c.signers,
          excluded: Object.fromEntries(c.excluded),
        },
        'signature aggregated',
      );
      void this.#d.submit({ submitSignature: { requestId: run.req.id, signature: c.signature! } }, 'submit signature').then((r) => {
        if (r.code === 0) this.#log.info({ requestId: run.req.id.toString() }, 'signature submitted');
      });
    } else if (c.phase === 'failed') {
      run.finished = true;
      this.#failedAt.set(run.req.id, -1n);
      this.#d.observe?.failed?.(run.req.purpose);
      this.#log.warn({ requestId: run.req.id.toString(), purpose: run.req.purpose, err: c.error?.message, excluded: Object.fromEntries(c.excluded) }, 'signing failed; the next coordinator rank takes over');
    }
  }

  /** A message from the channel: a coordinator's request/package to us, or a signer's reply to our run. */
  async onMessage(o: Opened): Promise<void> {
    const sender = bytesToHex(o.body.sender);
    this.#suspects.heardFrom(sender);
    this.#awaiting.delete(sender);
    const p = o.body.payload;
    if (p === 'signRequest' || p === 'signingPackage') {
      const reply = await this.#participate(o.bytes);
      if (reply) await this.#d.send(o.body.sender, reply).catch((e: unknown) => this.#log.debug({ err: (e as Error).message }, 'reply to coordinator not delivered'));
      return;
    }
    if (p === 'nonceCommitment' || p === 'signatureShare') {
      const run = this.#runs.get(bytesToHex(o.body.session));
      if (run) this.#coordinatorReceive(run, o.bytes);
    }
  }

  async #participate(envelope: Uint8Array): Promise<Uint8Array | undefined> {
    const part = this.#participant;
    if (!part) return undefined;
    try {
      const o = open(envelope);
      if (o.body.payload === 'signRequest') return await part.p.onRequest(envelope);
      return await part.p.onPackage(envelope);
    } catch (e) {
      const code = e instanceof MpcError ? e.code : (e as Error).message;
      this.#log[code === 'NOT_APPROVED' || code === 'NONCE_REUSE' ? 'warn' : 'debug']({ err: code }, 'not signing');
      return undefined;
    }
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
