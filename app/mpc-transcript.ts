// Replaying a session transcript into an observer engine: the same DkgEngine / ReshareEngine /
// RefreshEngine the sidecars run, built with an identity that is neither dealer nor receiver, so it
// sees only the public channel and derives the qualified set exactly as every sidecar does.
// Results never depend on the memo below: a miss rebuilds from the stored transcript.
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { toHex } from '../common/bytes.js';
import { equalBytes, open } from '../mpc/envelope.js';
import { MpcError } from '../mpc/errors.js';
import { IdentityKey } from '../mpc/identity.js';
import { DkgEngine } from '../mpc/keys/dkg.js';
import { RefreshEngine } from '../mpc/keys/refresh.js';
import { ReshareEngine } from '../mpc/keys/reshare.js';
import { decodeBody, decodeEnvelope, type BodyMsg } from '../proto/mpc.js';
import { MpcKeyCodec, MpcKind, type MpcKey, type MpcSession } from '../proto/seqpool.js';
import { packageOf, POOL_KEY_ID, toMember } from './mpc-state.js';

export type ObserverEngine = DkgEngine | ReshareEngine | RefreshEngine;

const observerIds: IdentityKey[] = [];
function observerKey(i: number): IdentityKey {
  while (observerIds.length <= i) observerIds.push(IdentityKey.fromSecretKey(sha256(utf8ToBytes(`seqpool/mpc-observer/${observerIds.length}`))));
  return observerIds[i]!;
}

/**
 * A well-known identity that is not a party of the session (the first of a fixed sequence whose
 * key no dealer or receiver uses), so the engine never takes a dealer or receiver role.
 */
export function observerIdentity(parties: readonly Uint8Array[]): IdentityKey {
  for (let i = 0; ; i++) {
    const id = observerKey(i);
    if (!parties.some((p) => equalBytes(p, id.publicKey))) return id;
  }
}

/** The session parameters an engine needs, as stored in MpcSession (minus the transcript). */
export type SessionParams = Pick<MpcSession, 'kind' | 'attempt' | 'keyEpoch' | 'threshold' | 'dealers' | 'receivers'>;

/** An observer engine for `s`; `key` is the sharing in use (reshare and refresh deal from it). */
export function newObserver(s: SessionParams, key: MpcKey | undefined): ObserverEngine {
  const identity = observerIdentity([...s.dealers, ...s.receivers].map((m) => m.identity));
  switch (s.kind) {
    case MpcKind.DKG:
      return new DkgEngine({ keyId: POOL_KEY_ID, epoch: s.keyEpoch, attempt: s.attempt, members: s.receivers.map(toMember), threshold: s.threshold, identity });
    case MpcKind.RESHARE:
      if (!key) throw new Error('a reshare session needs the current key');
      return new ReshareEngine({
        old: packageOf(key),
        dealers: s.dealers.map((d) => d.index),
        newMembers: s.receivers.map(toMember),
        newThreshold: s.threshold,
        newEpoch: s.keyEpoch,
        attempt: s.attempt,
        identity,
      });
    case MpcKind.REFRESH:
      if (!key) throw new Error('a refresh session needs the current key');
      return new RefreshEngine({ current: packageOf(key), newEpoch: s.keyEpoch, attempt: s.attempt, identity });
    default:
      throw new Error(`unknown session kind ${String(s.kind)}`);
  }
}

/** Decoded body of a transcript entry (already verified when it was accepted). */
export function bodyOf(envelope: Uint8Array): BodyMsg & { payload: string } {
  return decodeBody(decodeEnvelope(envelope).body);
}

/** What the transcript says without running the engine: who dealt, each receiver's latest Ready. */
export function transcriptFacts(s: MpcSession): { dealt: Set<number>; ready: Map<number, number[]> } {
  const dealt = new Set<number>();
  const ready = new Map<number, number[]>();
  for (const e of s.transcript) {
    const b = bodyOf(e);
    if ('dealing' in b && b.payload === 'dealing') dealt.add(b.dealing.dealer);
    else if ('ready' in b && b.payload === 'ready') ready.set(b.ready.recipient, b.ready.dealers);
  }
  return { dealt, ready };
}

// ---------- memo: observer engines by (session, transcript content) ----------

const MEMO_SIZE = 8;
const memo = new Map<string, ObserverEngine>();

/**
 * Content key: the session id (which binds kind, committees, threshold, attempt), the sharing the
 * session deals from (reshare/refresh: its verifying shares are what dealings are checked against)
 * and every transcript entry.
 */
export function contentKey(s: Pick<MpcSession, 'id' | 'transcript'>, key: MpcKey | undefined, extra?: Uint8Array): string {
  const h = sha256.create();
  h.update(s.id);
  if (key) h.update(MpcKeyCodec.encode(key));
  const len = new Uint8Array(4);
  for (const e of extra ? [...s.transcript, extra] : s.transcript) {
    new DataView(len.buffer).setUint32(0, e.length);
    h.update(len).update(e);
  }
  return toHex(h.digest());
}

function remember(k: string, e: ObserverEngine): void {
  memo.delete(k);
  memo.set(k, e);
  while (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value!);
}

