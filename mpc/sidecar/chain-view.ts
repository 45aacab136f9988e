// The sidecar's view of committed state: the JSON answers of the app's abci_query paths
// (docs/pool.md "Query paths"), parsed into typed records. Parsing is lenient about number encodings
// (decimal strings or numbers) and enum spellings ("dkg", "DKG", "MPC_KIND_DKG", 0) and strict about
// what the sidecar relies on: a missing or malformed field throws an error naming it.
import { fromHex } from '../../common/bytes.js';
import type { Member, PublicKeyPackage } from '../keys/types.js';

export type SessionKind = 'dkg' | 'reshare' | 'refresh';
export type SessionStatus = 'open' | 'done' | 'failed';

export interface SessionMember extends Member {
  address: string; // upper-case hex ('' when the app does not say)
}

export interface SessionView {
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

export interface KeyMemberView extends Member {
  address: string;
  verifyingShare: Uint8Array;
}

export interface KeyView {
  keyId: string;
  groupKey: Uint8Array;
  threshold: number;
  keyEpoch: number;
  members: KeyMemberView[];
  /** Group polynomial commitments; absent when the app does not publish them (then the key store's copy is used). */
  commitments?: Uint8Array[];
  session: string; // hex
  height: bigint;
}

export type SignStatus = 'pending' | 'signed' | 'expired';

export interface SignRequestView {
  id: bigint;
  purpose: string;
  chainId: bigint;
  verifier: Uint8Array;
  payload: Uint8Array;
  digest: Uint8Array;
  status: SignStatus;
  createdHeight: bigint;
  createdTime: bigint;
  deadlineTime: bigint;
}

export interface ValidatorView {
  address: string;
  pubKey: Uint8Array;
  power: bigint;
  sidecarNonce: bigint;
  peer: { peerId: string; addrs: string[] } | null;
}

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what}: expected an object`);
  return v as Obj;
}
function field(o: Obj, name: string, what: string): unknown {
  if (!(name in o) || o[name] === undefined) throw new Error(`${what}: missing field ${name}`);
  return o[name];
}
function big(o: Obj, name: string, what: string, dflt?: bigint): bigint {
  if (dflt !== undefined && (o[name] === undefined || o[name] === null)) return dflt;
  const v = field(o, name, what);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new Error(`${what}: field ${name} is not an integer (${JSON.stringify(v)})`);
}
const num = (o: Obj, name: string, what: string, dflt?: number): number => Number(big(o, name, what, dflt === undefined ? undefined : BigInt(dflt)));
function bytes(o: Obj, name: string, what: string): Uint8Array {
  const v = field(o, name, what);
  if (typeof v !== 'string') throw new Error(`${what}: field ${name} is not hex`);
  try {
    return fromHex(v);
  } catch {
    throw new Error(`${what}: field ${name} is not hex (${JSON.stringify(v.slice(0, 40))})`);
  }
}
function str(o: Obj, name: string, what: string, dflt?: string): string {
  const v = o[name];
  if (v === undefined || v === null) {
    if (dflt !== undefined) return dflt;
    throw new Error(`${what}: missing field ${name}`);
  }
  if (typeof v !== 'string') throw new Error(`${what}: field ${name} is not a string`);
  return v;
}
function list(o: Obj, name: string, what: string, optional = false): unknown[] {
  const v = o[name];
  if ((v === undefined || v === null) && optional) return [];
  if (!Array.isArray(v)) throw new Error(`${what}: field ${name} is not a list`);
  return v;
}

function enumOf<T extends string>(v: unknown, names: readonly T[], what: string): T {
  if (typeof v === 'number' && names[v] !== undefined) return names[v]!;
  if (typeof v === 'string') {
    const s = v.toLowerCase().replace(/^mpc_kind_|^mpc_session_|^sign_status_/, '');
    const hit = names.find((n) => n === s);
    if (hit) return hit;
  }
  throw new Error(`${what}: unknown value ${JSON.stringify(v)} (expected one of ${names.join(', ')})`);
}

function member(v: unknown, what: string): SessionMember {
  const o = obj(v, what);
  return { index: num(o, 'index', what), identity: bytes(o, 'identity', what), address: str(o, 'address', what, '').toUpperCase() };
}

export function parseSession(v: unknown): SessionView {
  const what = '/mpc/session';
  const o = obj(v, what);
  const id = bytes(o, 'id', what);
  if (id.length !== 32) throw new Error(`${what}: id must be 32 bytes`);
  return {
    id,
    idHex: Buffer.from(id).toString('hex'),
    kind: enumOf(field(o, 'kind', what), ['dkg', 'reshare', 'refresh'] as const, `${what} kind`),
    keyId: str(o, 'keyId', what, 'seqpool'),
    attempt: num(o, 'attempt', what, 0),
    keyEpoch: num(o, 'keyEpoch', what, 0),
    threshold: num(o, 'threshold', what),
    dealers: list(o, 'dealers', what).map((m, i) => member(m, `${what} dealers[${i}]`)),
    receivers: list(o, 'receivers', what).map((m, i) => member(m, `${what} receivers[${i}]`)),
    openedHeight: big(o, 'openedHeight', what),
    dealDeadline: big(o, 'dealDeadline', what),
    complaintDeadline: big(o, 'complaintDeadline', what),
    finalHeight: big(o, 'finalHeight', what),
    status: enumOf(field(o, 'status', what), ['open', 'done', 'failed'] as const, `${what} status`),
    transcript: list(o, 'transcript', what, true).map((h, i) => {
      if (typeof h !== 'string') throw new Error(`${what}: transcript[${i}] is not hex`);
      return fromHex(h);
    }),
    ready: list(o, 'ready', what, true).map((r) => Number(r)),
  };
}

export function parseKey(v: unknown): KeyView {
  const what = '/mpc/key';
  const o = obj(v, what);
  const commitments = o.commitments === undefined || o.commitments === null ? undefined : list(o, 'commitments', what).map((c) => fromHex(String(c)));
  return {
    keyId: str(o, 'keyId', what, 'seqpool'),
    groupKey: bytes(o, 'groupKey', what),
    threshold: num(o, 'threshold', what),
    keyEpoch: num(o, 'keyEpoch', what, 0),
    members: list(o, 'members', what).map((m, i) => {
      const w = `${what} members[${i}]`;
      const mo = obj(m, w);
      return { index: num(mo, 'index', w), identity: bytes(mo, 'identity', w), address: str(mo, 'address', w, '').toUpperCase(), verifyingShare: bytes(mo, 'verifyingShare', w) };
    }),
    ...(commitments ? { commitments } : {}),
    session: str(o, 'session', what, '').replace(/^0x/, '').toLowerCase(),
    height: big(o, 'height', what, 0n),
  };
}

/** The signing package of a key as on chain; `commitments` fall back to `fallback` (our stored copy). */
export function keyPackage(k: KeyView, fallback?: Uint8Array[]): PublicKeyPackage {
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

export function parseSignRequest(v: unknown): SignRequestView {
  const what = 'sign request';
  const o = obj(v, what);
  return {
    id: big(o, 'id', what),
    purpose: str(o, 'purpose', what),
    chainId: big(o, 'chainId', what),
    verifier: bytes(o, 'verifier', what),
    payload: bytes(o, 'payload', what),
    digest: bytes(o, 'digest', what),
    status: enumOf(field(o, 'status', what), ['pending', 'signed', 'expired'] as const, `${what} status`),
    createdHeight: big(o, 'createdHeight', what),
    createdTime: big(o, 'createdTime', what, 0n),
    deadlineTime: big(o, 'deadlineTime', what, 0n),
  };
}

export function parsePending(v: unknown): SignRequestView[] {
  const o = obj(v, '/sign/pending');
  return list(o, 'requests', '/sign/pending').map(parseSignRequest);
}

export function parseValidator(v: unknown): ValidatorView {
  const what = '/validator';
  const o = obj(v, what);
  const peer = o.peer === null || o.peer === undefined ? null : obj(o.peer, `${what} peer`);
  return {
    address: str(o, 'address', what).toUpperCase(),
    pubKey: bytes(o, 'pubKey', what),
    power: big(o, 'power', what, 0n),
    sidecarNonce: big(o, 'sidecarNonce', what, 0n),
    peer: peer ? { peerId: str(peer, 'peerId', `${what} peer`), addrs: list(peer, 'addrs', `${what} peer`).map(String) } : null,
  };
}
