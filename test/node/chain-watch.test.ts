// The node's view of its CometBFT (node/chain-watch.ts) against a scripted CometBFT RPC: absent votes
// are attributed by the position in the height's validator set (CometBFT leaves an absent vote's
// address empty), counted over a bounded window, only from canonical commits; block times come from
// the commits or /blockchain; /health follows catching_up and an RPC that does not answer.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainWatch, readRpcUrl, rfc3339ToMs } from '../../node/chain-watch.js';
import { freePort } from '../ports.js';
import { cometRequest } from '../comet-request.js';

const A = 'A'.repeat(40);
const B = 'B'.repeat(40);
const C = 'C'.repeat(40);

interface Script {
  latest: bigint;
  catchingUp: boolean;
  /** Validator set (CometBFT order) at a height. */
  setAt(h: bigint): string[];
  /** Validators absent at a height. */
  absentAt(h: bigint): string[];
  calls: string[];
}

const iso = (h: bigint) => `${new Date(Number(1_700_000_000n + 2n * h) * 1000).toISOString().slice(0, 19)}.5Z`;

async function fakeRpc(script: Script): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const u = await cometRequest(req);
    script.calls.push(u.path + (u.params.size ? `?${u.params}` : ''));
    const h = BigInt(u.params.get('height') ?? script.latest);
    let result: unknown;
    if (u.path === '/status') result = { node_info: { moniker: 'm', network: 'n' }, sync_info: { latest_block_height: String(script.latest), latest_block_time: iso(script.latest), catching_up: script.catchingUp }, validator_info: { voting_power: '7' } };
    else if (u.path === '/validators') result = { validators: script.setAt(h).map((address) => ({ address })), total: String(script.setAt(h).length) };
    else if (u.path === '/commit')
      result = {
        canonical: h < script.latest,
        signed_header: {
          header: { time: iso(h), validators_hash: script.setAt(h).join('') },
          commit: { signatures: script.setAt(h).map((a) => (script.absentAt(h).includes(a) ? { block_id_flag: 1, validator_address: '' } : { block_id_flag: 2, validator_address: a })) },
        },
      };
    else if (u.path === '/blockchain') {
      const lo = BigInt(u.params.get('minHeight')!);
      const hi = BigInt(u.params.get('maxHeight')!);
      const metas = [];
      for (let x = hi; x >= lo; x--) metas.push({ header: { height: String(x), time: iso(x) } });
      result = { block_metas: metas };
    } else if (u.path === '/net_info') result = { n_peers: '2' };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(result === undefined ? { error: { message: 'Method not found' } } : { result }));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections())) };
}

