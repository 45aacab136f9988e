// Typed views of the pool's query answers (docs/pool.md "Query paths", docs/queries.md) and the
// parsers that turn the app's JSON into them. Both clients use these: PoolClient (REST gateway, fetch)
// and SeqpoolClient (CometBFT RPC abci_query). Integers arrive as decimal strings and become bigints;
// bytes stay hex strings as the app writes them. A parser throws PoolParseError naming the field when
// an answer does not have the documented shape, so a version mismatch is reported, not guessed past.
// No imports: this file must load anywhere (jest, browsers, L2 nodes).

export class PoolParseError extends Error {
  constructor(readonly what: string, message: string) {
    super(`unexpected ${what} answer: ${message}`);
    this.name = 'PoolParseError';
  }
}

type Json = Record<string, unknown>;

/** abci_query paths of the pool (docs/pool.md, docs/queries.md). Ids are validated by the caller. */
export const AbciPath = {
  status: '/status',
  params: '/params',
  validators: '/validators',
  validator: (address: string) => `/validator/${address}`,
  sequencer: (id: bigint | number | string) => `/sequencer/${id}`,
  observation: (digest: string) => `/observation/${digest}`,
  currentEpoch: '/epoch/current',
  epoch: (id: bigint | number | string) => `/epoch/${id}`,
  producer: (l2Height: bigint | number | string) => `/producer/${l2Height}`,
  mpcKey: '/mpc/key',
  currentMpcSession: '/mpc/session/current',
  mpcSession: (id: string) => `/mpc/session/${id}`,
  signRequest: (id: bigint | number | string) => `/sign/${id}`,
  pendingSignRequests: '/sign/pending',
  batch: (index: bigint | number | string) => `/batch/${index}`,
  batchMeta: '/batch/meta',
} as const;

/** REST routes of the gateway (node/gateway.ts, docs/api.md). */
export const RestPath = {
  status: '/status',
  params: '/params',
  health: '/health',
  validators: '/validators',
  validator: (address: string) => `/validators/${address}`,
  currentEpoch: '/epochs/current',
  epoch: (id: bigint | number | string) => `/epochs/${id}`,
  producer: (l2Height: bigint | number | string) => `/producer?l2Height=${l2Height}`,
  mpcKey: '/mpc/key',
  currentMpcSession: '/mpc/sessions/current',
  mpcSession: (id: string) => `/mpc/sessions/${id}`,
  signRequest: (id: bigint | number | string) => `/sign/${id}`,
  pendingSignRequests: '/sign/pending',
  batch: (index: bigint | number | string) => `/batches/${index}`,
  batchMeta: '/batches/meta',
} as const;

// ---- shapes -------------------------------------------------------------------------------------

export type EpochStatus = 'elected' | 'committed';

export interface Epoch {
  id: bigint;
  startL2: bigint;
  endL2: bigint;
  producer: string; // CometBFT address, upper-case hex
  signer: string; // 0x L1/L2 address
  seed: string; // hex
  electedHeight: bigint;
  signRequest: bigint; // 0: none (epoch 0)
  status: EpochStatus;
  isRespan: boolean;
  respanOf: bigint;
}

export interface CurrentEpoch extends Epoch {
  l2Head: bigint; // attested L2 head
  l2HeadTime: bigint; // unix s
}

export interface ProducerAnswer {
  l2Height: bigint;
  epochId: bigint;
  producer: string;
  signer: string;
}

export interface MpcKeyMember {
  index: number;
  address: string;
  identity: string;
  verifyingShare: string;
}

export interface MpcKeyView {
  keyId: string;
  groupKey: string;
  groupKeyL1: string;
  threshold: number;
  keyEpoch: number;
  members: MpcKeyMember[];
  session: string;
  height: bigint;
}

export interface MpcSessionMember {
  index: number;
  address: string; // CometBFT address, upper-case hex
  identity: string; // 33-byte key, hex
}

export interface MpcSessionView {
  id: string; // 32-byte session id, hex
  kind: string; // dkg | reshare | refresh
  attempt: number;
  keyEpoch: number;
  threshold: number;
  dealers: MpcSessionMember[];
  receivers: MpcSessionMember[];
  openedHeight: bigint;
  dealDeadline: bigint;
  complaintDeadline: bigint;
  finalHeight: bigint;
  status: string; // open | done | failed
  transcript: string[]; // encoded envelopes, hex
  ready: number[];
  faults: { address: string; index: number; reason: string }[];
  failure: string;
  closedHeight: bigint;
  forEpoch: bigint;
}

export type SignStatus = 'pending' | 'signed' | 'expired';

export interface SignRequestView {
  id: bigint;
  purpose: string;
  chainId: bigint;
  verifier: string;
  payload: string;
  digest: string;
  status: SignStatus;
  signature: string | null;
  createdHeight: bigint;
  createdTime: bigint;
  deadlineTime: bigint;
  batchIndex: bigint;
  epochId: bigint;
  signedHeight: bigint;
}

export type BatchStatus = 'signing' | 'signed' | 'finalized' | 'expired';

