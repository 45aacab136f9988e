// The one reading of the pool's query answers (docs/pool.md "Query paths", docs/queries.md): the app's
// JSON into the typed views of client/pool-types.ts. Both clients use it, and so do the bridge
// (bridge/pool-view.ts) and the MPC sidecar (mpc/sidecar/chain-view.ts), which only re-shape the views.
// Integers arrive as decimal strings (or safe numbers) and become bigints; bytes stay hex strings as the
// app writes them. A parser throws PoolParseError naming the field when an answer does not have the
// documented shape, so a version mismatch is reported, not guessed past.
// Lenient where one of the readers this replaced was, and only there: a number whose 0 means "none /
// not yet" may be left out, as proto3 JSON leaves out zero values (the fields read with bigOr0/numOr0),
// and an enum value may also be spelled as in the .proto (SIGN_STATUS_SIGNED, any case) or be its number.
// Type imports only: this file must load anywhere (jest, browsers, L2 nodes).
import type {
  BatchMetaView,
  BatchView,
  BatchStatus,
  CurrentEpoch,
  Epoch,
  EpochStatus,
  HealthView,
  MpcKeyView,
  MpcSessionMember,
  MpcSessionView,
  ProducerAnswer,
  SignRequestView,
  SignStatus,
  StatusView,
  ValidatorView,
} from './pool-types.js';

export class PoolParseError extends Error {
  constructor(readonly what: string, message: string) {
    super(`unexpected ${what} answer: ${message}`);
    this.name = 'PoolParseError';
  }
}

type Json = Record<string, unknown>;

/** A uint as the app writes it: decimal, no sign, no leading zeros. */
export const DECIMAL = /^(0|[1-9][0-9]*)$/;

// ---- field readers ------------------------------------------------------------------------------

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v;
}

/** The error for field `field` of a `what` answer; exported so re-shaping readers report alike. */
export function fieldError(what: string, field: string, expected: string, got: unknown): PoolParseError {
  return new PoolParseError(what, `field ${field}: expected ${expected}, got ${describe(got)}`);
}

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PoolParseError(what, `expected an object, got ${describe(v)}`);
  return v as Json;
}
const absent = (o: Json, k: string): boolean => o[k] === undefined || o[k] === null;

function big(o: Json, k: string, what: string): bigint {
  const v = o[k];
  if (typeof v === 'string' && DECIMAL.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^-[1-9][0-9]*$/.test(v)) return BigInt(v); // int64 heights may be negative in principle
  throw fieldError(what, k, 'a decimal integer string', v);
}
/** A counter or height whose 0 means "none / not yet": the app may leave it out at 0. */
const bigOr0 = (o: Json, k: string, what: string): bigint => (absent(o, k) ? 0n : big(o, k, what));
/** Optional bigint: absent stays absent. */
const optBig = (o: Json, k: string, what: string): bigint | undefined => (absent(o, k) ? undefined : big(o, k, what));

function num(o: Json, k: string, what: string): number {
  const n = big(o, k, what);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new PoolParseError(what, `field ${k}: ${n} is too large`);
  return Number(n);
}
const numOr0 = (o: Json, k: string, what: string): number => (absent(o, k) ? 0 : num(o, k, what));

function str(o: Json, k: string, what: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw fieldError(what, k, 'a string', v);
  return v;
}
/** A string the app writes as null (or empty) when there is none yet. */
function strOrNull(o: Json, k: string, what: string): string | null {
  const v = o[k];
  if (v === null || v === undefined || v === '' || v === '0x') return null;
  return str(o, k, what);
}
/** A string the app may leave out; absent reads as ''. */
const strOrEmpty = (o: Json, k: string, what: string): string => (absent(o, k) ? '' : str(o, k, what));

function bool(o: Json, k: string, what: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') throw fieldError(what, k, 'true or false', v);
  return v;
}

