// MPC lifecycle as replicated state (docs/pool.md "Committee, validator set changes and MPC
// sessions"): the genesis DKG, reshares at epoch boundaries, refreshes, finalisation with the same
// engine code the sidecars run (app/mpc-transcript.ts), jailing of proven faults and retries.
// Deterministic: block height only, ordered iteration, no randomness, no wall clock.
import { equalBytes, toHex } from '../common/bytes.js';
import type { Logger } from '../common/log.js';
import { MpcError } from '../mpc/errors.js';
import type { KeygenResult } from '../mpc/keys/dkg.js';
import type { Fault } from '../mpc/keys/vss-session.js';
import { thresholdFor } from '../mpc/threshold.js';
import { MpcKind, MpcSessionStatus, type MpcFault, type MpcKey, type MpcMember, type MpcPublic, type MpcSession, type Params, type Sequencer } from '../proto/seqpool.js';
import { answerMpcQuery } from './mpc-queries.js';
import { KIND_NAMES, STATUS_NAMES } from '../protocol/views/mpc.js';
import {
  committeeOf,
  indexByAddress,
  readKey,
  readOpenSession,
  readSession,
  sameAddresses,
  setOpenSession,
  writeKey,
  writeSession,
} from './mpc-state.js';
import { applyEnvelope, judgeEnvelope } from './mpc-judge.js';
import { newObserver, peekObserver, returnObserver, takeObserver, transcriptFacts, type SessionParams } from './mpc-transcript.js';
import type { State, View } from './state.js';

/** An ABCI event in the shape FinalizeBlock returns. */
export interface AppEvent {
  type: string;
  attributes: { key: string; value: string; index: boolean }[];
}

export interface MpcBlockContext {
  height: bigint;
  /** Block time, unix seconds. */
  time: bigint;
  params: Params;
  log: Logger;
  /** Jail a sequencer (app-owned: sets jailed + reason, creates a slash request when configured). */
  jail(address: Uint8Array, reason: string): void;
  events: AppEvent[];
}

/** The current sharing, or undefined before the genesis DKG finished. */
export function currentKey(state: State, view: View = 'working'): MpcKey | undefined {
  return readKey(state, view);
}

/** The open session, if any. */
export function openSession(state: State, view: View = 'working'): MpcSession | undefined {
  return readOpenSession(state, view);
}

/**
 * Why an MpcPublic tx must be rejected (undefined: acceptable), without changing state (CheckTx).
 * `height` (optional: the height the tx would land in) adds the phase deadlines; FinalizeBlock
 * always applies them. The engine work does not grow with the transcript (mpc-judge.ts).
 */
export function checkMpcPublic(state: State, view: View, msg: MpcPublic, signer: Sequencer, height?: bigint): string | undefined {
  const s = readOpenSession(state, view);
  if (!s) return 'no MPC session is open';
  if (!equalBytes(msg.session, s.id)) return `session ${toHex(msg.session)} is not the open session ${toHex(s.id)}`;
  const j = judgeEnvelope(s, readKey(state, view), msg.envelope, signer.pubKey, height);
  return j.ok ? undefined : j.reason;
}

/** Apply an MpcPublic tx (FinalizeBlock); returns a rejection reason or undefined when applied. */
export function deliverMpcPublic(state: State, msg: MpcPublic, signer: Sequencer, ctx: MpcBlockContext): string | undefined {
  const s = readOpenSession(state, 'working');
  if (!s) return 'no MPC session is open';
  if (!equalBytes(msg.session, s.id)) return `session ${toHex(msg.session)} is not the open session ${toHex(s.id)}`;
  const key = readKey(state, 'working');
  const j = judgeEnvelope(s, key, msg.envelope, signer.pubKey, ctx.height);
  if (!j.ok) return j.reason;
  const refused = applyEnvelope(s, key, msg.envelope, j.payload);
  if (refused) return refused;
  if (j.payload === 'ready') {
    const r = s.receivers.find((m) => equalBytes(m.identity, signer.pubKey))!.index;
    s.ready = [...s.ready, r].sort((a, b) => a - b);
  }
  writeSession(state, s);
  return undefined;
}