export interface BatchView {
  index: bigint;
  prevHash: string;
  l2Start: bigint;
  l2End: bigint;
  dataHash: string;
  producer: string;
  hash: string;
  status: BatchStatus;
  signRequest: bigint;
  requestedHeight: bigint;
  finalizedHeight: bigint;
  l1TxHash: string | null;
  epochId: bigint;
}

export interface BatchMetaView {
  nextIndex: bigint; // index the next batch request must carry
  lastHash: string; // 0x hash of the last requested (not expired) batch, zeros before the first
  nextL2Start: bigint; // first unbatched L2 block
  finalized: bigint; // batches finalized on L1 (next index to finalize)
  lastProgressTime: bigint; // unix s
}

export interface ValidatorView {
  address: string; // upper-case hex
  pubKey: string;
  power: bigint;
  nonce?: bigint;
  peer?: { peerId: string; addrs: string[]; height: bigint } | null;
  sequencerId?: bigint;
  status?: string;
  signer?: string | null;
  locked?: bigint;
  l1Nonce?: bigint;
  deactivationTime?: bigint;
  sidecarNonce?: bigint;
  misses?: bigint;
  jailed?: boolean;
  jailReason?: string | null;
}

export interface StatusView {
  chainId: string;
  height: bigint;
  appHash: string;
  validators: number;
  totalPower: bigint;
  voteExtensionsEnableHeight: bigint;
}

/** The gateway's /health answer (HTTP 200 when ok, 503 when not). */
export interface HealthView {
  ok: boolean;
  height: bigint | null;
  catchingUp?: boolean;
  reason?: string;
  [field: string]: unknown;
}

// ---- field readers ------------------------------------------------------------------------------