function arr(o: Json, k: string, what: string): unknown[] {
  const v = o[k];
  if (!Array.isArray(v)) throw fieldError(what, k, 'an array', v);
  return v;
}
/** A list the app may leave out while it is empty. */
const arrOrEmpty = (o: Json, k: string, what: string): unknown[] => (absent(o, k) ? [] : arr(o, k, what));

/** Entries of a list of strings (hex, as the app writes bytes). */
function strings(list: unknown[], k: string, what: string): string[] {
  return list.map((s, i) => {
    if (typeof s !== 'string') throw fieldError(what, `${k}[${i}]`, 'a hex string', s);
    return s;
  });
}

// ---- enums --------------------------------------------------------------------------------------

/** An enum: its names as the app writes them, in .proto order (so a number indexes them), and the prefix of its .proto value names. */
interface EnumSpec<T extends string> {
  readonly names: readonly T[];
  readonly protoPrefix: string;
}
const EPOCH_STATUS: EnumSpec<EpochStatus> = { names: ['elected', 'committed'], protoPrefix: 'epoch_status_' };
const SIGN_STATUS: EnumSpec<SignStatus> = { names: ['pending', 'signed', 'expired'], protoPrefix: 'sign_status_' };
const BATCH_STATUS: EnumSpec<BatchStatus> = { names: ['signing', 'signed', 'finalized', 'expired'], protoPrefix: 'batch_status_' };
const MPC_KIND: EnumSpec<string> = { names: ['dkg', 'reshare', 'refresh'], protoPrefix: 'mpc_kind_' };
const MPC_SESSION_STATUS: EnumSpec<string> = { names: ['open', 'done', 'failed'], protoPrefix: 'mpc_session_' };

/** The app's name of an enum value written as the app does, as its .proto name in any case, or as its number. */
function enumName<T extends string>(v: unknown, e: EnumSpec<T>): T | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? e.names[v] : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.toLowerCase();
  const bare = s.startsWith(e.protoPrefix) ? s.slice(e.protoPrefix.length) : s;
  return e.names.find((n) => n === bare);
}
function oneOf<T extends string>(o: Json, k: string, e: EnumSpec<T>, what: string): T {
  const name = enumName(o[k], e);
  if (name === undefined) throw fieldError(what, k, `one of ${e.names.join(', ')}`, o[k]);
  return name;
}
/** An enum typed as a string for forward compatibility: known spellings become the app's name, other strings pass. */
const enumOrString = (o: Json, k: string, e: EnumSpec<string>, what: string): string => enumName(o[k], e) ?? str(o, k, what);

// ---- parsers ------------------------------------------------------------------------------------

export function parseEpoch(v: unknown): Epoch {
  const w = 'epoch';
  const o = obj(v, w);
  return {
    id: big(o, 'id', w),
    startL2: big(o, 'startL2', w),
    endL2: big(o, 'endL2', w),
    producer: str(o, 'producer', w),
    signer: str(o, 'signer', w),
    seed: str(o, 'seed', w),
    electedHeight: big(o, 'electedHeight', w),
    signRequest: bigOr0(o, 'signRequest', w),
    status: oneOf(o, 'status', EPOCH_STATUS, w),
    isRespan: absent(o, 'isRespan') ? false : bool(o, 'isRespan', w),
    respanOf: bigOr0(o, 'respanOf', w),
  };
}

export function parseCurrentEpoch(v: unknown): CurrentEpoch {
  const w = 'current epoch';
  const o = obj(v, w);
  return { ...parseEpoch(o), l2Head: big(o, 'l2Head', w), l2HeadTime: big(o, 'l2HeadTime', w) };
}

export function parseProducer(v: unknown): ProducerAnswer {
  const w = 'producer';
  const o = obj(v, w);
  return { l2Height: big(o, 'l2Height', w), epochId: big(o, 'epochId', w), producer: str(o, 'producer', w), signer: str(o, 'signer', w) };
}

/** A member of a sharing or session; the address may be left out (then ''). */
function parseMember(v: unknown, what: string): MpcSessionMember {
  const o = obj(v, what);
  return { index: num(o, 'index', what), address: strOrEmpty(o, 'address', what), identity: str(o, 'identity', what) };
}

