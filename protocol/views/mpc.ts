// The MPC key and sessions as the pool's queries answer them (/mpc/...): the typed views, their
// declared shapes (parser and JSON Schema, shape.ts) and the app's renderers, side by side. The
// sidecar re-shapes these views into bytes for its crypto (sidecar/chain-view.ts).
import type { MpcKey, MpcKind, MpcMember, MpcSession, MpcSessionStatus } from '../../proto/seqpool.js';
import {
  ADDRESS,
  count,
  countOr0,
  enumOrString,
  extend,
  hex,
  HEX,
  HEX0X,
  hexList,
  hexListOrEmpty,
  indexListOrEmpty,
  listOf,
  listOfOrEmpty,
  note,
  object,
  optional,
  text,
  textOrEmpty,
  u64,
  u64Or0,
  upperHex,
  type EnumSpec,
  type ViewOf,
} from './shape.js';

// ---- names ------------------------------------------------------------------------------------

/** A session's kind and status as the app writes them (also in its events and logs), in .proto order. */
const KINDS = ['dkg', 'reshare', 'refresh'] as const;
const SESSION_STATUSES = ['open', 'done', 'failed'] as const;
export const KIND_NAMES: Readonly<Record<MpcKind, string>> = KINDS;
export const STATUS_NAMES: Readonly<Record<MpcSessionStatus, string>> = SESSION_STATUSES;
const MPC_KIND: EnumSpec<string> = { names: KINDS, protoPrefix: 'mpc_kind_' };
const MPC_SESSION_STATUS: EnumSpec<string> = { names: SESSION_STATUSES, protoPrefix: 'mpc_session_' };

// ---- shapes -----------------------------------------------------------------------------------

/** A member of a sharing or session; the address may be left out (then ''). */
const MEMBER = object('member', { index: count, address: textOrEmpty(ADDRESS), identity: text(HEX) /* 33-byte key */ }, { name: 'MpcMember' });
export type MpcSessionMember = ViewOf<typeof MEMBER>;
const KEY_MEMBER = extend(MEMBER, 'key member', { verifyingShare: text(HEX) }, { name: 'MpcKeyMember' });
export type MpcKeyMember = ViewOf<typeof KEY_MEMBER>;

export const MPC_KEY = object(
  'mpc key',
  {
    keyId: text(),
    groupKey: text(HEX),
    groupKeyL1: textOrEmpty(HEX0X), // the L1 encoding of groupKey; '' when the answer leaves it out
    threshold: count,
    keyEpoch: countOr0,
    members: listOf(KEY_MEMBER),
    commitments: optional(hexList), // group polynomial commitments, only when the answer carries them (the app's does not)
    session: text(HEX),
    height: u64Or0,
  },
  { name: 'MpcKey' },
);
export type MpcKeyView = ViewOf<typeof MPC_KEY>;
export const parseMpcKey = (v: unknown): MpcKeyView => MPC_KEY.parse(v);

const FAULT = object('fault', { address: textOrEmpty(ADDRESS), index: count, reason: text() }, { name: 'MpcFault' });

export const MPC_SESSION = object(
  'mpc session',
  {
    id: text(HEX), // 32-byte session id
    keyId: optional(text()), // only when the answer says (the app's does not: its one key is 'seqpool')
    kind: enumOrString(MPC_KIND),
    attempt: countOr0,
    keyEpoch: countOr0,
    threshold: count,
    dealers: listOf(MEMBER),
    receivers: listOf(MEMBER),
    openedHeight: u64,
    dealDeadline: u64,
    complaintDeadline: u64,
    finalHeight: u64,
    status: enumOrString(MPC_SESSION_STATUS),
    transcript: hexListOrEmpty, // encoded envelopes
    ready: indexListOrEmpty,
    faults: listOfOrEmpty(FAULT),
    failure: note,
    closedHeight: u64Or0,
    forEpoch: u64Or0,
  },
  { name: 'MpcSession' },
);
export type MpcSessionView = ViewOf<typeof MPC_SESSION>;
export const parseMpcSession = (v: unknown): MpcSessionView => MPC_SESSION.parse(v);