test('RFC 3339 block times with nanoseconds become unix milliseconds; anything else is refused', () => {
  expect(rfc3339ToMs('2023-11-14T22:13:20.123456789Z')).toBe(1_700_000_000_123n);
  expect(rfc3339ToMs('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000n);
  expect(rfc3339ToMs('2023-11-14T23:13:20.5+01:00')).toBe(1_700_000_000_500n);
  expect(() => rfc3339ToMs('yesterday')).toThrow(/not RFC 3339: "yesterday"/);
});

test("the node's CometBFT RPC from its config.toml: a wildcard listen is asked on loopback, a unix socket is not followed", () => {
  const home = mkdtempSync(join(tmpdir(), 'seqpool-watch-'));
  mkdirSync(join(home, 'config'));
  const write = (laddr: string) => writeFileSync(join(home, 'config', 'config.toml'), `proxy_app = "tcp://127.0.0.1:1"\n[rpc]\nladdr = "${laddr}"\n`);
  write('tcp://0.0.0.0:26657'); // port-lint: a config value, nothing listens
  expect(readRpcUrl(home)).toBe('http://127.0.0.1:26657'); // port-lint: the same value
  write('tcp://127.0.0.5:30001'); // port-lint: a config value
  expect(readRpcUrl(home)).toBe('http://127.0.0.5:30001'); // port-lint: the same value
  write('unix:///tmp/rpc.sock');
  expect(readRpcUrl(home)).toBeUndefined();
});

describe('following a scripted CometBFT', () => {
  let script: Script;
  let rpc: { url: string; close(): Promise<void> };
  beforeEach(async () => {
    script = {
      latest: 13n,
      catchingUp: false,
      // The set changes order and membership at height 8: positions must follow it.
      setAt: (h) => (h < 8n ? [A, B, C] : [C, A]),
      absentAt: (h) => (h % 2n === 0n ? [A] : h === 9n ? [C] : []),
      calls: [],
    };
    rpc = await fakeRpc(script);
  });
  afterEach(() => rpc.close());

  test('absent votes by set position over a bounded window of canonical commits, read a bounded number per poll', async () => {
    const w = new ChainWatch({ rpcUrl: rpc.url, windowBlocks: 8, perPoll: 5 });
    await w.poll(); // first poll: starts at the window (12 - 8 + 1 = 5) and reads 5 of 5..12
    expect(script.calls.filter((c) => c.startsWith('/commit'))).toEqual(['/commit?height=5', '/commit?height=6', '/commit?height=7', '/commit?height=8', '/commit?height=9']);
    await w.poll();
    // Never the latest height: its commit is not canonical yet.
    expect(script.calls).not.toContain('/commit?height=13');
    // Two sets, read once each (their hash changes at 8).
    expect(script.calls.filter((c) => c.startsWith('/validators'))).toHaveLength(2);
    let v = (await w.missedVotes()) as { fromHeight: string; toHeight: string; blocks: number; validators: { address: string; missed: number; signed: number; lastMissed: string }[] };
    expect([v.fromHeight, v.toHeight, v.blocks]).toEqual(['5', '12', 8]);
    // A: absent at 6, 8, 10, 12 (in both sets); B: in the set at 5-7 only; C: absent at 9.
    expect(v.validators).toEqual([
      { address: A, missed: 4, signed: 4, lastMissed: '12' },
      { address: B, missed: 0, signed: 3, lastMissed: '0' },
      { address: C, missed: 1, signed: 7, lastMissed: '9' },
    ]);
    // Three more heights: 5-7 leave the window, and B with them.
    script.latest = 16n;
    await w.poll();
    v = (await w.missedVotes()) as typeof v;
    expect([v.fromHeight, v.toHeight, v.blocks]).toEqual(['8', '15', 8]);
    expect(v.validators.map((x) => [x.address, x.missed, x.signed])).toEqual([
      [A, 4, 4],
      [C, 1, 7],
    ]);
  });

  test('block times from the window, older ones from /blockchain in bounded calls, unknown heights left out', async () => {
    const w = new ChainWatch({ rpcUrl: rpc.url, windowBlocks: 4 });
    await w.poll();
    script.calls.length = 0;
    const r = (await w.blockTimes([12n, 2n, 3n, 40n])) as { blocks: { height: string; timeMs: string }[] };
    expect(r.blocks).toEqual([
      { height: '12', timeMs: String((1_700_000_000 + 24) * 1000 + 500) },
      { height: '2', timeMs: String((1_700_000_000 + 4) * 1000 + 500) },
      { height: '3', timeMs: String((1_700_000_000 + 6) * 1000 + 500) },
    ]);
    expect(script.calls).toEqual(['/blockchain?minHeight=2&maxHeight=13']);
    await w.blockTimes([2n, 3n]);
    expect(script.calls).toHaveLength(1); // cached
  });

  test('status, and /health: unhealthy while catching up or when the RPC does not answer', async () => {
    const w = new ChainWatch({ rpcUrl: rpc.url });
    expect(await w.status()).toMatchObject({ moniker: 'm', network: 'n', latestHeight: '13', catchingUp: false, peers: 2, votingPower: '7' });
    expect(await w.health()).toEqual({ ok: true, catchingUp: false });
    script.catchingUp = true;
    expect(await w.health()).toEqual({ ok: false, catchingUp: true, reason: 'CometBFT is catching up' });
    await rpc.close();
    expect(await w.health()).toEqual({ ok: false, reason: `CometBFT RPC ${rpc.url} does not answer` });
    await w.poll(); // a failing poll logs and keeps what it had
    rpc = await fakeRpc(script); // for afterEach
  });
});