export function parseMpcKey(v: unknown): MpcKeyView {
  const w = 'mpc key';
  const o = obj(v, w);
  return {
    keyId: str(o, 'keyId', w),
    groupKey: str(o, 'groupKey', w),
    groupKeyL1: strOrEmpty(o, 'groupKeyL1', w),
    threshold: num(o, 'threshold', w),
    keyEpoch: numOr0(o, 'keyEpoch', w),
    members: arr(o, 'members', w).map((m, i) => {
      const mw = `${w} members[${i}]`;
      return { ...parseMember(m, mw), verifyingShare: str(obj(m, mw), 'verifyingShare', mw) };
    }),
    ...(absent(o, 'commitments') ? {} : { commitments: strings(arr(o, 'commitments', w), 'commitments', w) }),
    session: str(o, 'session', w),
    height: bigOr0(o, 'height', w),
  };
}

export function parseMpcSession(v: unknown): MpcSessionView {
  const w = 'mpc session';
  const o = obj(v, w);
  return {
    id: str(o, 'id', w),
    ...(absent(o, 'keyId') ? {} : { keyId: str(o, 'keyId', w) }),
    kind: enumOrString(o, 'kind', MPC_KIND, w),
    attempt: numOr0(o, 'attempt', w),
    keyEpoch: numOr0(o, 'keyEpoch', w),
    threshold: num(o, 'threshold', w),
    dealers: arr(o, 'dealers', w).map((m, i) => parseMember(m, `${w} dealers[${i}]`)),
    receivers: arr(o, 'receivers', w).map((m, i) => parseMember(m, `${w} receivers[${i}]`)),
    openedHeight: big(o, 'openedHeight', w),
    dealDeadline: big(o, 'dealDeadline', w),
    complaintDeadline: big(o, 'complaintDeadline', w),
    finalHeight: big(o, 'finalHeight', w),
    status: enumOrString(o, 'status', MPC_SESSION_STATUS, w),
    transcript: strings(arrOrEmpty(o, 'transcript', w), 'transcript', w),
    ready: arrOrEmpty(o, 'ready', w).map((r, i) => {
      if (typeof r === 'number' && Number.isSafeInteger(r) && r >= 0) return r;
      throw fieldError(w, `ready[${i}]`, 'a member index', r);
    }),
    faults: arrOrEmpty(o, 'faults', w).map((f, i) => {
      const fw = `${w} faults[${i}]`;
      const fo = obj(f, fw);
      return { address: strOrEmpty(fo, 'address', fw), index: num(fo, 'index', fw), reason: str(fo, 'reason', fw) };
    }),
    failure: typeof o.failure === 'string' ? o.failure : '',
    closedHeight: bigOr0(o, 'closedHeight', w),
    forEpoch: bigOr0(o, 'forEpoch', w),
  };
}

export function parseSignRequest(v: unknown): SignRequestView {
  const w = 'sign request';
  const o = obj(v, w);
  return {
    id: big(o, 'id', w),
    purpose: str(o, 'purpose', w),
    chainId: big(o, 'chainId', w),
    verifier: str(o, 'verifier', w),
    payload: str(o, 'payload', w),
    digest: str(o, 'digest', w),
    status: oneOf(o, 'status', SIGN_STATUS, w),
    signature: strOrNull(o, 'signature', w),
    createdHeight: big(o, 'createdHeight', w),
    createdTime: bigOr0(o, 'createdTime', w),
    deadlineTime: bigOr0(o, 'deadlineTime', w),
    batchIndex: bigOr0(o, 'batchIndex', w),
    epochId: bigOr0(o, 'epochId', w),
    signedHeight: bigOr0(o, 'signedHeight', w),
  };
}

export function parsePendingSignRequests(v: unknown): SignRequestView[] {
  return arr(obj(v, 'pending sign requests'), 'requests', 'pending sign requests').map(parseSignRequest);
}