/**
 * Called once per block after the txs: opens the genesis DKG when there is no key and no session
 * (once the committee's sidecars are up, genesisDkgDue), finalises the open session when it is complete or past its final height, retries failures.
 */
export function endBlockMpc(state: State, ctx: MpcBlockContext): void {
  const s = readOpenSession(state, 'working');
  if (!s) {
    if (!readKey(state, 'working') && genesisDkgDue(state, ctx)) openDkg(state, ctx, committeeMembers(state), 0);
    return;
  }
  if (ctx.height <= s.openedHeight) return;
  const key = readKey(state, 'working');
  if (ctx.height >= s.finalHeight || isComplete(s, key, ctx.height)) finalise(state, s, key, ctx);
}

/**
 * Called at an epoch boundary with the new committee (active, unjailed, power > 0, by address):
 * opens a reshare when it differs from the key's members, or a refresh when one is due.
 */
export function onEpochBoundary(state: State, committee: Sequencer[], epochId: bigint, ctx: MpcBlockContext): void {
  const key = readKey(state, 'working');
  if (!key) return; // the genesis DKG is still running
  const open = readOpenSession(state, 'working');
  if (open) {
    ctx.log.info({ session: toHex(open.id), epoch: epochId.toString() }, 'MPC session still open at the epoch boundary; a committee change waits for the next one');
    return;
  }
  const com = committeeOf(committee);
  if (com.length === 0) return;
  if (!sameAddresses(com, key.members)) {
    const dealers = key.members.filter((m) => !state.sequencer(m.address)?.jailed);
    if (dealers.length < key.threshold) {
      ctx.log.error({ dealers: dealers.length, threshold: key.threshold }, 'too few unjailed key holders to reshare; the old sharing keeps signing');
      return;
    }
    const receivers = indexByAddress(com.map((q) => ({ address: q.address, identity: q.pubKey })));
    startSession(state, ctx, key, { kind: MpcKind.RESHARE, attempt: 0, keyEpoch: key.keyEpoch + 1, threshold: thresholdFor(receivers.length), dealers, receivers }, epochId);
  } else if (ctx.params.refreshEveryEpochs > 0 && epochId % BigInt(ctx.params.refreshEveryEpochs) === 0n) {
    startSession(state, ctx, key, { kind: MpcKind.REFRESH, attempt: 0, keyEpoch: key.keyEpoch + 1, threshold: key.threshold, dealers: key.members, receivers: key.members }, epochId);
  }
}

/** abci_query paths under /mpc/ (JSON answers), or undefined when the path is not an MPC path. */
export function mpcQuery(state: State, path: string): { code: number; value?: unknown; log?: string } | undefined {
  return answerMpcQuery(state, path);
}

// ---------- internals ----------

/**
 * The genesis DKG opens once every committee member's sidecar has bound its MPC peer (BindPeer is
 * the first thing a sidecar does): one that is not up yet could not deal before the deal deadline
 * and would be left out of the key (on a 2-core localnet, 5 of 10). It waits 3 phases at most.
 */
function genesisDkgDue(state: State, ctx: MpcBlockContext): boolean {
  const committee = committeeOf(state.sequencers('working'));
  if (committee.length === 0) return false;
  if (committee.every((q) => q.peer !== undefined)) return true;
  const first = state.chain('working')?.initialHeight ?? 1n;
  return ctx.height >= first + 3n * BigInt(ctx.params.mpcPhaseBlocks);
}

function committeeMembers(state: State): MpcMember[] {
  return indexByAddress(committeeOf(state.sequencers('working')).map((q) => ({ address: q.address, identity: q.pubKey })));
}