/** A session without its transcript (the list the dashboard shows). */
const MPC_SESSION_SUMMARY = object(
  'mpc session summary',
  {
    id: text(HEX),
    kind: enumOrString(MPC_KIND),
    attempt: countOr0,
    keyEpoch: countOr0,
    threshold: count,
    dealers: count,
    receivers: count,
    openedHeight: u64,
    finalHeight: u64,
    status: enumOrString(MPC_SESSION_STATUS),
    transcriptMessages: countOr0,
    ready: countOr0,
    faults: listOfOrEmpty(FAULT),
    failure: note,
    closedHeight: u64Or0,
    forEpoch: u64Or0,
  },
  { name: 'MpcSessionSummary' },
);
/** An MPC session without its transcript: how many dealers, receivers, messages and Ready there are. */
export type MpcSessionSummary = ViewOf<typeof MPC_SESSION_SUMMARY>;
export const MPC_SESSIONS = object('mpc sessions', { sessions: listOf(MPC_SESSION_SUMMARY) }, { name: 'MpcSessions' });
export const parseMpcSessions = (v: unknown): MpcSessionSummary[] => MPC_SESSIONS.parse(v).sessions;

// ---- renderers --------------------------------------------------------------------------------

const memberJson = (m: MpcMember) => ({ index: m.index, address: upperHex(m.address), identity: hex(m.identity) });
/** The fields a session and its summary open with, and those they end with, in the order the app writes them. */
const opening = (s: MpcSession) => ({ id: hex(s.id), kind: KIND_NAMES[s.kind], attempt: s.attempt, keyEpoch: s.keyEpoch, threshold: s.threshold });
const closing = (s: MpcSession) => ({
  faults: s.faults.map((f) => ({ address: upperHex(f.address), index: f.index, reason: f.reason })),
  failure: s.failure,
  closedHeight: s.closedHeight.toString(),
  forEpoch: s.forEpoch.toString(),
});

/** The key; `groupKeyL1` is its 64-byte L1 encoding (mpc/l1.ts encodeL1GroupKey). */
export function renderMpcKey(k: MpcKey, groupKeyL1: Uint8Array): Record<string, unknown> {
  return {
    keyId: k.keyId,
    groupKey: hex(k.groupKey),
    groupKeyL1: `0x${hex(groupKeyL1)}`,
    threshold: k.threshold,
    keyEpoch: k.keyEpoch,
    members: k.members.map((m, i) => ({ ...memberJson(m), verifyingShare: hex(k.verifyingShares[i]!) })),
    session: hex(k.session),
    height: k.height.toString(),
  };
}

export function renderMpcSession(s: MpcSession): Record<string, unknown> {
  return {
    ...opening(s),
    dealers: s.dealers.map(memberJson),
    receivers: s.receivers.map(memberJson),
    openedHeight: s.openedHeight.toString(),
    dealDeadline: s.dealDeadline.toString(),
    complaintDeadline: s.complaintDeadline.toString(),
    finalHeight: s.finalHeight.toString(),
    status: STATUS_NAMES[s.status],
    transcript: s.transcript.map(hex),
    ready: s.ready,
    ...closing(s),
  };
}

/** A session without its transcript (/mpc/sessions/recent/{n}); the whole one is /mpc/session/{id}. */
export function renderMpcSessionSummary(s: MpcSession): Record<string, unknown> {
  return {
    ...opening(s),
    dealers: s.dealers.length,
    receivers: s.receivers.length,
    openedHeight: s.openedHeight.toString(),
    finalHeight: s.finalHeight.toString(),
    status: STATUS_NAMES[s.status],
    transcriptMessages: s.transcript.length,
    ready: s.ready.length,
    ...closing(s),
  };
}
