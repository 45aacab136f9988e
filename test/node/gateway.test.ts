// The REST gateway over a real HTTP socket (ephemeral port): status mapping, parameter checks, 404,
// 405, CORS, timeouts and /health with a scripted query function; then the same routes in front of a
// real in-process SeqpoolApp.
import { request } from 'node:http';
import { appQuery, httpStatusFor, startGateway, type Gateway, type QueryAnswer } from '../../node/gateway.js';
import { routeList } from '../../node/gateway-routes.js';
import { utf8, toHex } from '../../common/bytes.js';
import { silentLogger } from '../../common/log.js';
import { initChainRequest, makeValidators, openApp, runBlock } from '../app/harness.js';
import type { SeqpoolApp } from '../../app/app.js';
import { freePort } from '../ports.js';

const ok = (value: unknown, height = 7n): QueryAnswer => ({ code: 0, value: utf8(JSON.stringify(value)), height });
const fail = (code: number, log: string): QueryAnswer => ({ code, value: new Uint8Array(), log, height: 7n });

async function get(gw: Gateway, path: string, init: RequestInit = {}) {
  const res = await fetch(gw.url + path, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('gateway with a scripted app', () => {
  const asked: string[] = [];
  let answers: Record<string, QueryAnswer | Error | 'hang'> = {};
  let gw: Gateway;
  let healthInfo: { ok: boolean; catchingUp?: boolean; reason?: string } | Error | undefined;

  beforeAll(async () => {
    gw = await startGateway({
      host: '127.0.0.1',
      port: await freePort(),
      logger: silentLogger(),
      timeoutMs: 300,
      query: async (path) => {
        asked.push(path);
        const a = answers[path];
        if (a === undefined) return fail(20, `unknown query path ${path}`);
        if (a === 'hang') return new Promise<QueryAnswer>((resolve) => setTimeout(() => resolve(ok({ late: true })), 1_000));
        if (a instanceof Error) throw a;
        return a;
      },
      health: async () => {
        if (healthInfo instanceof Error) throw healthInfo;
        return healthInfo ?? { ok: true };
      },
    });
  });
  afterAll(() => gw.close());
  beforeEach(() => {
    asked.length = 0;
    answers = {};
    healthInfo = undefined;
  });

  test('maps each REST route to its abci path and answers {height, result}', async () => {
    const cases: [string, string][] = [
      ['/status', '/status'],
      ['/params', '/params'],
      ['/validators', '/validators'],
      ['/validators/0xabcdefabcdefabcdefabcdefabcdefabcdefabcd', '/validator/ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD'],
      ['/sequencers/3', '/sequencer/3'],
      ['/epochs/current', '/epoch/current'],
      ['/epochs/0', '/epoch/0'],
      ['/epochs/12/', '/epoch/12'],
      ['/producer?l2Height=1500', '/producer/1500'],
      ['/mpc/key', '/mpc/key'],
      ['/mpc/sessions/current', '/mpc/session/current'],
      [`/mpc/sessions/0x${'AB'.repeat(32)}`, `/mpc/session/${'ab'.repeat(32)}`],
      ['/mpc/sign/5', '/sign/5'],
      ['/sign/5', '/sign/5'],
      ['/sign/pending', '/sign/pending'],
      ['/batches/meta', '/batch/meta'],
      ['/batches/18446744073709551615', '/batch/18446744073709551615'],
      ['/epochs/recent', '/epoch/recent/20'],
      ['/epochs/recent?limit=5', '/epoch/recent/5'],
      ['/batches/recent?limit=100', '/batch/recent/100'],
      ['/sign/recent', '/sign/recent/20'],
      ['/mpc/sessions?limit=3', '/mpc/sessions/recent/3'],
    ];
    for (const [route, path] of cases) {
      answers = { [path]: ok({ route }, 41n) };
      const r = await get(gw, route);
      expect({ route, status: r.status, body: r.body }).toEqual({ route, status: 200, body: { height: '41', result: { route } } });
      expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  test('app query codes become HTTP statuses with the app log as the message', async () => {
    expect([0, 1, 20, 21, 22, 23, 99].map(httpStatusFor)).toEqual([200, 500, 502, 400, 404, 502, 502]);
    answers = { '/epoch/9': fail(22, 'no epoch 9') };
    let r = await get(gw, '/epochs/9');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: 'no epoch 9', status: 404, code: 22, height: '7' });
    answers = { '/validator/ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD': fail(21, 'bad address') };
    r = await get(gw, '/validators/abcdefabcdefabcdefabcdefabcdefabcdefabcd');
    expect([r.status, r.body?.error]).toEqual([400, 'bad address']);
    answers = { '/mpc/key': fail(1, 'store read failed') };
    r = await get(gw, '/mpc/key');
    expect([r.status, r.body?.error, r.body?.code]).toEqual([500, 'store read failed', 1]);
    // An app without the path (older app version): the gateway and the app disagree -> 502.
    r = await get(gw, '/batches/meta');
    expect(r.status).toBe(502);
    expect(r.body?.error).toBe('unknown query path /batch/meta');
  });

  test('malformed parameters are a 400 saying what is expected, and never reach the app', async () => {
    const bad: [string, RegExp][] = [
      ['/epochs/abc', /epoch id must be a non-negative decimal integer/],
      ['/epochs/-1', /epoch id must be/],
      ['/epochs/007', /epoch id must be/],
      ['/epochs/18446744073709551616', /below 2\^64/],
      ['/producer', /l2Height must be a non-negative decimal integer.*got nothing/],
      ['/producer?l2Height=1.5', /l2Height must be/],
      ['/producer?height=3', /query parameter l2Height/],
      ['/validators/xyz', /20-byte hex address/],
      ['/mpc/sessions/1234', /32 bytes of hex/],
      ['/sign/0x10', /sign request id must be/],
      ['/batches/%zz', /malformed URL/],
      ['/epochs/recent?limit=0', /limit must be an integer from 1 to 100/],
      ['/batches/recent?limit=101', /limit must be/],
      ['/sign/recent?limit=abc', /limit must be/],
      ['/node/block-times', /heights must be 1 to 200 comma-separated block heights.*got nothing/],
      ['/node/block-times?heights=1,x', /heights must be/],
      ['/node/block-times?heights=0', /heights must be/],
      [`/node/block-times?heights=${Array.from({ length: 201 }, (_, i) => i + 1).join(',')}`, /heights must be/],
    ];
    for (const [route, msg] of bad) {
      const r = await get(gw, route);
      expect({ route, status: r.status }).toEqual({ route, status: 400 });
      expect(r.body?.error).toMatch(msg);
    }
    expect(asked).toEqual([]);
  });

  test('unknown routes are a 404 listing the routes; non-GET is a 405; OPTIONS answers CORS preflight', async () => {
    const r = await get(gw, '/nope/x');
    expect(r.status).toBe(404);
    expect(r.body?.routes).toEqual(routeList());
    expect(r.body?.routes).toEqual(expect.arrayContaining(['GET /epochs/{id}', 'GET /producer?l2Height=N', 'GET /health', 'GET /batches/meta']));
    expect(asked).toEqual([]);

    const post = await get(gw, '/status', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(post.body?.error).toMatch(/read-only, use GET/);
    expect((await get(gw, '/status', { method: 'DELETE' })).status).toBe(405);

    const pre = await fetch(gw.url + '/status', { method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    await pre.text();

    answers = { '/status': ok({ a: 1 }) };
    const head = await fetch(gw.url + '/status', { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
  });

  test('the dashboard: its page and files with a CSP that allows only this gateway; nothing else of the disk is reachable', async () => {
    const res = await fetch(`${gw.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'; .*connect-src 'self'/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    // Relative URLs only, so the page works on any node's gateway (and behind a path prefix); no CDN.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const [path, type, has] of [
      ['/dashboard/app.js', 'text/javascript; charset=utf-8', 'snapshot'],
      ['/dashboard/vendor/uPlot.esm.js', 'text/javascript; charset=utf-8', 'uPlot'],
      ['/dashboard/vendor/uPlot.min.css', 'text/css; charset=utf-8', '.uplot'],
    ] as const) {
      const r = await fetch(gw.url + path);
      expect([path, r.status, r.headers.get('content-type')]).toEqual([path, 200, type]);
      expect(await r.text()).toContain(has);
    }
    const head = await fetch(`${gw.url}/dashboard/app.js`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    // Raw paths (fetch would normalise the dots): an asset list, never the file system.
    for (const raw of ['/dashboard/../package.json', '/dashboard/%2e%2e/%2e%2e/package.json', '/dashboard/vendor/../../node/gateway.ts', '/dashboard/nope.js']) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${gw.url}${raw}`, (r) => (r.resume(), resolve(r.statusCode ?? 0)));
        req.on('error', reject);
        req.end();
      });
      expect({ raw, status }).toEqual({ raw, status: 404 });
    }
    expect(asked).toEqual([]);
  });

  test('/openapi.json is served as JSON; /node/* without a view of CometBFT is a 404 saying so', async () => {
    const r = await get(gw, '/openapi.json');
    expect([r.status, r.body?.openapi]).toEqual([200, '3.1.0']);
    const n = await get(gw, '/node/votes');
    expect([n.status, n.body?.error]).toEqual([404, "this gateway has no view of its node's CometBFT (the node did not give it one)"]);
    expect(asked).toEqual([]);
  });

  test('a throwing query is a 502 without its message or stack; a slow one a 504', async () => {
    answers = { '/params': new Error('ECONNRESET at /secret/path/store.ts:42') };
    let r = await get(gw, '/params');
    expect(r.status).toBe(502);
    expect(r.text).not.toMatch(/secret|store\.ts|ECONNRESET|at /);
    expect(r.body?.error).toBe('the app could not be queried for /params');

    answers = { '/params': 'hang' };
    const t0 = Date.now();
    r = await get(gw, '/params');
    expect(r.status).toBe(504);
    expect(r.body?.error).toBe('the app did not answer /params within 300 ms');
    expect(Date.now() - t0).toBeLessThan(1_000); // the scripted query takes 1 s

    answers = { '/params': { code: 0, value: utf8('not json'), height: 3n } };
    r = await get(gw, '/params');
    expect([r.status, r.body?.error]).toEqual([502, 'the app answered /params with something other than JSON']);
  });

  test('/health: 200 with the height when the app has state and the node says ok, else 503 with a reason', async () => {
    answers = { '/status': ok({ chainId: 'c', height: '12', appHash: 'AB' }, 12n) };
    let r = await get(gw, '/health');
    expect([r.status, r.body]).toEqual([200, { ok: true, height: '12', chainId: 'c', appHash: 'AB' }]);

    healthInfo = { ok: true, catchingUp: false };
    r = await get(gw, '/health');
    expect([r.status, r.body?.catchingUp, r.body?.ok]).toEqual([200, false, true]);

    healthInfo = { ok: false, catchingUp: true, reason: 'CometBFT is catching up' };
    r = await get(gw, '/health');
    expect([r.status, r.body?.ok, r.body?.reason, r.body?.height]).toEqual([503, false, 'CometBFT is catching up', '12']);

    healthInfo = new Error('boom at /x.ts');
    r = await get(gw, '/health');
    expect([r.status, r.body?.reason]).toEqual([503, 'the node health check failed']);

    healthInfo = undefined;
    answers = { '/status': fail(22, 'no state yet: the chain has not committed its first block') };
    r = await get(gw, '/health');
    expect([r.status, r.body]).toEqual([503, { ok: false, height: '7', reason: 'no state yet: the chain has not committed its first block' }]);

    answers = { '/status': 'hang' };
    r = await get(gw, '/health');
    expect([r.status, r.body?.ok]).toEqual([503, false]);
  });

  test('listening on a port in use fails with a readable reason; close() is idempotent', async () => {
    const port = Number(new URL(gw.url).port);
    await expect(startGateway({ host: '127.0.0.1', port, query: async () => ok({}) })).rejects.toThrow(`gateway cannot listen on 127.0.0.1:${port} (EADDRINUSE): the port is in use`);
    const other = await startGateway({ host: '127.0.0.1', port: await freePort(), query: async () => ok({}) });
    await Promise.all([other.close(), other.close()]);
    await expect(fetch(other.url + '/status')).rejects.toThrow();
  });
});

describe('gateway in front of a real SeqpoolApp', () => {
  const vals = makeValidators(4);
  let app: SeqpoolApp;
  let gw: Gateway;

  beforeAll(async () => {
    app = await openApp();
    gw = await startGateway({ host: '127.0.0.1', port: await freePort(), query: appQuery(app), logger: silentLogger() });
  });
  afterAll(() => gw.close());

  test('503 before the first block, then the committed state through every existing route', async () => {
    let r = await get(gw, '/health');
    expect(r.status).toBe(503);
    expect(r.body?.ok).toBe(false);
    expect((await get(gw, '/status')).status).toBe(404); // no state yet

    await app.initChain(initChainRequest(vals));
    await runBlock(app, vals, 1n, [], []);
    await runBlock(app, vals, 2n, [], []);

    r = await get(gw, '/health');
    expect([r.status, r.body?.ok, r.body?.height, r.body?.chainId]).toEqual([200, true, '2', 'seqpool-test']);

    r = await get(gw, '/status');
    expect(r.status).toBe(200);
    expect(r.body?.height).toBe('2');
    expect(r.body?.result).toMatchObject({ chainId: 'seqpool-test', height: '2', validators: 4, totalPower: '40' });

    r = await get(gw, '/validators');
    const rows = r.body?.result as { address: string; power: string }[];
    expect(rows.map((v) => v.address).sort()).toEqual(vals.map((v) => toHex(v.address).toUpperCase()).sort());

    const addr = toHex(vals[2]!.address);
    r = await get(gw, `/validators/0x${addr}`);
    expect([r.status, (r.body?.result as { address: string }).address]).toEqual([200, addr.toUpperCase()]);
    r = await get(gw, `/validators/${'00'.repeat(20)}`);
    expect([r.status, r.body?.code]).toEqual([404, 22]);
    expect(r.body?.error).toMatch(/no sequencer with address/);

    r = await get(gw, '/params');
    expect(r.status).toBe(200);
    expect(r.body?.result).toHaveProperty('epochLength');
  });
});