function openDkg(state: State, ctx: MpcBlockContext, members: MpcMember[], attempt: number): void {
  if (members.length === 0) return;
  startSession(state, ctx, undefined, { kind: MpcKind.DKG, attempt, keyEpoch: 0, threshold: thresholdFor(members.length), dealers: members, receivers: members }, 0n);
}

/** Opens a session (bumping the attempt past any stored session with the same id). */
function startSession(state: State, ctx: MpcBlockContext, key: MpcKey | undefined, p: SessionParams, forEpoch: bigint): void {
  let engine;
  let attempt = p.attempt;
  try {
    for (;;) {
      engine = newObserver({ ...p, attempt }, key);
      if (!readSession(state, engine.session, 'working')) break;
      attempt++;
    }
  } catch (e) {
    ctx.log.error({ kind: KIND_NAMES[p.kind], err: (e as Error).message }, 'cannot open MPC session');
    return;
  }
  const h = ctx.height;
  const P = BigInt(ctx.params.mpcPhaseBlocks);
  const s: MpcSession = {
    id: engine.session,
    ...p,
    attempt,
    openedHeight: h,
    dealDeadline: h + P,
    complaintDeadline: h + 2n * P,
    finalHeight: h + 3n * P,
    status: MpcSessionStatus.OPEN,
    transcript: [],
    ready: [],
    faults: [],
    failure: '',
    closedHeight: 0n,
    forEpoch,
    transcriptBytes: 0,
    transcriptDigest: new Uint8Array(0),
  };
  writeSession(state, s);
  setOpenSession(state, s.id);
  returnObserver(s, key, engine);
  ctx.events.push(event('mpc_session_opened', { session: toHex(s.id), kind: KIND_NAMES[s.kind] }));
  ctx.log.info({ session: toHex(s.id), kind: KIND_NAMES[s.kind], attempt, dealers: s.dealers.length, receivers: s.receivers.length, threshold: s.threshold }, 'MPC session opened');
}

/**
 * Every receiver is Ready for every qualified dealer and no complaint is unanswered; before the deal
 * deadline also every dealer dealt. Past it no dealing can land any more, so a silent dealer (an
 * exiting operator who switched off, a crashed sidecar) is simply out and nobody waits for it.
 */
function isComplete(s: MpcSession, key: MpcKey | undefined, height: bigint): boolean {
  if (s.ready.length < s.receivers.length) return false; // before decoding the transcript: most blocks stop here
  const { dealt, ready } = transcriptFacts(s);
  if (dealt.size === 0) return false;
  if (height <= s.dealDeadline && s.dealers.some((d) => !dealt.has(d.index))) return false;
  if (s.receivers.some((r) => !ready.has(r.index))) return false;
  const st = peekObserver(s, key).status();
  if (st.unanswered.length > 0) return false;
  const faulty = new Set(st.faults.map((f) => f.dealer));
  const qualified = s.dealers.map((d) => d.index).filter((d) => dealt.has(d) && !faulty.has(d));
  return s.receivers.every((r) => qualified.every((d) => ready.get(r.index)!.includes(d)));
}

