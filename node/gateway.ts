// REST/JSON gateway for Metis-layer (L2) clients, the seqpool counterpart of Themis's REST server
// (port 1317). It reads the node's own app through abci_query paths (node/gateway-routes.ts) and
// answers `{height, result}` JSON; read-only, GET only. Routes, codes and examples: docs/api.md.
// It also serves what the node sees of its CometBFT (/node/*, when the node gives it a NodeView),
// its OpenAPI description (/openapi.json, node/openapi.ts) and the operator dashboard (/).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/log.js';
import { renderForcedQueue, toJson } from '../protocol/views/index.js';
import type { ForcedQueueSettings, ForcedQueueSummary } from '../protocol/forced-queue.js';
import { matchRoute, routeList, type NodeRequest, type NodeView } from './gateway-routes.js';
import { DASHBOARD_CSP, isDashboardPath, loadDashboardAssets } from './dashboard-assets.js';
import { openApiDocument } from './openapi.js';
import { ChainWatch } from './chain-watch.js';

import type { QueryAnswer, QueryFn } from '../common/app-query.js';
import { QueryCode } from '../protocol/codes.js';
export { appQuery, type QueryAnswer, type QueryFn } from '../common/app-query.js';

/** What /forced-queue reads (ForcedQueueReader, protocol/forced-queue.ts; forcedQueueOf(config) in the node). */
export interface ForcedQueueStatusSource {
  summary(): Promise<ForcedQueueSummary>;
  settings(): Promise<ForcedQueueSettings>;
}

/** What the node adds to /health; `ok: false` turns the answer into a 503. */
export interface HealthInfo {
  ok: boolean;
  catchingUp?: boolean;
  reason?: string;
  [field: string]: unknown;
}

export interface GatewayOptions {
  query: QueryFn;
  host: string;
  /** 0 picks a free port (see the returned url). */
  port: number;
  logger?: Logger;
  health?: () => Promise<HealthInfo>;
  /** What the node sees of its CometBFT, for /node/*; without it (and without cometRpc) those are 404. */
  node?: NodeView;
  /** CometBFT RPC of this node: the gateway follows it (node/chain-watch.ts) for /node/* and, unless `health` is given, /health. */
  cometRpc?: string;
  /** BatchInbox's forced-inclusion queue on L1, for /forced-queue; without it (no l1.batchInbox in node.json) that is a 503. */
  forcedQueue?: ForcedQueueStatusSource;
  /** The gateway's clock in unix ms (the forced queue's ages); default Date.now. */
  now?: () => number;
  /** Longest wait for the app (or the health callback) before answering 504; default 10 s. */
  timeoutMs?: number;
}

export interface Gateway {
  url: string;
  close(): Promise<void>;
}

/** HTTP status for an app query code (docs/api.md). */
export function httpStatusFor(code: number): number {
  if (code === 0) return 200;
  if (code === QueryCode.NOT_FOUND) return 404;
  if (code === QueryCode.BAD_REQUEST) return 400;
  if (code === QueryCode.INTERNAL) return 500;
  return 502; // unknown path (20), height unavailable (23), anything else: the app and the gateway disagree
}

/** A query function over an in-process app (SeqpoolApp.query): latest height, no proof. */

