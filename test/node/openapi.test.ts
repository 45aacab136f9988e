// The gateway's OpenAPI document (/openapi.json, node/openapi.ts) against the gateway itself: every
// route in it is asked of a gateway over a real in-process app with batches, a re-span and (on a
// second chain) an open DKG, with /node/* fed by a fake CometBFT RPC. Each answer must validate
// against the document's schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses), and PoolClient's
// method for the route must parse it to what the route's own parser gives. Then the schema and the
// parsers must agree on which keys are required: without a required key the parser throws and the
// schema refuses; without an optional one both accept.
import Ajv2020Module, { type Options, type ValidateFunction } from 'ajv/dist/2020.js';
import { PoolClient } from '../../client/pool-client.js';
import { asObject, inline, type JsonSchema } from '../../protocol/views/shape.js';
import { PoolParseError } from '../../protocol/views/index.js';
import { toHex } from '../../common/bytes.js';
import { silentLogger } from '../../common/log.js';
import { appQuery, startGateway, type Gateway } from '../../node/gateway.js';
import { ROUTES, routeList } from '../../node/gateway-routes.js';
import { bindPeerMsg } from '../app/peer-helper.js';
import { poolChain } from '../app/pool-harness.js';
import { freePort } from '../ports.js';
import { fakeComet, poolScenario, type FakeComet, type PoolScenario } from './pool-scenario.js';

// ajv is CommonJS: under jest's ESM mode its class may arrive as the default export's default.
type AjvClass = new (opts: Options) => { compile(schema: object): ValidateFunction };
const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as unknown as AjvClass;

type Doc = { openapi: string; paths: Record<string, { get: Operation }>; components: { schemas: Record<string, JsonSchema> } };
type Operation = { operationId: string; 'x-pool-client'?: string; parameters: { name: string; in: string; required: boolean }[]; responses: Record<string, { content: Record<string, { schema: JsonSchema }> }> };

/** /forced-queue reads L1 (test/node/forced-queue-route.test.ts does, on anvil); here a fixed queue with one overdue entry, at a fixed gateway clock. */
const FAKE_FORCED_QUEUE = {
  summary: async () => ({ at: 40n, length: 3n, consumed: 1n, oldest: { index: 1n, l1Block: 33n, timestamp: 1_700_000_100n } }),
  settings: async () => ({ forceFee: 10n ** 15n, forceWindow: 20n, escapeDelay: 60n }),
};

let scenario: PoolScenario;
let comet: FakeComet;
let gw: Gateway; // the pool with batches
let dkg: Gateway; // a chain whose genesis DKG is open
let doc: Doc;
let sessionId: string;

beforeAll(async () => {
  scenario = await poolScenario();
  comet = await fakeComet(scenario.chain);
  gw = await startGateway({ host: '127.0.0.1', port: await freePort(), query: appQuery(scenario.chain.app), logger: silentLogger(), cometRpc: comet.url, forcedQueue: FAKE_FORCED_QUEUE, now: () => 1_700_000_130_000 });
  const d = await poolChain({ withKey: false });
  await d.step();
  await d.step({ txs: d.vals.map((v, i) => d.tx(i, { bindPeer: bindPeerMsg(v.address, 'ABCD'[i]!, [`/ip4/127.0.0.1/tcp/${4000 + i}`]) }, 1)) }); // port-lint: multiaddrs in a record, nothing listens
  dkg = await startGateway({ host: '127.0.0.1', port: await freePort(), query: appQuery(d.app), logger: silentLogger() });
  sessionId = ((await (await fetch(`${dkg.url}/mpc/sessions/current`)).json()) as { result: { id: string } }).result.id;
  doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as Doc;
  // The chain watch reads the fake CometBFT's commits in the background.
  for (let i = 0; i < 100; i++) {
    const v = (await (await fetch(`${gw.url}/node/votes`)).json()) as { result: { toHeight: string } };
    if (BigInt(v.result.toHeight) >= scenario.chain.height - 1n) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await dkg?.close();
  await comet?.close();
});

/** A validator for `schema` with the document's components resolvable by its `#/components/...` refs. */
function validator(schema: JsonSchema) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  return ajv.compile({ ...schema, components: doc.components });
}

