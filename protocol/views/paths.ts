// Where the pool's views are read (docs/pool.md "Query paths", docs/api.md): the app's abci_query
// paths and the gateway's REST routes, the bound on list queries, and the argument checks the gateway,
// the clients and the CLI share. Imports nothing at run time but shape.ts: loads anywhere.
import { DECIMAL } from './shape.js';

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
  batcher: (l2Height: bigint | number | string) => `/batcher/${l2Height}`,
  mpcKey: '/mpc/key',
  currentMpcSession: '/mpc/session/current',
  mpcSession: (id: string) => `/mpc/session/${id}`,
  signRequest: (id: bigint | number | string) => `/sign/${id}`,
  pendingSignRequests: '/sign/pending',
  batch: (index: bigint | number | string) => `/batch/${index}`,
  batchData: (index: bigint | number | string) => `/batch/${index}/data`,
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
  batcher: (l2Height: bigint | number | string) => `/batcher?l2Height=${l2Height}`,
  mpcKey: '/mpc/key',
  currentMpcSession: '/mpc/sessions/current',
  mpcSession: (id: string) => `/mpc/sessions/${id}`,
  signRequest: (id: bigint | number | string) => `/sign/${id}`,
  pendingSignRequests: '/sign/pending',
  batch: (index: bigint | number | string) => `/batches/${index}`,
  batchData: (index: bigint | number | string) => `/batches/${index}/data`,
  batchMeta: '/batches/meta',
  recentEpochs: (limit: bigint | number | string) => `/epochs/recent?limit=${limit}`,
  recentBatches: (limit: bigint | number | string) => `/batches/recent?limit=${limit}`,
  recentSignRequests: (limit: bigint | number | string) => `/sign/recent?limit=${limit}`,
  recentMpcSessions: (limit: bigint | number | string) => `/mpc/sessions?limit=${limit}`,
  missedVotes: '/node/votes',
  blockTimes: (heights: readonly (bigint | number)[]) => `/node/block-times?heights=${heights.join(',')}`,
  nodeStatus: '/node/status',
  forcedQueue: '/forced-queue',
  openapi: '/openapi.json',
} as const;

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
