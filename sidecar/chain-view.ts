// The sidecar's view of committed state: the JSON answers of the app's abci_query paths
// (docs/pool.md "Query paths") as read by the shared parsers (protocol/views/: lenient about
// number encodings, zero values left out and enum spellings, strict about the rest, errors name the
// field), decoded for the crypto: hex becomes bytes and enums the sidecar acts on become unions
// (DecodedSignRequest is protocol/views' SignRequestView with bytes, and so on).
import {
  fieldError,
  parseMpcKey,
  parseMpcSession,
  parsePendingSignRequests,
  parseSignRequest as parseRequestView,
  parseValidator as parseValidatorView,
  type MpcSessionMember,
  type SignRequestView as RequestView,
  type SignStatus,
} from '../protocol/views/index.js';
import { fromHex, toHex } from '../common/bytes.js';
import type { Member, PublicKeyPackage } from '../mpc/keys/types.js';

export type { SignStatus };
export type SessionKind = 'dkg' | 'reshare' | 'refresh';
export type SessionStatus = 'open' | 'done' | 'failed';

export interface SessionMember extends Member {
  address: string; // upper-case hex ('' when the app does not say)
}

export interface DecodedSession {
  id: Uint8Array;
  idHex: string;
  kind: SessionKind;
  keyId: string;
  attempt: number;
  keyEpoch: number;
  threshold: number;
  dealers: SessionMember[];
  receivers: SessionMember[];
  openedHeight: bigint;
  dealDeadline: bigint;
  complaintDeadline: bigint;
  finalHeight: bigint;
  status: SessionStatus;
  transcript: Uint8Array[];
  ready: number[];
}

export interface DecodedKeyMember extends Member {
  address: string;
  verifyingShare: Uint8Array;
}

export interface DecodedKey {
  keyId: string;
  groupKey: Uint8Array;
  threshold: number;
  keyEpoch: number;
  members: DecodedKeyMember[];
  /** Group polynomial commitments; absent when the app does not publish them (then the key store's copy is used). */
  commitments?: Uint8Array[];
  session: string; // hex
  height: bigint;
}

/** A sign request as protocol/views reads it, its verifier, payload and digest decoded to bytes. */
export type DecodedSignRequest = Pick<RequestView, 'id' | 'purpose' | 'chainId' | 'status' | 'createdHeight' | 'createdTime' | 'deadlineTime'> & Record<'verifier' | 'payload' | 'digest', Uint8Array>;

export interface DecodedValidator {
  address: string;
  pubKey: Uint8Array;
  power: bigint;
  sidecarNonce: bigint;
  peer: { peerId: string; addrs: string[] } | null;
  /** 'active', 'unlocking' or 'exited' (absent in the answer: 'active'). */
  status: string;
}

/** The key id a session is for when the answer does not say: the pool has one key. */
const POOL_KEY_ID = 'seqpool';
const KINDS: readonly SessionKind[] = ['dkg', 'reshare', 'refresh'];
const STATUSES: readonly SessionStatus[] = ['open', 'done', 'failed'];

/** Bytes of a hex field the parser passed as a string. */
function bytes(hex: string, what: string, field: string): Uint8Array {
  try {
    return fromHex(hex);
  } catch {
    throw fieldError(what, field, 'hex', hex);
  }
}

/** One of the names the sidecar acts on; the parser left other strings through for forward compatibility. */
function known<T extends string>(name: string, names: readonly T[], what: string, field: string): T {
  if ((names as readonly string[]).includes(name)) return name as T;
  throw fieldError(what, field, `one of ${names.join(', ')}`, name);
}

function member(m: MpcSessionMember, what: string, field: string): SessionMember {
  return { index: m.index, identity: bytes(m.identity, what, `${field}.identity`), address: m.address.toUpperCase() };
}

export function decodeSession(v: unknown): DecodedSession {
  const what = 'mpc session';
  const s = parseMpcSession(v);
  const id = bytes(s.id, what, 'id');
  if (id.length !== 32) throw fieldError(what, 'id', '32 bytes of hex', s.id);
  return {
    id,
    idHex: toHex(id),
    kind: known(s.kind, KINDS, what, 'kind'),
    keyId: s.keyId ?? POOL_KEY_ID,
    attempt: s.attempt,
    keyEpoch: s.keyEpoch,
    threshold: s.threshold,
    dealers: s.dealers.map((m, i) => member(m, what, `dealers[${i}]`)),
    receivers: s.receivers.map((m, i) => member(m, what, `receivers[${i}]`)),
    openedHeight: s.openedHeight,
    dealDeadline: s.dealDeadline,
    complaintDeadline: s.complaintDeadline,
    finalHeight: s.finalHeight,
    status: known(s.status, STATUSES, what, 'status'),
    transcript: s.transcript.map((t, i) => bytes(t, what, `transcript[${i}]`)),
    ready: s.ready,
  };
}

export function decodeKey(v: unknown): DecodedKey {
  const what = 'mpc key';
  const k = parseMpcKey(v);
  return {
    keyId: k.keyId,
    groupKey: bytes(k.groupKey, what, 'groupKey'),
    threshold: k.threshold,
    keyEpoch: k.keyEpoch,
    members: k.members.map((m, i) => ({ ...member(m, what, `members[${i}]`), verifyingShare: bytes(m.verifyingShare, what, `members[${i}].verifyingShare`) })),
    ...(k.commitments ? { commitments: k.commitments.map((c, i) => bytes(c, what, `commitments[${i}]`)) } : {}),
    session: k.session.replace(/^0x/, '').toLowerCase(),
    height: k.height,
  };
}

/** The signing package of a key as on chain; `commitments` fall back to `fallback` (our stored copy). */
export function keyPackage(k: DecodedKey, fallback?: Uint8Array[]): PublicKeyPackage {
  const members = [...k.members].sort((a, b) => a.index - b.index);
  return {
    keyId: k.keyId,
    epoch: k.keyEpoch,
    threshold: k.threshold,
    members: members.map((m) => ({ index: m.index, identity: m.identity })),
    groupKey: k.groupKey,
    commitments: k.commitments ?? fallback ?? [k.groupKey],
    verifyingShares: Object.fromEntries(members.map((m) => [m.index, m.verifyingShare])),
  };
}

function signRequest(r: RequestView): DecodedSignRequest {
  const what = 'sign request';
  return {
    id: r.id,
    purpose: r.purpose,
    chainId: r.chainId,
    verifier: bytes(r.verifier, what, 'verifier'),
    payload: bytes(r.payload, what, 'payload'),
    digest: bytes(r.digest, what, 'digest'),
    status: r.status,
    createdHeight: r.createdHeight,
    createdTime: r.createdTime,
    deadlineTime: r.deadlineTime,
  };
}

export function decodeSignRequest(v: unknown): DecodedSignRequest {
  return signRequest(parseRequestView(v));
}

export function decodePending(v: unknown): DecodedSignRequest[] {
  return parsePendingSignRequests(v).map(signRequest);
}

export function decodeValidator(v: unknown): DecodedValidator {
  const val = parseValidatorView(v);
  return {
    address: val.address.toUpperCase(),
    pubKey: bytes(val.pubKey, 'validator', 'pubKey'),
    power: val.power,
    sidecarNonce: val.sidecarNonce ?? 0n,
    peer: val.peer ? { peerId: val.peer.peerId, addrs: val.peer.addrs } : null,
    status: val.status ?? 'active',
  };
}
