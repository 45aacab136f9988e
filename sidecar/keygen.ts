// Key sessions (DKG, reshare, refresh) as the sidecar drives them from committed state
// (docs/pool.md "Committee, validator set changes and MPC sessions"). Per open session where we are
// a dealer or receiver: build the engine, start() once (public dealing -> MpcPublic tx, private
// shares -> channel), feed every committed transcript envelope once and in order, feed private
// shares from the channel, publish Ready when our shares check out (key-session.ts readyDealers),
// complain after the deal deadline, and when the app marks the session DONE finalise, check our
// verifying share against /mpc/key and store the new share (encrypted) under its epoch.
// Crashes: a dealer never deals twice (a second dealing is equivocation; a marker is written before
// the dealing leaves), and the shares dealt to us and by us are saved encrypted as they come
// (session-material.ts), so a restarted sidecar goes on where it was, or rebuilds its share of a
// session that closed while it was down.
import type { Logger } from '../common/log.js';
import { MpcError } from '../mpc/errors.js';
import { equalBytes, open, seal } from '../mpc/envelope.js';
import type { IdentityKey } from '../mpc/identity.js';
import { parsePt } from '../mpc/ecc.js';
import type { KeygenResult } from '../mpc/keys/dkg.js';
import type { Outbound } from '../mpc/keys/vss-session.js';
import type { ShareVault } from './store/share-vault.js';
import { Fn } from '../mpc/suite.js';
import type { ChainClient } from './chain.js';
import { decodeSession, type DecodedKey, type DecodedSession } from './chain-view.js';
import type { DealtLog } from './dealt-log.js';
import { blankSession, buildEngine, isDealingFrom, justifiedOnChain, justifiedRecipient, noteJustified, readyDealers, recipientOf, type SessionState } from './key-session.js';
import { forgetMaterial, loadMaterial, saveMaterial } from './session-material.js';

export interface KeygenDeps {
  identity: IdentityKey;
  chain: ChainClient;
  /** Our shares: read by public package only, dealt from and stored into, never handed out. */
  vault: ShareVault;
  dealt: DealtLog;
  /** MpcPublic tx (lane 1). */
  publish(envelope: Uint8Array, what: string): Promise<void>;
  /** Private message over the channel. */
  sendPrivate(to: Uint8Array, envelope: Uint8Array): Promise<void>;
  logger: Logger;
  /** Called after a new share is stored and confirmed. */
  onKeyStored?(keyId: string, epoch: number): void;
  /** A session we took part in closed (sidecar/metrics.ts): ms since we opened it, undefined
   * when it was opened before a restart. */
  onSessionClosed?(kind: string, outcome: KeySessionOutcome, ms: number | undefined): void;
}

/** stored: our share of the new key epoch is stored; not_holder: done, we hold no share of it (an
 * outgoing dealer); failed: the app failed the session; error: done on chain, but our engine could
 * not finalise it or disagrees with /mpc/key. */
export type KeySessionOutcome = 'stored' | 'not_holder' | 'failed' | 'error';

const MAX_BUFFERED_SESSIONS = 8;
const MAX_BUFFERED_PER_SESSION = 1024;

const errCode = (e: unknown): string => (e instanceof MpcError ? e.code : (e as Error).message);

