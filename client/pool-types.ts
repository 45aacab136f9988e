// Typed views of the pool's query answers (docs/pool.md "Query paths", docs/queries.md), the query
// paths, and argument checks. Both clients use these: PoolClient (REST gateway, fetch) and
// SeqpoolClient (CometBFT RPC abci_query). Integers arrive as decimal strings and become bigints; bytes
// stay hex strings as the app writes them. The parsers live in client/pool-parse.ts (also used by the
// bridge and the MPC sidecar).
// Imports only client/pool-shape.ts, which imports nothing at run time: this must load anywhere
// (jest, browsers, L2 nodes).
import { DECIMAL } from '../protocol/views/shape.js';

// Callers catch this one by name; the parsers themselves are imported from pool-parse.js.
export { PoolParseError } from '../protocol/views/shape.js';

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
  recentEpochs: (limit: bigint | number | string) => `/epoch/recent/${limit}`,
  recentBatches: (limit: bigint | number | string) => `/batch/recent/${limit}`,
  recentSignRequests: (limit: bigint | number | string) => `/sign/recent/${limit}`,
  recentMpcSessions: (limit: bigint | number | string) => `/mpc/sessions/recent/${limit}`,
} as const;

/** Most entries a list query returns (/epoch/recent/{n} and the like): the query cost stays bounded. */
export const MAX_LIST = 100;

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
  recentEpochs: (limit: bigint | number | string) => `/epochs/recent?limit=${limit}`,
  recentBatches: (limit: bigint | number | string) => `/batches/recent?limit=${limit}`,
  recentSignRequests: (limit: bigint | number | string) => `/sign/recent?limit=${limit}`,
  recentMpcSessions: (limit: bigint | number | string) => `/mpc/sessions?limit=${limit}`,
  missedVotes: '/node/votes',
  blockTimes: (heights: readonly (bigint | number)[]) => `/node/block-times?heights=${heights.join(',')}`,
  nodeStatus: '/node/status',
  openapi: '/openapi.json',
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

/** The last epochs up to the newest record, in id order (re-spans are epochs of their own). */
export interface RecentEpochs {
  current: bigint; // epoch covering the attested L2 head
  latest: bigint; // newest epoch record
  epochs: Epoch[];
}

export interface ProducerAnswer {
  l2Height: bigint;
  epochId: bigint;
  producer: string;
  signer: string;
}

export interface MpcKeyMember {
  index: number;
  address: string; // upper-case hex; '' when the answer leaves it out
  identity: string;
  verifyingShare: string;
}

export interface MpcKeyView {
  keyId: string;
  groupKey: string;
  groupKeyL1: string; // 0x L1 encoding of groupKey; '' when the answer leaves it out
  threshold: number;
  keyEpoch: number;
  members: MpcKeyMember[];
  /** Group polynomial commitments, hex; only when the answer carries them (the app's does not). */
  commitments?: string[];
  session: string;
  height: bigint;
}

export interface MpcSessionMember {
  index: number;
  address: string; // CometBFT address, upper-case hex; '' when the answer leaves it out
  identity: string; // 33-byte key, hex
}

export interface MpcSessionView {
  id: string; // 32-byte session id, hex
  keyId?: string; // only when the answer says (the app's does not: its one key is 'seqpool')
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

/** An MPC session without its transcript. */
export interface MpcSessionSummary {
  id: string;
  kind: string;
  attempt: number;
  keyEpoch: number;
  threshold: number;
  dealers: number; // how many
  receivers: number;
  openedHeight: bigint;
  finalHeight: bigint;
  status: string;
  transcriptMessages: number;
  ready: number; // receivers that posted Ready
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

/** The last sign requests, in id order. */
export interface RecentSignRequests {
  nextId: bigint;
  requests: SignRequestView[];
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
  /** L1 block of the BatchAppended that finalized it (0: not final). */
  l1Block: bigint;
  /** Its distributeRewards sign request (0: none). */
  rewardRequest: bigint;
}

export interface BatchMetaView {
  nextIndex: bigint; // index the next batch request must carry
  lastHash: string; // 0x hash of the last requested (not expired) batch, zeros before the first
  nextL2Start: bigint; // first unbatched L2 block
  finalized: bigint; // batches finalized on L1 (next index to finalize)
  lastProgressTime: bigint; // unix s
}

/** The last batches, in index order. */
export interface RecentBatches {
  nextIndex: bigint;
  finalized: bigint;
  batches: BatchView[];
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
  /** L1 block of the last event (or correction) applied to this id. */
  l1Block?: bigint;
  deactivationTime?: bigint;
  sidecarNonce?: bigint;
  misses?: bigint;
  jailed?: boolean;
  jailReason?: string | null;
  inactive?: string | null;
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

/** An applied observation (/observations/{digest}). */
export interface ObservationView {
  digest: string;
  height: bigint;
  power: bigint; // power that attested it
  totalPower: bigint;
  synthetic?: { topic: string; payload: string };
  l1Staking?: { sequencerId: bigint; nonce: bigint; blockNumber: bigint; blockHash: string };
  rejected?: string | null; // why the app refused to apply it
}

/** Absent votes per validator in the commits the node watched (node/chain-watch.ts), [fromHeight, toHeight]. */
export interface MissedVotesView {
  fromHeight: bigint;
  toHeight: bigint;
  blocks: number;
  validators: { address: string; missed: number; signed: number; lastMissed: bigint }[];
}

/** Block times (unix ms) of the heights asked for that the node's CometBFT knows. */
export interface BlockTimesView {
  blocks: { height: bigint; timeMs: bigint }[];
}

/** The node's CometBFT as it reports itself. */
export interface NodeStatusView {
  moniker: string;
  network: string;
  latestHeight: bigint;
  latestBlockTimeMs: bigint;
  catchingUp: boolean;
  peers: number;
  votingPower: bigint;
  watchedFrom: bigint; // first height whose commit the node has read (0: none yet)
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
