// One key session as this sidecar takes part in it: its state, how its engine is built from the
// session record (and, for a reshare or refresh, the key being reshared), and the pure rules the
// driver (keygen.ts) applies to it: when we are Ready, what a justification gives us.
import type { Logger } from '../common/log.js';
import { equalBytes, open, openEnvelope } from '../mpc/envelope.js';
import { decodeBody, decodeEnvelope, type EnvelopeMsg } from '../proto/mpc.js';
import type { IdentityKey } from '../mpc/identity.js';
import type { EcPoint } from '../mpc/ecc.js';
import { DkgEngine, type KeygenResult } from '../mpc/keys/dkg.js';
import { ReshareEngine } from '../mpc/keys/reshare.js';
import { RefreshEngine } from '../mpc/keys/refresh.js';
import type { PublicKeyPackage } from '../mpc/keys/types.js';
import type { Fault, Outbound } from '../mpc/keys/vss-session.js';
import { shareMatches } from '../mpc/keys/vss.js';
import type { ShareVault } from './store/share-vault.js';
import type { Dealing, ReshareDealingRequest } from '../mpc/keys/share-math.js';
import { Fn } from '../mpc/suite.js';
import { keyPackage, type DecodedKey, type DecodedSession } from './chain-view.js';

export interface Engine {
  readonly session: Uint8Array;
  /** A reshare dealer's: what the vault must deal for start(). */
  dealingRequest?(): ReshareDealingRequest | undefined;
  start(dealing?: Dealing): Outbound[];
  receivedShares(): Map<number, Uint8Array>;
  sentShares(): Map<number, Uint8Array>;
  restoreSentShares(envelopes: Iterable<Uint8Array>): void;
  receive(envelope: Uint8Array): { outbound: Outbound[]; fault?: Fault };
  complain(): Outbound[];
  status(): { dealings: number[]; faults: Fault[] };
  finalise(): KeygenResult;
}

export interface SessionState {
  view: DecodedSession;
  engine: Engine | undefined; // undefined: sitting this session out
  /** The key being reshared or refreshed (saved with the material: the chain forgets it). */
  old: PublicKeyPackage | undefined;
  /** Shares in the last saved material, and the chain of saves (one at a time, in order). */
  savedShares: number;
  saving: Promise<void>;
  myDealer: number | undefined;
  myReceiver: number | undefined;
  offset: 0 | 1;
  pos: number; // transcript envelopes fed
  height: bigint; // the committed height `view` was read at
  dealings: Map<number, EcPoint[]>; // committed dealings' commitments (for the Ready check)
  shares: Map<number, bigint | undefined>; // private shares the engine accepted, by dealer
  /** The engine is being built (reading our share from the key store takes a scrypt): private
   * shares arriving meanwhile wait in the pending buffer instead of being dropped. */
  building: boolean;
  started: boolean;
  readySent: boolean;
  complained: boolean;
  closed: boolean;
  /** Private shares not delivered yet (peer not bound or unreachable): retried at every height. */
  outbox: { to: Uint8Array; envelope: Uint8Array }[];
  warnedUndelivered: boolean;
}

export function blankSession(v: DecodedSession, myDealer: number | undefined, myReceiver: number | undefined): SessionState {
    return {
      view: v,
      engine: undefined,
      old: undefined,
      savedShares: 0,
      saving: Promise.resolve(),
      myDealer,
      myReceiver,
      offset: v.kind === 'refresh' ? 1 : 0,
      pos: 0,
      height: 0n,
      dealings: new Map(),
      shares: new Map(),
      building: true,
      started: false,
      readySent: false,
      complained: false,
      closed: false,
      outbox: [],
      warnedUndelivered: false,
    };
  }

/** The session's engine; `savedOld` (recovery after the session closed) replaces /mpc/key as the
 * key being reshared or refreshed. */