const DECIMAL = /^(0|[1-9][0-9]*)$/;

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PoolParseError(what, `expected an object, got ${describe(v)}`);
  return v as Json;
}
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const s = typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v;
  return s;
}
function big(o: Json, k: string, what: string): bigint {
  const v = o[k];
  if (typeof v === 'string' && DECIMAL.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^-[1-9][0-9]*$/.test(v)) return BigInt(v); // int64 heights may be negative in principle
  throw new PoolParseError(what, `field ${k}: expected a decimal integer string, got ${describe(v)}`);
}
function num(o: Json, k: string, what: string): number {
  const n = big(o, k, what);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new PoolParseError(what, `field ${k}: ${n} is too large`);
  return Number(n);
}
function str(o: Json, k: string, what: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new PoolParseError(what, `field ${k}: expected a string, got ${describe(v)}`);
  return v;
}
function strOrNull(o: Json, k: string, what: string): string | null {
  const v = o[k];
  if (v === null || v === undefined || v === '' || v === '0x') return null;
  return str(o, k, what);
}
function bool(o: Json, k: string, what: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') throw new PoolParseError(what, `field ${k}: expected true or false, got ${describe(v)}`);
  return v;
}
function oneOf<T extends string>(o: Json, k: string, allowed: readonly T[], what: string): T {
  const v = str(o, k, what);
  if (!(allowed as readonly string[]).includes(v)) throw new PoolParseError(what, `field ${k}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}
function arr(o: Json, k: string, what: string): unknown[] {
  const v = o[k];
  if (!Array.isArray(v)) throw new PoolParseError(what, `field ${k}: expected an array, got ${describe(v)}`);
  return v;
}
/** Optional bigint: absent stays absent. */
function optBig(o: Json, k: string, what: string): bigint | undefined {
  return o[k] === undefined || o[k] === null ? undefined : big(o, k, what);
}

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
    signRequest: big(o, 'signRequest', w),
    status: oneOf(o, 'status', ['elected', 'committed'] as const, w),
    isRespan: bool(o, 'isRespan', w),
    respanOf: big(o, 'respanOf', w),
  };
}

export function parseCurrentEpoch(v: unknown): CurrentEpoch {
  const o = obj(v, 'current epoch');
  return { ...parseEpoch(o), l2Head: big(o, 'l2Head', 'current epoch'), l2HeadTime: big(o, 'l2HeadTime', 'current epoch') };
}

export function parseProducer(v: unknown): ProducerAnswer {
  const w = 'producer';
  const o = obj(v, w);
  return { l2Height: big(o, 'l2Height', w), epochId: big(o, 'epochId', w), producer: str(o, 'producer', w), signer: str(o, 'signer', w) };
}

export function parseMpcKey(v: unknown): MpcKeyView {
  const w = 'mpc key';
  const o = obj(v, w);
  return {
    keyId: str(o, 'keyId', w),
    groupKey: str(o, 'groupKey', w),
    groupKeyL1: str(o, 'groupKeyL1', w),
    threshold: num(o, 'threshold', w),
    keyEpoch: num(o, 'keyEpoch', w),
    members: arr(o, 'members', w).map((m) => {
      const mo = obj(m, 'mpc key member');
      return { index: num(mo, 'index', 'mpc key member'), address: str(mo, 'address', 'mpc key member'), identity: str(mo, 'identity', 'mpc key member'), verifyingShare: str(mo, 'verifyingShare', 'mpc key member') };
    }),
    session: str(o, 'session', w),
    height: big(o, 'height', w),
  };
}

function parseMember(v: unknown, what: string): MpcSessionMember {
  const o = obj(v, what);
  return { index: num(o, 'index', what), address: str(o, 'address', what), identity: str(o, 'identity', what) };
}

export function parseMpcSession(v: unknown): MpcSessionView {
  const w = 'mpc session';
  const o = obj(v, w);
  return {
    id: str(o, 'id', w),
    kind: str(o, 'kind', w),
    attempt: num(o, 'attempt', w),
    keyEpoch: num(o, 'keyEpoch', w),
    threshold: num(o, 'threshold', w),
    dealers: arr(o, 'dealers', w).map((m) => parseMember(m, 'mpc session dealer')),
    receivers: arr(o, 'receivers', w).map((m) => parseMember(m, 'mpc session receiver')),
    openedHeight: big(o, 'openedHeight', w),
    dealDeadline: big(o, 'dealDeadline', w),
    complaintDeadline: big(o, 'complaintDeadline', w),
    finalHeight: big(o, 'finalHeight', w),
    status: str(o, 'status', w),
    transcript: arr(o, 'transcript', w).map((t) => {
      if (typeof t !== 'string') throw new PoolParseError(w, `transcript entries must be hex strings, got ${describe(t)}`);
      return t;
    }),
    ready: arr(o, 'ready', w).map((r) => {
      if (typeof r === 'number' && Number.isSafeInteger(r) && r >= 0) return r;
      throw new PoolParseError(w, `ready entries must be member indices, got ${describe(r)}`);
    }),
    faults: arr(o, 'faults', w).map((f) => {
      const fo = obj(f, 'mpc fault');
      return { address: str(fo, 'address', 'mpc fault'), index: num(fo, 'index', 'mpc fault'), reason: str(fo, 'reason', 'mpc fault') };
    }),
    failure: typeof o.failure === 'string' ? o.failure : '',
    closedHeight: big(o, 'closedHeight', w),
    forEpoch: big(o, 'forEpoch', w),
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
    status: oneOf(o, 'status', ['pending', 'signed', 'expired'] as const, w),
    signature: strOrNull(o, 'signature', w),
    createdHeight: big(o, 'createdHeight', w),
    createdTime: big(o, 'createdTime', w),
    deadlineTime: big(o, 'deadlineTime', w),
    batchIndex: big(o, 'batchIndex', w),
    epochId: big(o, 'epochId', w),
    signedHeight: big(o, 'signedHeight', w),
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
    status: oneOf(o, 'status', ['signing', 'signed', 'finalized', 'expired'] as const, w),
    signRequest: big(o, 'signRequest', w),
    requestedHeight: big(o, 'requestedHeight', w),
    finalizedHeight: big(o, 'finalizedHeight', w),
    l1TxHash: strOrNull(o, 'l1TxHash', w),
    epochId: big(o, 'epochId', w),
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
  const out: ValidatorView = { address: str(o, 'address', w), pubKey: str(o, 'pubKey', w), power: big(o, 'power', w) };
  const set = <K extends keyof ValidatorView>(k: K, value: ValidatorView[K] | undefined) => {
    if (value !== undefined) out[k] = value;
  };
  set('nonce', optBig(o, 'nonce', w));
  if (o.peer !== undefined) {
    if (o.peer === null) out.peer = null;
    else {
      const p = obj(o.peer, 'validator peer');
      out.peer = { peerId: str(p, 'peerId', 'validator peer'), addrs: arr(p, 'addrs', 'validator peer').map(String), height: big(p, 'height', 'validator peer') };
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

// ---- argument checks shared by the gateway, the clients and the CLI ------------------------------

const U64_MAX = (1n << 64n) - 1n;

/** A uint64 as a decimal string (no sign, no leading zeros, at most 2^64-1), else null. */
export function asUint64(value: unknown): bigint | null {
  if (typeof value === 'bigint') return value >= 0n && value <= U64_MAX ? value : null;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : null;
  if (typeof value !== 'string' || !DECIMAL.test(value) || value.length > 20) return null;
  const n = BigInt(value);
  return n <= U64_MAX ? n : null;
}

/** A method argument that must be a uint64; throws RangeError naming it otherwise. */
export function requireUint64(what: string, value: bigint | number): bigint {
  const n = asUint64(value);
  if (n === null) throw new RangeError(`${what} must be a non-negative integer below 2^64, got ${String(value)}`);
  return n;
}

/** A 20-byte address as hex (any case, optional 0x), else null. */
export function asAddress(value: string): string | null {
  return /^(0x)?[0-9a-fA-F]{40}$/.test(value) ? value.replace(/^0x/, '').toUpperCase() : null;
}

/** A 32-byte id as hex (optional 0x), lower-case without 0x, else null. */
export function asHash(value: string): string | null {
  return /^(0x)?[0-9a-fA-F]{64}$/.test(value) ? value.replace(/^0x/, '').toLowerCase() : null;
}

/** JSON.stringify that writes bigints as decimal strings (the pool's wire convention). */
export function toJson(value: unknown, space?: number): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), space);
}