function finalise(state: State, s: MpcSession, key: MpcKey | undefined, ctx: MpcBlockContext): void {
  const engine = takeObserver(s, key); // finalise() consumes it: never returned to the memo
  let result: KeygenResult | undefined;
  let failure = '';
  try {
    result = engine.finalise();
  } catch (e) {
    if (!(e instanceof MpcError)) throw e;
    failure = e.message;
  }
  const st: { faults: Fault[]; falseComplainers: number[] } = result ?? engine.status();
  const { dealt } = transcriptFacts(s);
  const addr = (list: MpcMember[], i: number) => list.find((m) => m.index === i)!.address;
  const faults: MpcFault[] = [
    ...[...st.faults].sort((a, b) => a.dealer - b.dealer).map((f) => ({ address: addr(s.dealers, f.dealer), index: f.dealer, reason: f.reason })),
    ...[...st.falseComplainers].sort((a, b) => a - b).map((r) => ({ address: addr(s.receivers, r), index: r, reason: 'false-complaint' })),
  ];
  // Silence is not misbehaviour anyone can prove (a slow start, a crash, a partition): the silent
  // are recorded, left out of the key (or of the retry), and never jailed; they are still in the
  // committee, so the reshare at the next epoch boundary brings them back in. When nobody dealt the
  // retry keeps everyone.
  const silent = silentOf(s, dealt).map((d) => ({ address: d.address, index: d.index, reason: 'silent' }));
  const jailed = new Set<string>();
  for (const f of faults) {
    const a = toHex(f.address);
    if (jailed.has(a)) continue;
    jailed.add(a);
    if (state.sequencer(f.address)?.jailed) continue;
    ctx.jail(f.address, `mpc ${KIND_NAMES[s.kind]}: ${f.reason}`);
  }
  s.status = result ? MpcSessionStatus.DONE : MpcSessionStatus.FAILED;
  s.faults = [...faults, ...silent];
  s.failure = failure;
  s.closedHeight = ctx.height;
  writeSession(state, s);
  setOpenSession(state, undefined);
  if (result) writeKey(state, keyOf(s, result, ctx.height));
  ctx.events.push(event('mpc_session_closed', { session: toHex(s.id), status: STATUS_NAMES[s.status] }));
  ctx.log.info({ session: toHex(s.id), kind: KIND_NAMES[s.kind], status: STATUS_NAMES[s.status], faults: faults.length, failure }, 'MPC session closed');
  if (!result) {
    const leftOut = new Set(jailed);
    if (dealt.size > 0) for (const d of silentOf(s, dealt)) leftOut.add(toHex(d.address));
    retry(state, s, key, leftOut, ctx);
  }
}

const silentOf = (s: MpcSession, dealt: Set<number>): MpcMember[] => s.dealers.filter((d) => !dealt.has(d.index));

function keyOf(s: MpcSession, r: KeygenResult, height: bigint): MpcKey {
  const pub = r.public;
  const members = pub.members.map((m) => s.receivers.find((x) => x.index === m.index)!);
  return {
    keyId: pub.keyId,
    groupKey: pub.groupKey,
    threshold: pub.threshold,
    keyEpoch: pub.epoch,
    members,
    commitments: pub.commitments,
    verifyingShares: members.map((m) => pub.verifyingShares[m.index]!),
    session: s.id,
    height,
  };
}

/** A failed session reopens at once as attempt + 1 without the faulty (and, unless all were, the silent) parties. */
function retry(state: State, s: MpcSession, key: MpcKey | undefined, excluded: Set<string>, ctx: MpcBlockContext): void {
  const keep = (m: MpcMember) => !excluded.has(toHex(m.address));
  if (s.kind === MpcKind.DKG) {
    const inCommittee = new Set(committeeOf(state.sequencers('working')).map((q) => toHex(q.address)));
    const members = indexByAddress(s.receivers.filter((m) => keep(m) && inCommittee.has(toHex(m.address))));
    openDkg(state, ctx, members, s.attempt + 1);
  } else if (s.kind === MpcKind.RESHARE && key) {
    const dealers = s.dealers.filter(keep);
    const receivers = indexByAddress(s.receivers.filter(keep));
    if (dealers.length < key.threshold || receivers.length === 0) {
      ctx.log.error({ dealers: dealers.length, threshold: key.threshold }, 'reshare failed and cannot be retried; the old sharing keeps signing');
      return;
    }
    startSession(state, ctx, key, { kind: MpcKind.RESHARE, attempt: s.attempt + 1, keyEpoch: s.keyEpoch, threshold: thresholdFor(receivers.length), dealers, receivers }, s.forEpoch);
  }
  // A refresh runs among all holders; after a failure the jailed ones leave at the next boundary,
  // where a reshare replaces it.
}

function event(type: string, attrs: Record<string, string>): AppEvent {
  return { type, attributes: Object.entries(attrs).map(([key, value]) => ({ key, value, index: true })) };
}