/** A concrete URL for a documented path, and the PoolClient call that reads it. */
function example(path: string): { url: string; base: string; args: unknown[] } {
  const c = scenario.chain;
  const address = toHex(c.vals[1]!.address).toUpperCase();
  const ex: Record<string, [string, unknown[]]> = {
    '/validators/{address}': [`/validators/${address}`, [address]],
    '/sequencers/{id}': ['/sequencers/2', [2n]],
    '/observations/{digest}': [`/observations/${scenario.digest}`, [scenario.digest]],
    '/epochs/{id}': ['/epochs/1', [1n]],
    '/epochs/recent': ['/epochs/recent?limit=10', [10]],
    '/producer': ['/producer?l2Height=5', [5n]],
    '/batcher': ['/batcher?l2Height=5', [5n]],
    '/mpc/sessions': ['/mpc/sessions?limit=5', [5]],
    '/mpc/sessions/{id}': [`/mpc/sessions/${sessionId}`, [sessionId]],
    '/sign/{id}': ['/sign/1', [1n]],
    '/mpc/sign/{id}': ['/mpc/sign/1', [1n]],
    '/sign/recent': ['/sign/recent?limit=10', [10]],
    '/batches/{index}': ['/batches/1', [1n]],
    '/batches/{index}/data': ['/batches/1/data', [1n]],
    '/batches/recent': ['/batches/recent?limit=10', [10]],
    '/node/block-times': ['/node/block-times?heights=3,4,5,1000000', [[3n, 4n, 5n, 1_000_000n]]],
  };
  const [url, args] = ex[path] ?? [path, []];
  const onDkg = path.startsWith('/mpc/sessions');
  return { url, base: onDkg ? dkg.url : gw.url, args };
}

test('the document lists every route of the table, /health, /openapi.json and the dashboard, each with its PoolClient method', () => {
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths).sort()).toEqual([...ROUTES.map((r) => r.pattern), '/health', '/openapi.json', '/'].sort());
  expect(routeList()).toEqual(expect.arrayContaining(ROUTES.map((r) => `GET ${r.pattern}${r.query ? `?${r.query}` : ''}`)));
  const ids = Object.values(doc.paths).map((p) => p.get.operationId);
  expect(new Set(ids).size).toBe(ids.length);
  for (const [path, { get }] of Object.entries(doc.paths)) {
    const method = get['x-pool-client'];
    if (path === '/openapi.json' || path === '/') continue;
    expect({ path, method: typeof (PoolClient.prototype as unknown as Record<string, unknown>)[method!] }).toEqual({ path, method: 'function' });
    const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    expect(get.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(inPath);
  }
});