/** Drops every memoised engine (tests use it to prove results do not depend on the memo). */
export function clearObserverMemo(): void {
  memo.clear();
}

/** A fresh replay of the stored transcript (Ready entries are the app's, not the engine's). */
export function replay(s: MpcSession, key: MpcKey | undefined): ObserverEngine {
  const engine = newObserver(s, key);
  if (!equalBytes(engine.session, s.id)) throw new Error(`session ${toHex(s.id)} does not match its parameters`);
  for (const e of s.transcript) {
    if (bodyOf(e).payload === 'ready') continue;
    engine.receive(e); // accepted once, so it is accepted again: a throw here means corrupt state
  }
  return engine;
}

/** Takes the engine for exactly this transcript out of the memo (or replays); the caller owns it. */
export function takeObserver(s: MpcSession, key: MpcKey | undefined): ObserverEngine {
  const k = contentKey(s, key);
  const hit = memo.get(k);
  if (hit) {
    memo.delete(k);
    return hit;
  }
  return replay(s, key);
}

/** Puts an engine back, keyed by the transcript it has absorbed. */
export function returnObserver(s: MpcSession, key: MpcKey | undefined, engine: ObserverEngine, extra?: Uint8Array): void {
  remember(contentKey(s, key, extra), engine);
}

export type Judgement = { ok: true; payload: string } | { ok: false; reason: string };

/**
 * Judges one public envelope for the open session `s` as the engine does, at `height` (phase
 * rules; undefined skips them). `sender` must be the envelope's sender. With `apply` (FinalizeBlock)
 * the memo keeps the engine that absorbed it, keyed by the transcript the caller then stores.
 */
export function judgeEnvelope(s: MpcSession, key: MpcKey | undefined, bytes: Uint8Array, sender: Uint8Array, height: bigint | undefined, apply: boolean): Judgement {
  let opened;
  try {
    opened = open(bytes);
  } catch (e) {
    return { ok: false, reason: `envelope rejected: ${(e as Error).message}` };
  }
  const b = opened.body;
  if (!equalBytes(b.session, s.id)) return { ok: false, reason: 'envelope is for another session' };
  if (!equalBytes(b.sender, sender)) return { ok: false, reason: 'envelope sender is not the tx signer' };
  const dealer = s.dealers.find((m) => equalBytes(m.identity, sender));
  const receiver = s.receivers.find((m) => equalBytes(m.identity, sender));
  if (!dealer && !receiver) return { ok: false, reason: 'sender is neither a dealer nor a receiver of the session' };
  const late = (deadline: bigint, what: string): Judgement | undefined =>
    height !== undefined && height > deadline ? { ok: false, reason: `${what} after height ${deadline} (now ${height})` } : undefined;
  switch (b.payload) {
    case 'dealing': {
      const l = late(s.dealDeadline, 'dealing');
      if (l) return l;
      break;
    }
    case 'complaint': {
      const l = late(s.complaintDeadline, 'complaint');
      if (l) return l;
      break;
    }
    case 'justification': {
      const l = late(s.finalHeight, 'justification');
      if (l) return l;
      break;
    }
    case 'ready':
      return judgeReady(s, b, receiver?.index, opened.id, height);
    default:
      return { ok: false, reason: `payload ${b.payload} does not belong on chain` };
  }
  // CheckTx (apply = false) judges against its own replay: an engine that absorbed a message the
  // block may never carry would be useless to FinalizeBlock, so it leaves the memo alone.
  const engine = apply ? takeObserver(s, key) : replay(s, key);
  try {
    engine.receive(bytes);
  } catch (e) {
    // The engine changes nothing when it throws, but the memo never relies on that: dropped.
    return { ok: false, reason: e instanceof MpcError ? e.message : `envelope rejected: ${(e as Error).message}` };
  }
  if (apply) returnObserver(s, key, engine, bytes);
  return { ok: true, payload: b.payload };
}

function judgeReady(s: MpcSession, b: BodyMsg & { payload: string }, receiver: number | undefined, id: string, height: bigint | undefined): Judgement {
  if (!('ready' in b)) return { ok: false, reason: 'malformed Ready' };
  if (height !== undefined && height > s.finalHeight) return { ok: false, reason: `Ready after height ${s.finalHeight} (now ${height})` };
  if (receiver === undefined) return { ok: false, reason: 'Ready from a sender that is not a receiver' };
  if (b.ready.recipient !== receiver) return { ok: false, reason: `Ready for receiver ${b.ready.recipient} sent by receiver ${receiver}` };
  const { dealt } = transcriptFacts(s);
  let prev = 0;
  for (const d of b.ready.dealers) {
    if (d <= prev) return { ok: false, reason: 'Ready dealers must be strictly increasing' };
    if (!dealt.has(d)) return { ok: false, reason: `Ready names dealer ${d}, which has no dealing on chain` };
    prev = d;
  }
  for (const e of s.transcript) if (toHex(sha256(decodeEnvelope(e).body)) === id) return { ok: false, reason: 'REPLAY: message already processed' };
  return { ok: true, payload: 'ready' };
}
