// The gateway's REST routes (docs/api.md): for each, what it asks (an abci_query path of the app, or
// what the node process sees of CometBFT), the shape of its result (protocol/views/, one
// declaration that parses and documents) and the PoolClient method that reads it. The OpenAPI
// document (node/openapi.ts) is generated from this table. Parameters are checked here, so a
// malformed one is a 400 that says what is expected and never reaches the app.
import {
  AbciPath,
  asAddress,
  asHash,
  asUint64,
  BATCH,
  BATCH_DATA,
  BATCH_META,
  BLOCK_TIMES,
  CURRENT_EPOCH,
  EPOCH,
  FORCED_QUEUE,
  MAX_LIST,
  MISSED_VOTES,
  MPC_KEY,
  MPC_SESSION,
  MPC_SESSIONS,
  NODE_STATUS,
  OBSERVATION,
  PARAMS,
  PENDING_SIGN_REQUESTS,
  PRODUCER,
  RECENT_BATCHES,
  RECENT_EPOCHS,
  RECENT_SIGN_REQUESTS,
  SIGN_REQUEST,
  STATUS,
  VALIDATOR,
  VALIDATORS,
  type Answer,
  type JsonSchema,
} from '../protocol/views/index.js';

/** What the node process sees of its CometBFT (node/chain-watch.ts); JSON in the shapes named below. */
export interface NodeView {
  missedVotes(): Promise<unknown>; // MISSED_VOTES
  blockTimes(heights: bigint[]): Promise<unknown>; // BLOCK_TIMES
  status(): Promise<unknown>; // NODE_STATUS
}

export type NodeRequest = { kind: 'missedVotes' } | { kind: 'blockTimes'; heights: bigint[] } | { kind: 'status' };
/** What the node reads from L1 itself (node/forced-queue.ts). */
export type L1Request = { kind: 'forcedQueue' };
export type Resolved = { path: string } | { node: NodeRequest } | { l1: L1Request } | { badRequest: string };

export interface Param {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description: string;
  schema: JsonSchema;
}

export interface Route {
  /** e.g. `/epochs/{id}`; `{name}` matches one path segment. */
  pattern: string;
  /** Query-string parameters, for the listing (e.g. `l2Height=N`). */
  query?: string;
  summary: string;
  /** Unique per route (OpenAPI operationId). */
  operationId: string;
  /** The PoolClient method that reads this route (an alias names the canonical route's). */
  client: string;
  /** Another spelling of `aliasOf`. */
  aliasOf?: string;
  /** Answered by the node from L1, not from the app (503 when it has no L1 to read). */
  fromL1?: true;
  params: Param[];
  result: Answer<unknown>;
  resolve(params: Record<string, string>, query: URLSearchParams): Resolved;
}

const U64_PARAM: JsonSchema = { type: 'string', pattern: '^(0|[1-9][0-9]*)$' };
const uintParam = (name: string, description: string, where: 'path' | 'query' = 'path'): Param => ({ name, in: where, required: true, description, schema: U64_PARAM });
const hexParam = (name: string, description: string, bytes: number): Param => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', pattern: `^(0x)?[0-9a-fA-F]{${bytes * 2}}$` },
});
const LIMIT: Param = { name: 'limit', in: 'query', required: false, description: `how many of the newest (1-${MAX_LIST}, default 20)`, schema: { type: 'integer', minimum: 1, maximum: MAX_LIST, default: 20 } };

const uint = (what: string, value: string | null, build: (n: bigint) => string): Resolved => {
  const n = value === null ? null : asUint64(value);
  if (n === null) return { badRequest: `${what} must be a non-negative decimal integer below 2^64, got ${value === null ? 'nothing' : JSON.stringify(value.slice(0, 80))}` };
  return { path: build(n) };
};
const fixed = (path: string) => () => ({ path });
const limited = (build: (n: number) => string) => (_p: Record<string, string>, q: URLSearchParams): Resolved => {
  const v = q.get('limit');
  if (v === null) return { path: build(20) };
  if (!/^[1-9][0-9]{0,2}$/.test(v) || Number(v) > MAX_LIST) return { badRequest: `query parameter limit must be an integer from 1 to ${MAX_LIST}, got ${JSON.stringify(v.slice(0, 80))}` };
  return { path: build(Number(v)) };
};

/** Most heights one /node/block-times request may ask for. */
export const MAX_BLOCK_TIMES = 200;

function blockTimes(q: URLSearchParams): Resolved {
  const v = q.get('heights');
  const parts = v === null || v === '' ? [] : v.split(',');
  const heights = parts.map((p) => asUint64(p));
  if (parts.length === 0 || parts.length > MAX_BLOCK_TIMES || heights.some((h) => h === null || h === 0n)) {
    return { badRequest: `query parameter heights must be 1 to ${MAX_BLOCK_TIMES} comma-separated block heights (decimal, >= 1), got ${v === null ? 'nothing' : JSON.stringify(v.slice(0, 80))}` };
  }
  return { node: { kind: 'blockTimes', heights: [...new Set(heights as bigint[])] } };
}