export class KeygenDriver {
  readonly #d: KeygenDeps;
  readonly #log: Logger;
  readonly #sessions = new Map<string, SessionState>();
  readonly #pending = new Map<string, Uint8Array[]>(); // private shares of sessions not built yet
  readonly #ignored = new Set<string>(); // sessions we are not part of
  readonly #recoveryTried = new Set<string>(); // key sessions we checked for a missing share
  readonly #openedAt = new Map<string, number>(); // sessions we take part in -> when we opened them
  #retryTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(deps: KeygenDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ part: 'keygen' });
  }

  /** Sessions currently followed (for status and tests). */
  get active(): string[] {
    return [...this.#sessions.values()].filter((s) => !s.closed).map((s) => s.view.idHex);
  }

  /** One committed height: `current` is /mpc/session/current, `key` is /mpc/key (both may be absent). */
  async onHeight(height: bigint, current: DecodedSession | undefined, key: DecodedKey | undefined): Promise<void> {
    // Sessions we follow that are no longer current: read their final state.
    for (const st of this.#sessions.values()) {
      if (st.closed || (current && current.idHex === st.view.idHex)) continue;
      const a = await this.#d.chain.query(`/mpc/session/${st.view.idHex}`);
      if (a) await this.#advance(st, decodeSession(a.value), height, key);
    }
    if (current) {
      let st = this.#sessions.get(current.idHex);
      if (!st && current.status === 'open' && !this.#ignored.has(current.idHex)) st = await this.#open(current, key);
      if (st && !st.closed) await this.#advance(st, current, height, key);
    }
    if (key) await this.#recover(key, height);
  }

  /** A private Share envelope from the channel (already opened and signature-checked by the caller). */
  onPrivate(sessionHex: string, envelope: Uint8Array): void {
    const st = this.#sessions.get(sessionHex);
    if (st && !st.building) {
      this.#feedPrivate(st, envelope);
      return;
    }
    if (this.#ignored.has(sessionHex)) return;
    let q = this.#pending.get(sessionHex);
    if (!q) {
      if (this.#pending.size >= MAX_BUFFERED_SESSIONS) this.#pending.delete(this.#pending.keys().next().value!);
      q = [];
      this.#pending.set(sessionHex, q);
    }
    if (q.length < MAX_BUFFERED_PER_SESSION) q.push(envelope);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** Retries undelivered private shares soon (a peer's binding may land any moment), not only per block. */
  #scheduleRetry(): void {
    if (this.#retryTimer || this.#stopped) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      for (const st of this.#sessions.values()) {
        if (st.closed || !st.engine || st.outbox.length === 0) continue;
        const queued = st.outbox.splice(0);
        void Promise.all(queued.map((m) => this.#sendPrivate(st, m.to, m.envelope)));
      }
    }, 250);
  }

  #feedPrivate(st: SessionState, envelope: Uint8Array): void {
    if (!st.engine || st.closed) return;
    try {
      const o = open(envelope);
      if (!('share' in o.body) || o.body.payload !== 'share') return;
      const dealer = o.body.share.dealer;
      st.engine.receive(envelope);
      const v = o.body.share.value;
      let value: bigint | undefined;
      try {
        value = v.length === 32 ? Fn.fromBytes(v) : undefined;
      } catch {
        value = undefined;
      }
      st.shares.set(dealer, value);
      void saveMaterial(this.#d.vault, st, this.#log);
      if (!st.readySent && st.myReceiver !== undefined)
        void this.#maybeReady(st, this.#log.child({ session: st.view.idHex.slice(0, 16), kind: st.view.kind })).catch((e: unknown) => this.#log.warn({ err: (e as Error).message }, 'publishing Ready failed'));
    } catch (e) {
      this.#log.debug({ session: st.view.idHex.slice(0, 16), err: errCode(e) }, 'private share refused');
    }
  }

  async #open(v: DecodedSession, key: DecodedKey | undefined): Promise<SessionState | undefined> {
    const me = this.#d.identity.publicKey;
    const myDealer = v.dealers.find((m) => equalBytes(m.identity, me))?.index;
    const myReceiver = v.receivers.find((m) => equalBytes(m.identity, me))?.index;
    const log = this.#log.child({ session: v.idHex.slice(0, 16), kind: v.kind, attempt: v.attempt });
    if (myDealer === undefined && myReceiver === undefined) {
      this.#ignored.add(v.idHex);
      this.#pending.delete(v.idHex);
      log.info({ keyEpoch: v.keyEpoch }, 'mpc session opened without us');
      return undefined;
    }
    const st = blankSession(v, myDealer, myReceiver);
    this.#sessions.set(v.idHex, st);
    this.#openedAt.set(v.idHex, Date.now());
    log.info({ keyEpoch: v.keyEpoch, threshold: v.threshold, dealers: v.dealers.length, receivers: v.receivers.length, dealer: myDealer ?? null, receiver: myReceiver ?? null }, 'mpc session opened');
    try {
      ({ engine: st.engine, old: st.old } = await buildEngine(v, key, myDealer, { identity: this.#d.identity, vault: this.#d.vault, logger: this.#log }));
    } catch (e) {
      log.error({ err: (e as Error).message }, 'cannot take part in this mpc session; sitting it out (the app retries without us if it needs us)');
      return st;
    } finally {
      st.building = false;
    }
    if (!equalBytes(st.engine.session, v.id)) {
      log.error({ ours: Buffer.from(st.engine.session).toString('hex') }, 'session id computed from the session record differs from the one on chain (app and sidecar disagree on the session parameters); sitting it out');
      st.engine = undefined;
      return st;
    }
    // Shares that reached us before a restart (dealers do not send them twice).
    const saved = await loadMaterial(this.#d.vault, v.idHex, log);
    // A dealing of ours already committed (or sent before a crash) cannot be repeated: we go on with
    // the saved shares (ours to ourselves among them), delivering and justifying the ones we dealt.
    const dealtBefore = this.#d.dealt.has(v.idHex) || (myDealer !== undefined && v.transcript.some((env) => isDealingFrom(env, me)));
    if (dealtBefore) {
      st.started = true;
      if (!saved || (myDealer !== undefined && saved.sent.length === 0)) {
        log.warn({ dealer: myDealer }, 'we dealt in this session before a restart and saved nothing of it; sitting this session out (the app finishes or retries without us)');
        st.engine = undefined;
        return st;
      }
      if (myDealer !== undefined) {
        try {
          st.engine.restoreSentShares(saved.sent);
        } catch (e) {
          log.error({ err: (e as Error).message }, 'saved shares we dealt do not restore; sitting this session out');
          st.engine = undefined;
          return st;
        }
        // Receivers drop a share they already hold: send them all again, the undelivered ones arrive.
        for (const env of saved.sent) {
          const to = v.receivers.find((r) => r.index === recipientOf(env));
          if (to && !equalBytes(to.identity, me)) void this.#sendPrivate(st, to.identity, env);
        }
      }
      log.warn({ dealer: myDealer, savedShares: saved.shares.length, resent: saved.sent.length }, 'we dealt in this session before a restart: not dealing again; going on with the shares saved before it');
    }
    const buffered = this.#pending.get(v.idHex) ?? [];
    this.#pending.delete(v.idHex);
    if (myDealer !== undefined) await this.#start(st, log);
    for (const env of [...(saved?.shares ?? []), ...buffered]) this.#feedPrivate(st, env);
    return st;
  }

  /**
   * We are a member of the current key but hold no share of its epoch: the session closed while we
   * were down (or between it closing and our share being stored). Rebuild the engine from the saved
   * material and the committed transcript and finish it, once per key epoch.
   */
  async #recover(key: DecodedKey, height: bigint): Promise<void> {
    if (this.#recoveryTried.has(key.session)) return;
    const me = this.#d.identity.publicKey;
    if (!key.members.some((m) => equalBytes(m.identity, me))) return;
    this.#recoveryTried.add(key.session);
    if (await this.#d.vault.held(key.keyId, key.keyEpoch)) return;
    const log = this.#log.child({ session: key.session.slice(0, 16), keyEpoch: key.keyEpoch });
    const saved = await loadMaterial(this.#d.vault, key.session, log);
    const a = saved && (await this.#d.chain.query(`/mpc/session/${key.session}`));
    if (!saved || !a) {
      log.error('we are a member of the current key epoch but hold no share of it and no saved shares of its session; we cannot sign until a reshare gives us one');
      return;
    }
    const v = decodeSession(a.value);
    const myDealer = v.dealers.find((m) => equalBytes(m.identity, me))?.index;
    const myReceiver = v.receivers.find((m) => equalBytes(m.identity, me))?.index;
    let built;
    try {
      built = await buildEngine(v, undefined, myDealer, { identity: this.#d.identity, vault: this.#d.vault, logger: this.#log }, saved.old);
    } catch (e) {
      log.error({ err: (e as Error).message }, 'cannot rebuild the session that made the current key; no share of it');
      return;
    }
    // Closed on chain: nothing to deal, announce or save again; only the share to rebuild.
    const st: SessionState = { ...blankSession(v, myDealer, myReceiver), engine: built.engine, old: built.old, started: true, building: false, readySent: true, savedShares: saved.shares.length };
    for (const env of saved.shares) this.#feedPrivate(st, env);
    log.warn({ savedShares: saved.shares.length }, 'recovering our share of the current key epoch from the shares saved before a restart');
    await this.#advance(st, v, height, key);
  }

  async #start(st: SessionState, log: Logger): Promise<void> {
    if (st.started || !st.engine) return;
    st.started = true;
    // A reshare dealer's polynomial is made inside the vault (its constant is lambda * our share).
    const req = st.engine.dealingRequest?.();
    const dealing = req && st.old ? await this.#d.vault.dealReshare({ keyId: st.old.keyId, epoch: st.old.epoch }, req) : undefined;
    if (!st.engine || st.closed) return; // the session ended while the vault dealt
    this.#d.dealt.mark(st.view.idHex); // before anything leaves the process
    const out = st.engine.start(dealing);
    await saveMaterial(this.#d.vault, st, this.#log); // our share to ourselves, before the dealing leaves
    if (out.length === 0) return;
    await this.#emit(st, out, 'dealing');
    log.info({ dealer: st.myDealer, shares: out.filter((o) => o.channel === 'private').length }, 'dealt');
  }

  async #emit(st: SessionState, out: Outbound[], what: string): Promise<void> {
    for (const o of out) {
      if (o.channel === 'public') {
        await this.#d.publish(o.envelope, `mpc ${what}`);
      } else {
        void this.#sendPrivate(st, o.to, o.envelope); // in parallel; failures go to the outbox
      }
    }
  }

  async #sendPrivate(st: SessionState, to: Uint8Array, envelope: Uint8Array): Promise<void> {
    try {
      await this.#d.sendPrivate(to, envelope);
    } catch (e) {
      // Typically the receiver's peer binding is not committed yet (the genesis DKG opens at the
      // first block): keep it and retry at the next heights rather than let it become public.
      st.outbox.push({ to, envelope });
      this.#scheduleRetry();
      this.#log.debug({ session: st.view.idHex.slice(0, 16), err: (e as Error).message }, 'private share not delivered yet; will retry');
    }
  }

  async #retryOutbox(st: SessionState, height: bigint): Promise<void> {
    if (st.outbox.length === 0) return;
    const queued = st.outbox.splice(0);
    await Promise.all(queued.map((m) => this.#sendPrivate(st, m.to, m.envelope)));
    if (st.outbox.length && height > st.view.dealDeadline && !st.warnedUndelivered) {
      st.warnedUndelivered = true;
      this.#log.warn({ session: st.view.idHex.slice(0, 16), undelivered: st.outbox.length }, 'private shares still undelivered after the deal deadline; their receivers will complain and we must answer publicly');
    }
  }

  /** Feed new transcript entries, then act on the phase. */
  async #advance(st: SessionState, v: DecodedSession, height: bigint, key: DecodedKey | undefined): Promise<void> {
    st.view = v;
    st.height = height;
    const log = this.#log.child({ session: v.idHex.slice(0, 16), kind: v.kind });
    if (st.engine) {
      let answered: Set<number> | undefined; // read from the transcript only if our engine justifies
      for (; st.pos < v.transcript.length; st.pos++) {
        const env = v.transcript[st.pos]!;
        let payload: string;
        let body: ReturnType<typeof open>['body'];
        try {
          body = open(env).body;
          payload = body.payload;
        } catch (e) {
          log.warn({ pos: st.pos, err: errCode(e) }, 'committed transcript entry does not open; skipped');
          continue;
        }
        if (payload === 'ready') continue; // the engine does not take Ready; the app counts them
        if ('justification' in body && payload === 'justification') noteJustified(st, body.justification.share);
        if ('dealing' in body && payload === 'dealing') {
          try {
            st.dealings.set(body.dealing.dealer, body.dealing.commitments.map((c) => parsePt(c)));
          } catch {
            // malformed: the engine faults it below
          }
        }
        try {
          const r = st.engine.receive(env);
          let out = r.outbound;
          if (out.length) {
            answered ??= justifiedOnChain(v.transcript, this.#d.identity.publicKey);
            out = out.filter((o) => o.channel !== 'public' || !answered!.has(justifiedRecipient(o.envelope, this.#d.identity.publicKey) ?? -1));
          }
          if (out.length) await this.#emit(st, out, 'justification');
        } catch (e) {
          if (!(e instanceof MpcError && e.code === 'REPLAY')) log.debug({ pos: st.pos, payload, err: errCode(e) }, 'transcript entry refused by the engine');
        }
      }
    }
    if (v.status === 'failed') {
      st.closed = true;
      st.engine = undefined;
      this.#closed(v, 'failed');
      await forgetMaterial(this.#d.vault, st, this.#log);
      log.warn({ attempt: v.attempt }, 'mpc session failed; dropped (the app opens a new attempt)');
      return;
    }
    if (v.status === 'done') {
      st.closed = true;
      this.#closed(v, st.engine ? await this.#finalise(st, key, log) : 'error');
      st.engine = undefined;
      await forgetMaterial(this.#d.vault, st, this.#log);
      return;
    }
    if (!st.engine) return;
    await this.#retryOutbox(st, height);
    if (!st.readySent && st.myReceiver !== undefined) await this.#maybeReady(st, log);
    if (!st.complained && height > v.dealDeadline && st.myReceiver !== undefined) {
      st.complained = true;
      const out = st.engine.complain();
      if (out.length) {
        await this.#emit(st, out, 'complaint');
        log.warn({ complaints: out.length }, 'complaints published');
      }
    }
  }

  #closed(v: DecodedSession, outcome: KeySessionOutcome): void {
    const at = this.#openedAt.get(v.idHex);
    this.#openedAt.delete(v.idHex);
    try {
      this.#d.onSessionClosed?.(v.kind, outcome, at === undefined ? undefined : Date.now() - at);
    } catch {
      // metrics must never stop a session
    }
  }

  async #maybeReady(st: SessionState, log: Logger): Promise<void> {
    const dealers = readyDealers(st, this.#d.identity.publicKey);
    if (!dealers) return;
    st.readySent = true;
    await st.saving; // the shares we vouch for are on disk before we say so
    const env = seal(this.#d.identity, { session: st.view.id, ready: { recipient: st.myReceiver!, dealers } });
    await this.#d.publish(env, 'mpc ready');
    log.info({ receiver: st.myReceiver, dealers: dealers.length, of: st.view.dealers.length }, 'ready');
  }

  async #finalise(st: SessionState, key: DecodedKey | undefined, log: Logger): Promise<KeySessionOutcome> {
    let res: KeygenResult;
    try {
      res = st.engine!.finalise();
    } catch (e) {
      log.error({ err: (e as Error).message }, 'the session is DONE on chain but our engine cannot finalise it; we hold no share of the new key epoch');
      return 'error';
    }
    if (!res.secret && res.refreshDelta === undefined) {
      log.info({ keyEpoch: st.view.keyEpoch, qualified: res.qualified }, 'mpc session finalised; we are not a holder of the new key');
      return 'not_holder';
    }
    const pub = res.public;
    const myIndex = res.secret?.index ?? st.myReceiver!;
    if (key && key.keyEpoch === pub.epoch) {
      const onChain = key.members.find((m) => m.index === myIndex);
      if (!equalBytes(key.groupKey, pub.groupKey) || !onChain || !equalBytes(onChain.identity, this.#d.identity.publicKey) || !equalBytes(onChain.verifyingShare, pub.verifyingShares[myIndex]!)) {
        log.error({ keyEpoch: pub.epoch, index: myIndex }, 'our finalised verifying share differs from the one in /mpc/key: not storing this share (app and sidecar disagree on the qualified set)');
        return 'error';
      }
    } else {
      log.warn({ keyEpoch: pub.epoch, chainKeyEpoch: key?.keyEpoch ?? null }, '/mpc/key does not show this key epoch yet; storing the share unconfirmed-by-comparison');
    }
    try {
      if (res.secret) await this.#d.vault.storeShare(pub, res.secret);
      else await this.#d.vault.storeRefreshed({ keyId: st.old!.keyId, epoch: st.old!.epoch }, pub, res.refreshDelta!);
    } catch (e) {
      if (e instanceof MpcError && e.code === 'MISSING_SHARE') return (log.error({ err: e.message }, 'the session is DONE on chain but our refreshed share does not check; we hold no share of the new key epoch'), 'error');
      if (!(e instanceof MpcError && e.code === 'CONFLICT')) throw e;
      log.warn({ keyEpoch: pub.epoch }, 'a share for this key epoch is already stored; keeping it');
    }
    await this.#d.vault.confirm(pub.keyId, pub.epoch);
    log.info({ keyId: pub.keyId, keyEpoch: pub.epoch, index: myIndex, threshold: pub.threshold, members: pub.members.length, groupKey: Buffer.from(pub.groupKey).toString('hex'), qualified: res.qualified }, 'finalised: key share stored');
    this.#d.onKeyStored?.(pub.keyId, pub.epoch);
    return 'stored';
  }
}