export function parseBatch(v: unknown): BatchView {
  const w = 'batch';
  const o = obj(v, w);
  return {
    index: big(o, 'index', w),
    prevHash: str(o, 'prevHash', w),
    l2Start: big(o, 'l2Start', w),
    l2End: big(o, 'l2End', w),
    dataHash: str(o, 'dataHash', w),
    producer: str(o, 'producer', w),
    hash: str(o, 'hash', w),
    status: oneOf(o, 'status', BATCH_STATUS, w),
    signRequest: big(o, 'signRequest', w),
    requestedHeight: bigOr0(o, 'requestedHeight', w),
    finalizedHeight: bigOr0(o, 'finalizedHeight', w),
    l1TxHash: strOrNull(o, 'l1TxHash', w),
    epochId: bigOr0(o, 'epochId', w),
  };
}

export function parseBatchMeta(v: unknown): BatchMetaView {
  const w = 'batch meta';
  const o = obj(v, w);
  return {
    nextIndex: big(o, 'nextIndex', w),
    lastHash: str(o, 'lastHash', w),
    nextL2Start: big(o, 'nextL2Start', w),
    finalized: big(o, 'finalized', w),
    lastProgressTime: big(o, 'lastProgressTime', w),
  };
}

export function parseValidator(v: unknown): ValidatorView {
  const w = 'validator';
  const o = obj(v, w);
  const out: ValidatorView = { address: str(o, 'address', w), pubKey: str(o, 'pubKey', w), power: bigOr0(o, 'power', w) };
  const set = <K extends keyof ValidatorView>(k: K, value: ValidatorView[K] | undefined) => {
    if (value !== undefined) out[k] = value;
  };
  set('nonce', optBig(o, 'nonce', w));
  if (o.peer !== undefined) {
    if (o.peer === null) out.peer = null;
    else {
      const pw = 'validator peer';
      const p = obj(o.peer, pw);
      out.peer = { peerId: str(p, 'peerId', pw), addrs: arr(p, 'addrs', pw).map(String), height: bigOr0(p, 'height', pw) };
    }
  }
  set('sequencerId', optBig(o, 'sequencerId', w));
  if (o.status !== undefined) out.status = str(o, 'status', w);
  if (o.signer !== undefined) out.signer = strOrNull(o, 'signer', w);
  set('locked', optBig(o, 'locked', w));
  set('l1Nonce', optBig(o, 'l1Nonce', w));
  set('deactivationTime', optBig(o, 'deactivationTime', w));
  set('sidecarNonce', optBig(o, 'sidecarNonce', w));
  set('misses', optBig(o, 'misses', w));
  if (o.jailed !== undefined) out.jailed = bool(o, 'jailed', w);
  if (o.jailReason !== undefined) out.jailReason = strOrNull(o, 'jailReason', w);
  return out;
}

export function parseValidators(v: unknown): ValidatorView[] {
  if (!Array.isArray(v)) throw new PoolParseError('validators', `expected an array, got ${describe(v)}`);
  return v.map(parseValidator);
}

export function parseStatus(v: unknown): StatusView {
  const w = 'status';
  const o = obj(v, w);
  return {
    chainId: str(o, 'chainId', w),
    height: big(o, 'height', w),
    appHash: str(o, 'appHash', w),
    validators: typeof o.validators === 'number' ? o.validators : num(o, 'validators', w),
    totalPower: big(o, 'totalPower', w),
    voteExtensionsEnableHeight: big(o, 'voteExtensionsEnableHeight', w),
  };
}

export function parseHealth(v: unknown): HealthView {
  const w = 'health';
  const o = obj(v, w);
  return { ...o, ok: bool(o, 'ok', w), height: o.height === null || o.height === undefined ? null : big(o, 'height', w) };
}

// ---- single fields ------------------------------------------------------------------------------
// For readers that need a field no view above covers (the bridge's /params, or the nonce of a
// /validator answer it does not otherwise use); they fail with the same messages.

export { big as readInt, str as readString };
