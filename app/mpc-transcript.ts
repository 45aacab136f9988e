// Replaying a session transcript into an observer engine: the same DkgEngine / ReshareEngine /
// RefreshEngine the sidecars run, built with an identity that is neither dealer nor receiver, so it
// sees only the public channel and derives the qualified set exactly as every sidecar does.
// Results never depend on the memo below: a miss rebuilds from the stored transcript.
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { toHex } from '../common/bytes.js';
import { equalBytes } from '../mpc/envelope.js';
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
function observerIdentity(parties: readonly Uint8Array[]): IdentityKey {
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
function bodyOf(envelope: Uint8Array): BodyMsg & { payload: string } {
  return decodeBody(decodeEnvelope(envelope).body);
}

/** What the transcript says without running the engine: who dealt, each receiver's Ready. */
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

/** Appends an accepted envelope, keeping the byte count and the running digest in step with it. */
export function appendEntry(s: MpcSession, envelope: Uint8Array): void {
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, envelope.length);
  s.transcriptDigest = sha256.create().update(s.transcriptDigest).update(len).update(envelope).digest();
  s.transcriptBytes += envelope.length;
  s.transcript.push(envelope);
}

// ---------- memo: observer engines by (session, transcript content) ----------

const MEMO_SIZE = 8;
const memo = new Map<string, ObserverEngine>();

/**
 * Content key: the session id (which binds kind, committees, threshold, attempt), the sharing the
 * session deals from (reshare/refresh: its verifying shares are what dealings are checked against)
 * and the transcript, through its running digest and length: O(1) in the transcript's length, so
 * CheckTx finds the committed transcript's engine without rehashing the transcript.
 */
function contentKey(s: Pick<MpcSession, 'id' | 'transcript' | 'transcriptDigest'>, key: MpcKey | undefined): string {
  const h = sha256.create();
  h.update(s.id);
  if (key) h.update(MpcKeyCodec.encode(key));
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, s.transcript.length);
  h.update(len).update(s.transcriptDigest);
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
function replay(s: MpcSession, key: MpcKey | undefined): ObserverEngine {
  const engine = newObserver(s, key);
  if (!equalBytes(engine.session, s.id)) throw new Error(`session ${toHex(s.id)} does not match its parameters`);
  for (const e of s.transcript) {
    if (bodyOf(e).payload === 'ready') continue;
    engine.receive(e); // accepted once, so it is accepted again: a throw here means corrupt state
  }
  return engine;
}

/**
 * The engine for exactly this transcript, left in the memo (replayed and memoised on a miss): for
 * judging without advancing it (check(), status reads). The caller must not change it.
 */
export function peekObserver(s: MpcSession, key: MpcKey | undefined): ObserverEngine {
  const k = contentKey(s, key);
  let engine = memo.get(k);
  if (!engine) engine = replay(s, key);
  remember(k, engine);
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

/** Puts an engine back, keyed by the transcript it has absorbed (Ready entries aside). */
export function returnObserver(s: MpcSession, key: MpcKey | undefined, engine: ObserverEngine): void {
  remember(contentKey(s, key), engine);
}