export const ROUTES: Route[] = [
  { pattern: '/status', summary: 'chain id, committed height, app hash, validator count and power', operationId: 'status', client: 'status', params: [], result: STATUS, resolve: fixed(AbciPath.status) },
  { pattern: '/params', summary: 'pool parameters', operationId: 'params', client: 'params', params: [], result: PARAMS, resolve: fixed(AbciPath.params) },
  { pattern: '/validators', summary: 'the validator set for the next block', operationId: 'validators', client: 'validators', params: [], result: VALIDATORS, resolve: fixed(AbciPath.validators) },
  {
    pattern: '/validators/{address}',
    summary: 'one sequencer by its CometBFT address',
    operationId: 'validator',
    client: 'validator',
    params: [hexParam('address', "the sequencer's CometBFT address (any case)", 20)],
    result: VALIDATOR,
    resolve: ({ address }) => {
      const a = asAddress(address!);
      return a ? { path: AbciPath.validator(a) } : { badRequest: `address must be a 20-byte hex address (40 hex digits, optional 0x), got ${JSON.stringify(address!.slice(0, 80))}` };
    },
  },
  { pattern: '/sequencers/{id}', summary: 'one sequencer by its LockingPool id', operationId: 'sequencer', client: 'sequencer', params: [uintParam('id', 'LockingPool sequencer id')], result: VALIDATOR, resolve: ({ id }) => uint('sequencer id', id!, AbciPath.sequencer) },
  {
    pattern: '/observations/{digest}',
    summary: 'an applied observation',
    operationId: 'observation',
    client: 'observation',
    params: [hexParam('digest', "the observation's digest", 32)],
    result: OBSERVATION,
    resolve: ({ digest }) => {
      const d = asHash(digest!);
      return d ? { path: AbciPath.observation(d) } : { badRequest: `digest must be 32 bytes of hex (64 hex digits), got ${JSON.stringify(digest!.slice(0, 80))}` };
    },
  },
  { pattern: '/epochs/current', summary: 'the current epoch with the attested L2 head', operationId: 'currentEpoch', client: 'currentEpoch', params: [], result: CURRENT_EPOCH, resolve: fixed(AbciPath.currentEpoch) },
  { pattern: '/epochs/recent', query: 'limit=N', summary: 'the newest epochs (re-spans included), id order', operationId: 'recentEpochs', client: 'recentEpochs', params: [LIMIT], result: RECENT_EPOCHS, resolve: limited(AbciPath.recentEpochs) },
  { pattern: '/epochs/{id}', summary: 'one epoch', operationId: 'epoch', client: 'epoch', params: [uintParam('id', 'epoch id')], result: EPOCH, resolve: ({ id }) => uint('epoch id', id!, AbciPath.epoch) },
  {
    pattern: '/producer',
    query: 'l2Height=N',
    summary: 'the producer of an L2 block',
    operationId: 'producerOf',
    client: 'producerOf',
    params: [uintParam('l2Height', 'an L2 block number', 'query')],
    result: PRODUCER,
    resolve: (_p, q) => uint('query parameter l2Height', q.get('l2Height'), AbciPath.producer),
  },
  {
    pattern: '/batcher',
    query: 'l2Height=N',
    summary: 'the producer that batches an L2 block to L1 (after a re-span, not always its builder)',
    operationId: 'batcherOf',
    client: 'batcherOf',
    params: [uintParam('l2Height', 'an L2 block number', 'query')],
    result: PRODUCER,
    resolve: (_p, q) => uint('query parameter l2Height', q.get('l2Height'), AbciPath.batcher),
  },
  { pattern: '/mpc/key', summary: "the pool's current MPC key sharing", operationId: 'mpcKey', client: 'mpcKey', params: [], result: MPC_KEY, resolve: fixed(AbciPath.mpcKey) },
  { pattern: '/mpc/sessions', query: 'limit=N', summary: 'the newest MPC sessions without their transcripts, opening order', operationId: 'recentMpcSessions', client: 'recentMpcSessions', params: [LIMIT], result: MPC_SESSIONS, resolve: limited(AbciPath.recentMpcSessions) },
  { pattern: '/mpc/sessions/current', summary: 'the open MPC session, else the newest', operationId: 'currentMpcSession', client: 'currentMpcSession', params: [], result: MPC_SESSION, resolve: fixed(AbciPath.currentMpcSession) },
  {
    pattern: '/mpc/sessions/{id}',
    summary: 'one MPC session',
    operationId: 'mpcSession',
    client: 'mpcSession',
    params: [hexParam('id', 'session id', 32)],
    result: MPC_SESSION,
    resolve: ({ id }) => {
      const h = asHash(id!);
      return h ? { path: AbciPath.mpcSession(h) } : { badRequest: `session id must be 32 bytes of hex (64 hex digits), got ${JSON.stringify(id!.slice(0, 80))}` };
    },
  },
  { pattern: '/sign/pending', summary: 'pending sign requests, id order', operationId: 'pendingSignRequests', client: 'pendingSignRequests', params: [], result: PENDING_SIGN_REQUESTS, resolve: fixed(AbciPath.pendingSignRequests) },
  { pattern: '/sign/recent', query: 'limit=N', summary: 'the newest sign requests, id order', operationId: 'recentSignRequests', client: 'recentSignRequests', params: [LIMIT], result: RECENT_SIGN_REQUESTS, resolve: limited(AbciPath.recentSignRequests) },
  { pattern: '/sign/{id}', summary: 'one sign request', operationId: 'signRequest', client: 'signRequest', params: [uintParam('id', 'sign request id')], result: SIGN_REQUEST, resolve: ({ id }) => uint('sign request id', id!, AbciPath.signRequest) },
  { pattern: '/mpc/sign/pending', summary: 'same as /sign/pending', operationId: 'mpcPendingSignRequests', client: 'pendingSignRequests', aliasOf: '/sign/pending', params: [], result: PENDING_SIGN_REQUESTS, resolve: fixed(AbciPath.pendingSignRequests) },
  { pattern: '/mpc/sign/{id}', summary: 'same as /sign/{id}', operationId: 'mpcSignRequest', client: 'signRequest', aliasOf: '/sign/{id}', params: [uintParam('id', 'sign request id')], result: SIGN_REQUEST, resolve: ({ id }) => uint('sign request id', id!, AbciPath.signRequest) },
  { pattern: '/batches/meta', summary: 'batch chain bookkeeping (next index, finalized, ...)', operationId: 'batchMeta', client: 'batchMeta', params: [], result: BATCH_META, resolve: fixed(AbciPath.batchMeta) },
  { pattern: '/batches/recent', query: 'limit=N', summary: 'the newest batches, index order', operationId: 'recentBatches', client: 'recentBatches', params: [LIMIT], result: RECENT_BATCHES, resolve: limited(AbciPath.recentBatches) },
  { pattern: '/batches/{index}', summary: 'one batch', operationId: 'batch', client: 'batch', params: [uintParam('index', 'batch index')], result: BATCH, resolve: ({ index }) => uint('batch index', index!, AbciPath.batch) },
  {
    pattern: '/batches/{index}/data',
    summary: 'the data a batch carries to L1 (version byte and brotli of its L2 blocks), while the pool keeps it: the unfinalized batches and the last 8 final ones',
    operationId: 'batchData',
    client: 'batchData',
    params: [uintParam('index', 'batch index')],
    result: BATCH_DATA,
    resolve: ({ index }) => uint('batch index', index!, AbciPath.batchData),
  },
  {
    pattern: '/node/votes',
    summary: "absent votes per validator in the last commits this node's CometBFT served (not consensus state)",
    operationId: 'missedVotes',
    client: 'missedVotes',
    params: [],
    result: MISSED_VOTES,
    resolve: () => ({ node: { kind: 'missedVotes' } }),
  },
  {
    pattern: '/node/block-times',
    query: 'heights=H1,H2,...',
    summary: "block times (unix ms) of the given heights, from this node's CometBFT",
    operationId: 'blockTimes',
    client: 'blockTimes',
    params: [{ name: 'heights', in: 'query', required: true, description: `1 to ${MAX_BLOCK_TIMES} comma-separated block heights`, schema: { type: 'string', pattern: '^[0-9]+(,[0-9]+)*$' } }],
    result: BLOCK_TIMES,
    resolve: (_p, q) => blockTimes(q),
  },
  {
    pattern: '/forced-queue',
    summary: "BatchInbox's forced-inclusion queue at the L1 block the node reads it at: length, cursor, pending, fee, window, escape delay and the oldest unconsumed entry with its age and deadline",
    operationId: 'forcedQueue',
    client: 'forcedQueue',
    fromL1: true,
    params: [],
    result: FORCED_QUEUE,
    resolve: () => ({ l1: { kind: 'forcedQueue' } }),
  },
  { pattern: '/node/status', summary: "this node's CometBFT: height, catching up, peers", operationId: 'nodeStatus', client: 'nodeStatus', params: [], result: NODE_STATUS, resolve: () => ({ node: { kind: 'status' } }) },
];

/** Every route as `GET /pattern[?query]`, for 404 answers and docs. `/health`, `/openapi.json` and the dashboard are served by the server. */
export function routeList(): string[] {
  return [...ROUTES.map((r) => `GET ${r.pattern}${r.query ? `?${r.query}` : ''}`), 'GET /health', 'GET /openapi.json', 'GET / (dashboard)'];
}

/** The route matching `pathname` (no trailing slash), with its segment parameters. */
export function matchRoute(pathname: string): { route: Route; params: Record<string, string> } | null {
  const segs = pathname.split('/').slice(1);
  for (const route of ROUTES) {
    const pat = route.pattern.split('/').slice(1);
    if (pat.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pat.length && ok; i++) {
      const p = pat[i]!;
      const s = segs[i]!;
      if (p.startsWith('{')) {
        if (s === '') ok = false;
        else params[p.slice(1, -1)] = s;
      } else ok = p === s;
    }
    if (ok) return { route, params };
  }
  return null;
}