export async function buildEngine(
v: DecodedSession,
key: DecodedKey | undefined,
myDealer: number | undefined,
deps: { identity: IdentityKey; vault: ShareVault; logger: Logger },
savedOld?: PublicKeyPackage,
): Promise<{ engine: Engine; old?: PublicKeyPackage }> {
const { identity, vault, logger } = deps;
  if (v.kind === 'dkg') {
    return { engine: new DkgEngine({ keyId: v.keyId, epoch: v.keyEpoch, attempt: v.attempt, members: v.receivers, threshold: v.threshold, identity, logger }) };
  }
  let old: PublicKeyPackage;
  let stored;
  if (savedOld) {
    old = savedOld;
    stored = await vault.held(old.keyId, old.epoch);
  } else {
    if (!key) throw new Error(`a ${v.kind} needs the current key (/mpc/key), which is absent`);
    stored = await vault.held(key.keyId, key.keyEpoch);
    old = keyPackage(key, stored?.public.commitments);
  }
  if (stored && !equalBytes(stored.public.groupKey, old.groupKey)) throw new Error(`our stored share of epoch ${old.epoch} belongs to another group key`);
  if (v.kind === 'reshare') {
    if (myDealer !== undefined && !stored) logger.warn({ keyEpoch: old.epoch }, 'we are a reshare dealer but hold no share of the current key epoch; receiving only');
    const engine = new ReshareEngine({
      old,
      dealers: v.dealers.map((m) => m.index),
      newMembers: v.receivers,
      newThreshold: v.threshold,
      newEpoch: v.keyEpoch,
      attempt: v.attempt,
      identity,
      ...(stored && myDealer !== undefined ? { oldShare: { index: stored.index } } : {}),
      logger,
    });
    return { engine, old };
  }
  if (!stored) throw new Error(`a refresh needs our share of key epoch ${old.epoch}, which is not in the share vault`);
  return { engine: new RefreshEngine({ current: old, share: { index: stored.index }, newEpoch: v.keyEpoch, attempt: v.attempt, identity, logger }), old };
}

/** A dealer answered a missing-share complaint by publishing the share: if it is ours, it counts
 * like one that came over the channel (the Ready check still verifies it against the dealing). */
export function noteJustified(st: SessionState, share: EnvelopeMsg): void {
  try {
    const b = openEnvelope(share).body;
    if (!('share' in b) || b.payload !== 'share' || b.share.recipient !== st.myReceiver || st.shares.get(b.share.dealer) !== undefined) return;
    if (b.share.value.length === 32) st.shares.set(b.share.dealer, Fn.fromBytes(b.share.value));
  } catch {
    // not a share we can use: the engine judges the justification itself
  }
}

/**
 * The dealers our Ready names, or undefined while we cannot be Ready: we must hold a valid share from
 * every dealer whose dealing is committed; before the deal deadline that must be every dealer, after
 * it (no dealing can land any more) the ones who dealt, so a silent dealer does not keep the session
 * open until its final height.
 */
export function readyDealers(st: SessionState, me: Uint8Array): number[] | undefined {
  const engine = st.engine;
  if (!engine || st.closed || st.readySent || st.myReceiver === undefined) return undefined;
  const v = st.view;
  // One Ready per receiver per session (decision 28): ours is on chain already (sent before a restart).
  if (v.ready.includes(st.myReceiver)) return undefined;
  const pastDeal = st.height > v.dealDeadline;
  if (!pastDeal && !v.dealers.every((d) => st.dealings.has(d.index))) return undefined;
  const faulted = new Set(engine.status().faults.map((f) => f.dealer));
  const good: number[] = [];
  for (const d of v.dealers) {
    if (faulted.has(d.index) || !st.dealings.has(d.index)) continue;
    if (equalBytes(d.identity, me)) {
      // Our share to ourselves never leaves the engine (after a restart it comes from the saved material).
      if (!engine.receivedShares().has(d.index)) return undefined;
      good.push(d.index);
      continue;
    }
    const value = st.shares.get(d.index);
    if (value === undefined || !shareMatches(st.dealings.get(d.index)!, st.myReceiver, value, st.offset)) return undefined; // missing or bad: complain later
    good.push(d.index);
  }
  return good.length ? good.sort((a, b) => a - b) : undefined;
}

/**
 * The receivers whose missing-share complaint against `me` a committed justification of ours already
 * answers. A restarted sidecar feeds the transcript to a fresh engine, which answers each complaint
 * again; the chain takes one answer per complaint (decision 28), so those are not published twice.
 */
export function justifiedOnChain(transcript: readonly Uint8Array[], me: Uint8Array): Set<number> {
  const out = new Set<number>();
  for (const env of transcript) {
    const r = justifiedRecipient(env, me);
    if (r !== undefined) out.add(r);
  }
  return out;
}

/** The receiver a justification by `me` reveals the share of (undefined: not one). Decoded, not
 * verified: committed entries were verified by the app, and our own need no check. */
export function justifiedRecipient(env: Uint8Array, me: Uint8Array): number | undefined {
  try {
    const b = decodeBody(decodeEnvelope(env).body);
    if (!('justification' in b) || b.payload !== 'justification' || !equalBytes(b.sender, me)) return undefined;
    const inner = decodeBody(b.justification.share.body);
    return 'share' in inner && inner.payload === 'share' ? inner.share.recipient : undefined;
  } catch {
    return undefined;
  }
}

export function recipientOf(env: Uint8Array): number | undefined {
  const b = open(env).body;
  return 'share' in b && b.payload === 'share' ? b.share.recipient : undefined;
}

export function isDealingFrom(env: Uint8Array, identity: Uint8Array): boolean {
  try {
    const b = open(env).body;
    return b.payload === 'dealing' && equalBytes(b.sender, identity);
  } catch {
    return false;
  }
}