test('every route answers with a body its schema accepts, and PoolClient parses it as the route does', async () => {
  const checked: string[] = [];
  for (const [path, { get }] of Object.entries(doc.paths)) {
    const { url, base, args } = example(path);
    const res = await fetch(base + url);
    const route = ROUTES.find((r) => r.pattern === path);
    if (path === '/') {
      expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      expect(await res.text()).toContain('seqpool dashboard');
      checked.push(path);
      continue;
    }
    const body = (await res.json()) as { result?: unknown };
    expect({ url, status: res.status }).toEqual({ url, status: 200 });
    const validate = validator(get.responses['200']!.content['application/json']!.schema);
    expect({ url, valid: validate(body), errors: validate.errors ?? null }).toEqual({ url, valid: true, errors: null });
    if (path === '/openapi.json') {
      checked.push(path);
      continue;
    }
    const client = new PoolClient(base);
    const method = (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[get['x-pool-client']!]!;
    const parsed = await method.apply(client, args);
    if (path === '/health') expect(parsed).toMatchObject({ ok: true, catchingUp: false });
    else expect({ url, parsed }).toEqual({ url, parsed: route!.client === 'recentMpcSessions' ? (route!.result.parse(body.result) as { sessions: unknown }).sessions : unwrap(route!.client, route!.result.parse(body.result)) });
    checked.push(path);
  }
  expect(checked.sort()).toEqual(Object.keys(doc.paths).sort());
});

/** PoolClient returns the list of /sign/pending, the answer's object otherwise. */
const unwrap = (method: string, v: unknown): unknown => (method === 'pendingSignRequests' ? (v as { requests: unknown }).requests : v);

test('the answers show the scenario: 3 finalized batches, a re-span, missed votes of one validator, block times in ms', async () => {
  const pool = new PoolClient(gw.url);
  const recent = await pool.recentBatches(10);
  expect(recent.batches.map((b) => [b.index, b.status])).toEqual([[0n, 'finalized'], [1n, 'finalized'], [2n, 'finalized']]);
  expect(recent).toMatchObject({ nextIndex: 3n, finalized: 3n });
  const epochs = await pool.recentEpochs();
  expect(epochs.epochs.map((e) => [e.id, e.isRespan, e.respanOf, e.startL2, e.endL2])).toEqual([
    [0n, false, 0n, 1n, 3n],
    [1n, true, 0n, 4n, 10n],
  ]);
  expect((await pool.recentEpochs(1)).epochs.map((e) => e.id)).toEqual([epochs.latest]);
  const signs = await pool.recentSignRequests(2);
  expect(signs.requests.map((r) => r.id)).toEqual([signs.nextId - 2n, signs.nextId - 1n]);
  const votes = await pool.missedVotes();
  const absentee = toHex(scenario.chain.vals[comet.absentIndex]!.address).toUpperCase();
  const row = votes.validators.find((v) => v.address === absentee)!;
  expect(row.missed).toBe(Array.from({ length: votes.blocks }, (_, i) => BigInt(votes.fromHeight) + BigInt(i)).filter((h) => h % 3n === 0n).length);
  expect(row.missed + row.signed).toBe(votes.blocks);
  expect(votes.validators.filter((v) => v.address !== absentee).every((v) => v.missed === 0 && v.signed === votes.blocks)).toBe(true);
  expect((await pool.blockTimes([3, 4, 1_000_000])).blocks).toEqual([
    { height: 3n, timeMs: 1_700_000_003_123n },
    { height: 4n, timeMs: 1_700_000_004_123n },
  ]);
  expect(await pool.nodeStatus()).toMatchObject({ moniker: 'node0', network: 'seqpool-test', catchingUp: false, peers: 3, latestHeight: scenario.chain.height });
});

test('schema and parser agree on required keys: dropping one fails both, dropping an optional one neither', async () => {
  let dropped = 0;
  for (const route of ROUTES) {
    const { url, base } = example(route.pattern);
    const body = (await (await fetch(base + url)).json()) as { result: unknown };
    const validate = validator(doc.paths[route.pattern]!.get.responses['200']!.content['application/json']!.schema);
    const sample = Array.isArray(body.result) ? body.result[0] : body.result;
    const inlined = route.result.schema(inline);
    const shape = (Array.isArray(body.result) ? inlined.items : inlined) as JsonSchema;
    if (sample === undefined || shape.properties === undefined) continue; // the parameters are a map: no fixed keys
    const required = new Set(shape.required as string[]);
    for (const key of Object.keys(asObject(sample, 'sample'))) {
      const without = { ...(sample as Record<string, unknown>) };
      delete without[key];
      const result = Array.isArray(body.result) ? [without] : without;
      const schemaOk = validate({ height: '1', result });
      let parserOk = true;
      try {
        route.result.parse(result);
      } catch (e) {
        expect(e).toBeInstanceOf(PoolParseError);
        parserOk = false;
      }
      expect({ url, key, schemaOk, parserOk }).toEqual({ url, key, schemaOk: !required.has(key), parserOk: !required.has(key) });
      dropped++;
    }
  }
  expect(dropped).toBeGreaterThan(100);
});

test('refusals have the documented error shape; an unknown key in an answer fails the schema', async () => {
  const errorSchema = validator({ $ref: '#/components/schemas/Error' });
  for (const [url, status] of [['/batches/99', 404], ['/epochs/x', 400], ['/batches/recent?limit=500', 400], ['/node/block-times?heights=0', 400], ['/nope', 404]] as const) {
    const r = await fetch(gw.url + url);
    const body = await r.json();
    expect({ url, status: r.status, valid: errorSchema(body) }).toEqual({ url, status, valid: true });
  }
  const batch = validator({ $ref: '#/components/schemas/Batch' });
  const b = ((await (await fetch(`${gw.url}/batches/0`)).json()) as { result: Record<string, unknown> }).result;
  expect(batch(b)).toBe(true);
  expect(batch({ ...b, surprise: 1 })).toBe(false);
  expect(batch({ ...b, status: 'lost' })).toBe(false);
  expect(batch({ ...b, index: 3 })).toBe(false); // the app writes integers as decimal strings
});