class Timeout extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const MAX_URL = 2048;
/** How long one L1 read of the forced queue answers /forced-queue (about an L1 block on the localnet). */
export const FORCED_QUEUE_REUSE_MS = 1_000;

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const log = opts.logger;

  const send = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    if (res.headersSent || res.destroyed) return;
    const text = toJson(body) + '\n';
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'access-control-allow-origin': '*',
      'x-content-type-options': 'nosniff',
      ...extra,
    });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
  const fail = (req: IncomingMessage, res: ServerResponse, status: number, message: string, more: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    send(req, res, status, { error: message, status, ...more }, headers);

  /** Ask the app; an exception or a timeout becomes a 502/504 with a reason, never a stack. */
  const ask = async (path: string): Promise<{ ok: true; answer: QueryAnswer } | { ok: false; status: number; message: string }> => {
    try {
      return { ok: true, answer: await withTimeout(opts.query(path), timeoutMs) };
    } catch (e) {
      if (e instanceof Timeout) return { ok: false, status: 504, message: `the app did not answer ${path} within ${timeoutMs} ms` };
      log?.warn({ path, err: (e as Error).message }, 'gateway query failed');
      return { ok: false, status: 502, message: `the app could not be queried for ${path}` };
    }
  };

  const watch = !opts.node && opts.cometRpc ? new ChainWatch({ rpcUrl: opts.cometRpc, ...(log ? { log } : {}) }) : undefined;
  const healthCheck = opts.health ?? (watch ? () => watch.health() : undefined);
  const askNode = async (r: NodeRequest): Promise<{ ok: true; result: unknown } | { ok: false; status: number; message: string }> => {
    const view = opts.node ?? watch;
    if (!view) return { ok: false, status: 404, message: "this gateway has no view of its node's CometBFT (the node did not give it one)" };
    try {
      const p = r.kind === 'missedVotes' ? view.missedVotes() : r.kind === 'status' ? view.status() : view.blockTimes(r.heights);
      return { ok: true, result: await withTimeout(p, timeoutMs) };
    } catch (e) {
      if (e instanceof Timeout) return { ok: false, status: 504, message: `the node's CometBFT did not answer within ${timeoutMs} ms` };
      log?.warn({ kind: r.kind, err: (e as Error).message }, 'gateway node view failed');
      return { ok: false, status: 502, message: `the node's CometBFT could not be asked (${r.kind})` };
    }
  };

  // /forced-queue costs L1 RPC calls, which an unauthenticated client must not be able to multiply:
  // requests within FORCED_QUEUE_REUSE_MS of a read (or while one runs) share it, failed or not.
  const now = opts.now ?? Date.now;
  let forcedRead: { startedMs: number; facts: Promise<[ForcedQueueSummary, ForcedQueueSettings]> } | undefined;
  /** /forced-queue: read from L1 by the node; every failure is a 503 naming what to check. */
  const askL1 = async (): Promise<{ ok: true; result: unknown } | { ok: false; status: number; message: string }> => {
    const q = opts.forcedQueue;
    if (!q) return { ok: false, status: 503, message: 'this node reads no forced-inclusion queue: its node.json has no l1.batchInbox (the BatchInbox address on L1)' };
    if (!forcedRead || now() - forcedRead.startedMs >= FORCED_QUEUE_REUSE_MS) forcedRead = { startedMs: now(), facts: Promise.all([q.summary(), q.settings()]) };
    try {
      const [summary, settings] = await withTimeout(forcedRead.facts, timeoutMs);
      return { ok: true, result: renderForcedQueue({ ...summary, ...settings }, BigInt(Math.floor(now() / 1000))) };
    } catch (e) {
      if (e instanceof Timeout) return { ok: false, status: 504, message: `L1 did not answer the forced-queue reads within ${timeoutMs} ms` };
      const full = (e as { shortMessage?: string; message?: string }).shortMessage ?? String((e as Error).message).split('\n')[0]!;
      log?.warn({ err: full }, 'gateway cannot read the forced queue');
      // The answer is public: an L1 URL may carry an API key, so URLs stay in the node's log.
      const reason = full.replace(/\b\w+:\/\/\S+/g, '<L1 RPC>');
      return { ok: false, status: 503, message: `cannot read the forced-inclusion queue from L1 (${reason}): is node.json's l1.rpcUrl reachable and l1.batchInbox a BatchInbox?` };
    }
  };

  const assets = await loadDashboardAssets();
  if (!assets.ok) log?.warn({ reason: assets.reason }, 'the dashboard cannot be served');
  const openapi = toJson(openApiDocument()) + '\n';

  const sendRaw = (req: IncomingMessage, res: ServerResponse, body: Buffer | string, type: string, extra: Record<string, string> = {}) => {
    res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff', ...extra });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const dashboard = (req: IncomingMessage, res: ServerResponse, pathname: string) => {
    if (!assets.ok) return fail(req, res, 500, assets.reason);
    const a = assets.files.get(pathname === '/dashboard' ? '/' : pathname);
    if (!a) return fail(req, res, 404, `no dashboard file ${JSON.stringify(pathname.slice(0, 120))}`);
    // The page changes with the package, not per request: a short cache; never framed, never elsewhere.
    sendRaw(req, res, a.body, a.type, { 'cache-control': 'max-age=60', 'content-security-policy': DASHBOARD_CSP, 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' });
  };

  const health = async (req: IncomingMessage, res: ServerResponse) => {
    const r = await ask('/status');
    if (!r.ok) return send(req, res, 503, { ok: false, height: null, reason: r.message });
    if (r.answer.code !== 0) return send(req, res, 503, { ok: false, height: r.answer.height ?? null, reason: r.answer.log || `status query failed with code ${r.answer.code}` });
    let status: { chainId?: unknown; height?: unknown; appHash?: unknown };
    try {
      status = JSON.parse(new TextDecoder().decode(r.answer.value)) as typeof status;
    } catch {
      return send(req, res, 503, { ok: false, height: r.answer.height ?? null, reason: 'the app answered /status with something other than JSON' });
    }
    const height = typeof status.height === 'string' ? status.height : (r.answer.height?.toString() ?? null);
    if (height === null || height === '0') return send(req, res, 503, { ok: false, height, reason: 'the app has not committed a block yet' });
    const base = { ok: true, height, chainId: status.chainId, appHash: status.appHash };
    if (!healthCheck) return send(req, res, 200, base);
    let info: HealthInfo;
    try {
      info = await withTimeout(healthCheck(), timeoutMs);
    } catch (e) {
      const reason = e instanceof Timeout ? `the node health check did not answer within ${timeoutMs} ms` : 'the node health check failed';
      if (!(e instanceof Timeout)) log?.warn({ err: (e as Error).message }, 'gateway health callback failed');
      return send(req, res, 503, { ...base, ok: false, reason });
    }
    send(req, res, info.ok ? 200 : 503, { ...base, ...info, ok: info.ok === true, height, chainId: status.chainId });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
        'access-control-allow-headers': 'content-type, accept',
        'access-control-max-age': '86400',
        allow: 'GET, HEAD, OPTIONS',
      });
      return res.end();
    }
    if (method !== 'GET' && method !== 'HEAD') return fail(req, res, 405, `method ${method} not allowed: the gateway is read-only, use GET`, {}, { allow: 'GET, HEAD, OPTIONS' });
    const raw = req.url ?? '/';
    if (raw.length > MAX_URL) return fail(req, res, 414, `URL longer than ${MAX_URL} characters`);
    let url: URL;
    let pathname: string;
    try {
      url = new URL(raw, 'http://gateway');
      pathname = url.pathname
        .split('/')
        .map((s) => decodeURIComponent(s))
        .join('/')
        .replace(/\/+$/, '');
    } catch {
      return fail(req, res, 400, 'malformed URL (bad percent-encoding)');
    }
    if (pathname === '') pathname = '/';
    if (pathname === '/health') return health(req, res);
    if (pathname === '/openapi.json') return sendRaw(req, res, openapi, 'application/json; charset=utf-8', { 'cache-control': 'max-age=60', 'access-control-allow-origin': '*' });
    if (isDashboardPath(pathname)) return dashboard(req, res, pathname);
    const m = matchRoute(pathname);
    if (!m) return fail(req, res, 404, `no route ${JSON.stringify(pathname.slice(0, 120))}`, { routes: routeList() });
    const target = m.route.resolve(m.params, url.searchParams);
    if ('badRequest' in target) return fail(req, res, 400, target.badRequest, { route: m.route.pattern });
    if ('l1' in target) {
      const a = await askL1();
      return a.ok ? send(req, res, 200, { height: null, result: a.result }) : fail(req, res, a.status, a.message);
    }
    if ('node' in target) {
      const n = await askNode(target.node);
      return n.ok ? send(req, res, 200, { height: null, result: n.result }) : fail(req, res, n.status, n.message);
    }
    const r = await ask(target.path);
    if (!r.ok) return fail(req, res, r.status, r.message);
    const { code, value, log: appLog, height } = r.answer;
    if (code !== 0) {
      const status = httpStatusFor(code);
      if (status >= 500) log?.warn({ path: target.path, code, log: appLog }, 'app query failed');
      return fail(req, res, status, appLog || `query ${target.path} failed with code ${code}`, { code, height: height ?? null });
    }
    let result: unknown;
    try {
      result = JSON.parse(new TextDecoder().decode(value));
    } catch {
      log?.warn({ path: target.path }, 'app answered with something other than JSON');
      return fail(req, res, 502, `the app answered ${target.path} with something other than JSON`);
    }
    send(req, res, 200, { height: height ?? null, result });
  };

  const server = createServer((req, res) => {
    req.resume(); // GET bodies are ignored
    const started = Date.now();
    handle(req, res)
      .catch((e: unknown) => {
        log?.error({ url: req.url, err: (e as Error).message }, 'gateway request failed');
        fail(req, res, 500, 'internal gateway error');
      })
      .finally(() => log?.debug({ method: req.method, url: req.url, status: res.statusCode, ms: Date.now() - started }, 'gateway request'));
  });
  // Slow or stalled clients must not hold sockets: whole request (headers included) within timeoutMs + 5 s.
  server.requestTimeout = timeoutMs + 5_000;
  server.headersTimeout = Math.min(server.requestTimeout, 10_000);
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      reject(new Error(`gateway cannot listen on ${opts.host}:${opts.port} (${e.code ?? e.message})${e.code === 'EADDRINUSE' ? ': the port is in use; pick another gateway.listen in node.json' : ''}`));
    };
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (e) => log?.error({ err: e.message }, 'gateway server error'));
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  log?.info({ url }, 'gateway listening');
  watch?.start();

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= Promise.all([
        watch?.stop(),
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
      ]).then(() => undefined)),
  };
}
