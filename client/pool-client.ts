// A typed client of the seqpool REST gateway (node/gateway.ts, docs/api.md) for Metis-layer (L2)
// nodes and tools. Plain fetch: runs in Node >= 18, browsers and jest. The pool reads it shares with
// SeqpoolClient (CometBFT RPC) are client/pool-reader.ts; both parse with protocol/views/.
import {
  MAX_LIST,
  parseBlockTimes,
  parseForcedQueue,
  parseHealth,
  parseMissedVotes,
  parseMpcSessions,
  parseNodeStatus,
  parseObservation,
  parseParams,
  parseRecentBatches,
  parseRecentEpochs,
  parseRecentSignRequests,
  parseValidator,
  requireUint64,
  RestPath,
  type BlockTimesView,
  type ForcedQueueStatusView,
  type HealthView,
  type MissedVotesView,
  type MpcSessionSummary,
  type NodeStatusView,
  type ObservationView,
  type RecentBatches,
  type RecentEpochs,
  type RecentSignRequests,
  type ValidatorView,
} from '../protocol/views/index.js';
import { PoolReader, type ReadPath } from './pool-reader.js';

/** A failed gateway call. `status` is the HTTP status (0: no answer at all); `code` the app's query code if any. */
export class PoolClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly url: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'PoolClientError';
  }
}

export interface PoolClientOptions {
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

export interface GatewayAnswer {
  height: bigint | null;
  result: unknown;
}

function requireLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST) throw new RangeError(`limit must be an integer from 1 to ${MAX_LIST}, got ${limit}`);
  return limit;
}

export class PoolClient extends PoolReader {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(baseUrl: string, opts: PoolClientOptions = {}) {
    super();
    let u: URL;
    try {
      u = new URL(baseUrl);
    } catch {
      throw new PoolClientError(0, `not a gateway URL: ${JSON.stringify(baseUrl)} (expected e.g. http://127.0.0.1:1317)`, baseUrl);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new PoolClientError(0, `not a gateway URL: ${JSON.stringify(baseUrl)} (expected http:// or https://)`, baseUrl);
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.fetchFn = opts.fetch ?? fetch;
  }

  /** GET a gateway route; resolves with `{height, result}` or throws PoolClientError. */
  async get(route: string): Promise<GatewayAnswer> {
    const { url, status, ok, body } = await this.fetchJson(route);
    const o = body as { error?: unknown; code?: unknown; height?: unknown; result?: unknown };
    if (!ok) {
      const msg = typeof o.error === 'string' ? o.error : `HTTP ${status}`;
      throw new PoolClientError(status, `${route}: ${msg}`, url, typeof o.code === 'number' ? o.code : undefined);
    }
    if (!('result' in o)) throw new PoolClientError(status, `${url} answered without a result (is this a seqpool gateway?)`, url);
    return { height: typeof o.height === 'string' && /^\d+$/.test(o.height) ? BigInt(o.height) : null, result: o.result };
  }

  private async fetchJson(route: string): Promise<{ url: string; status: number; ok: boolean; body: object }> {
    const url = this.baseUrl + route;
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.text();
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const reason = err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new PoolClientError(
        0,
        `cannot reach the seqpool gateway at ${this.baseUrl} (${reason}): is the node running with "gateway": {"listen": ...} in node.json, and is that the host:port in the URL?`,
        url,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null) {
      throw new PoolClientError(res.status, `${url} answered HTTP ${res.status} with something other than a JSON object (is this a seqpool gateway?): ${JSON.stringify(text.slice(0, 120))}`, url);
    }
    return { url, status: res.status, ok: res.ok, body };
  }

  private async result<T>(route: string, parse: (v: unknown) => T): Promise<T> {
    return parse((await this.get(route)).result);
  }

  protected read<T>(path: ReadPath, parse: (v: unknown) => T): Promise<T> {
    return this.result(path.rest, parse);
  }

  /** Pool parameters as the app writes them (integers as decimal strings). */
  params(): Promise<Record<string, string | number>> {
    return this.result(RestPath.params, parseParams);
  }
  validator(address: string): Promise<ValidatorView> {
    return this.result(RestPath.validator(address), parseValidator);
  }
  /** A sequencer by its LockingPool id (a keyless one has address ''). */
  sequencer(id: bigint | number): Promise<ValidatorView> {
    return this.result(`/sequencers/${requireUint64('sequencer id', id)}`, parseValidator);
  }
  observation(digest: string): Promise<ObservationView> {
    return this.result(`/observations/${digest}`, parseObservation);
  }

  /** The newest `limit` epochs (re-spans included), id order. */
  recentEpochs(limit = 20): Promise<RecentEpochs> {
    return this.result(RestPath.recentEpochs(requireLimit(limit)), parseRecentEpochs);
  }
  /** The newest `limit` batches, index order. */
  recentBatches(limit = 20): Promise<RecentBatches> {
    return this.result(RestPath.recentBatches(requireLimit(limit)), parseRecentBatches);
  }
  /** The newest `limit` sign requests, id order. */
  recentSignRequests(limit = 20): Promise<RecentSignRequests> {
    return this.result(RestPath.recentSignRequests(requireLimit(limit)), parseRecentSignRequests);
  }
  /** The newest `limit` MPC sessions without their transcripts, opening order. */
  recentMpcSessions(limit = 20): Promise<MpcSessionSummary[]> {
    return this.result(RestPath.recentMpcSessions(requireLimit(limit)), parseMpcSessions);
  }
  /** Absent votes per validator in the last commits the node's CometBFT served (node/chain-watch.ts). */
  missedVotes(): Promise<MissedVotesView> {
    return this.result(RestPath.missedVotes, parseMissedVotes);
  }
  /** Block times (unix ms) of these heights, those the node's CometBFT knows. */
  blockTimes(heights: readonly (bigint | number)[]): Promise<BlockTimesView> {
    if (heights.length === 0 || heights.length > 200) throw new RangeError(`blockTimes takes 1 to 200 heights, got ${heights.length}`);
    return this.result(RestPath.blockTimes(heights.map((h) => requireUint64('height', h))), parseBlockTimes);
  }
  /** The node's CometBFT: latest height, catching up, peers. */
  nodeStatus(): Promise<NodeStatusView> {
    return this.result(RestPath.nodeStatus, parseNodeStatus);
  }

  /** BatchInbox's forced-inclusion queue as the node reads it from L1 (at its safe L1 block): length,
   * cursor, pending entries, fee, window, escape delay and the oldest unconsumed entry with its deadline.
   * A node without l1.batchInbox, or whose L1 does not answer, is a PoolClientError with status 503. */
  forcedQueue(): Promise<ForcedQueueStatusView> {
    return this.result(RestPath.forcedQueue, parseForcedQueue);
  }

  /** /health: resolves for both healthy (200) and unhealthy (503) nodes; throws only when there is no answer. */
  async health(): Promise<HealthView> {
    const { url, status, body } = await this.fetchJson(RestPath.health);
    if (status !== 200 && status !== 503) {
      const msg = typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : `HTTP ${status}`;
      throw new PoolClientError(status, `${RestPath.health}: ${msg}`, url);
    }
    return parseHealth(body);
  }
}
