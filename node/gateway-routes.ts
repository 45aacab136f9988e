// The gateway's REST routes and the abci_query path each one asks (docs/api.md). Parameters are
// checked here, so a malformed one is a 400 that says what is expected and never reaches the app.
import { AbciPath, asAddress, asHash, asUint64 } from '../client/pool-types.js';

export type Resolved = { path: string } | { badRequest: string };

export interface Route {
  /** e.g. `/epochs/{id}`; `{name}` matches one path segment. */
  pattern: string;
  /** Query-string parameters, for the listing (e.g. `l2Height=N`). */
  query?: string;
  summary: string;
  resolve(params: Record<string, string>, query: URLSearchParams): Resolved;
}

const uint = (what: string, value: string | null, build: (n: bigint) => string): Resolved => {
  const n = value === null ? null : asUint64(value);
  if (n === null) return { badRequest: `${what} must be a non-negative decimal integer below 2^64, got ${value === null ? 'nothing' : JSON.stringify(value.slice(0, 80))}` };
  return { path: build(n) };
};
const fixed = (path: string) => () => ({ path });

export const ROUTES: Route[] = [
  { pattern: '/status', summary: 'chain id, committed height, app hash, validator count and power', resolve: fixed(AbciPath.status) },
  { pattern: '/params', summary: 'pool parameters', resolve: fixed(AbciPath.params) },
  { pattern: '/validators', summary: 'the validator set for the next block', resolve: fixed(AbciPath.validators) },
  {
    pattern: '/validators/{address}',
    summary: 'one sequencer by its CometBFT address',
    resolve: ({ address }) => {
      const a = asAddress(address!);
      return a ? { path: AbciPath.validator(a) } : { badRequest: `address must be a 20-byte hex address (40 hex digits, optional 0x), got ${JSON.stringify(address!.slice(0, 80))}` };
    },
  },
  { pattern: '/sequencers/{id}', summary: 'one sequencer by its LockingPool id', resolve: ({ id }) => uint('sequencer id', id!, AbciPath.sequencer) },
  {
    pattern: '/observations/{digest}',
    summary: 'an applied observation',
    resolve: ({ digest }) => {
      const d = asHash(digest!);
      return d ? { path: AbciPath.observation(d) } : { badRequest: `digest must be 32 bytes of hex (64 hex digits), got ${JSON.stringify(digest!.slice(0, 80))}` };
    },
  },
  { pattern: '/epochs/current', summary: 'the current epoch with the attested L2 head', resolve: fixed(AbciPath.currentEpoch) },
  { pattern: '/epochs/{id}', summary: 'one epoch', resolve: ({ id }) => uint('epoch id', id!, AbciPath.epoch) },
  { pattern: '/producer', query: 'l2Height=N', summary: 'the producer of an L2 block', resolve: (_p, q) => uint('query parameter l2Height', q.get('l2Height'), AbciPath.producer) },
  { pattern: '/mpc/key', summary: "the pool's current MPC key sharing", resolve: fixed(AbciPath.mpcKey) },
  { pattern: '/mpc/sessions/current', summary: 'the open MPC session, else the newest', resolve: fixed(AbciPath.currentMpcSession) },
  {
    pattern: '/mpc/sessions/{id}',
    summary: 'one MPC session',
    resolve: ({ id }) => {
      const h = asHash(id!);
      return h ? { path: AbciPath.mpcSession(h) } : { badRequest: `session id must be 32 bytes of hex (64 hex digits), got ${JSON.stringify(id!.slice(0, 80))}` };
    },
  },
  { pattern: '/sign/pending', summary: 'pending sign requests, id order', resolve: fixed(AbciPath.pendingSignRequests) },
  { pattern: '/sign/{id}', summary: 'one sign request', resolve: ({ id }) => uint('sign request id', id!, AbciPath.signRequest) },
  { pattern: '/mpc/sign/pending', summary: 'same as /sign/pending', resolve: fixed(AbciPath.pendingSignRequests) },
  { pattern: '/mpc/sign/{id}', summary: 'same as /sign/{id}', resolve: ({ id }) => uint('sign request id', id!, AbciPath.signRequest) },
  { pattern: '/batches/meta', summary: 'batch chain bookkeeping (next index, finalized, ...)', resolve: fixed(AbciPath.batchMeta) },
  { pattern: '/batches/{index}', summary: 'one batch', resolve: ({ index }) => uint('batch index', index!, AbciPath.batch) },
];

/** Every route as `GET /pattern[?query]`, for 404 answers and docs. `/health` is handled by the server. */
export function routeList(): string[] {
  return [...ROUTES.map((r) => `GET ${r.pattern}${r.query ? `?${r.query}` : ''}`), 'GET /health'];
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
