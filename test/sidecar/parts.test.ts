// The sidecar's parts on their own: config validation, the chain follower against a real
// WebSocket + HTTP JSON-RPC server, the lane-1 nonce resync, approval rules, coordinator ranks.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { pino } from 'pino';
import { loadSidecarConfig, parseSidecarConfig, sidecarPassphrase } from '../../sidecar/config.js';
import { CometRpc } from '../../protocol/comet-rpc.js';
import { CometFollower, websocketUrl } from '../../sidecar/chain.js';
import { PoolTxSender } from '../../sidecar/pool-tx-sender.js';
import { Approver } from '../../sidecar/approval.js';
import { coordinatorRank } from '../../sidecar/signing.js';
import { bindableAddrs } from '../../sidecar/sidecar.js';
import { decodeSignRequest } from '../../sidecar/chain-view.js';
import { signingSessionId } from '../../mpc/signing/session.js';
import type { PublicKeyPackage } from '../../mpc/keys/types.js';
import { l1Digest } from '../../mpc/l1.js';
import { FakeChain } from './fake-chain.js';
import { FakeL2, NO_FORCED_ENTRIES, batchPayload } from './helpers.js';
import { freePort } from '../ports.js';

const silent = pino({ level: 'silent' });

describe('config', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const home = () => {
    const d = mkdtempSync(join(tmpdir(), 'seqpool-sidecar-home-'));
    dirs.push(d);
    mkdirSync(join(d, 'sidecar'));
    mkdirSync(join(d, 'config'));
    return d;
  };

  test('defaults when sidecar.json is absent; the RPC URL comes from config.toml', () => {
    const h = home();
    writeFileSync(join(h, 'config', 'config.toml'), '[rpc]\nladdr = "tcp://0.0.0.0:36657"\n');
    const cfg = loadSidecarConfig(h);
    expect(cfg).toMatchObject({ cometRpcUrl: 'http://127.0.0.1:36657', listen: ['/ip4/127.0.0.1/tcp/26680'], roundTimeoutMs: 3000, pollIntervalMs: 1000 });
    expect(cfg.l2RpcUrl).toBeUndefined();
  });

  test('errors name each bad field', () => {
    expect(() => parseSidecarConfig({ listen: ['tcp://1.2.3.4:5'], roundTimeoutMs: 5, l2RpcUrl: 'localhost' })).toThrow(/listen\.0: expected a TCP multiaddr[\s\S]*l2RpcUrl: expected an http\(s\) URL[\s\S]*roundTimeoutMs/);
    expect(() => parseSidecarConfig({ cometRPC: 'x' })).toThrow(/cometRPC/);
    const h = home();
    writeFileSync(join(h, 'sidecar', 'sidecar.json'), '{"listen": [');
    expect(() => loadSidecarConfig(h)).toThrow(/sidecar\.json is not valid JSON/);
  });

  test('passphrase: env wins, else the file (relative to HOME/sidecar), else an error saying what to set', () => {
    const h = home();
    const saved = process.env.SEQPOOL_KEY_PASSPHRASE;
    try {
      delete process.env.SEQPOOL_KEY_PASSPHRASE;
      expect(() => sidecarPassphrase(h, {})).toThrow(/set SEQPOOL_KEY_PASSPHRASE, or put "passphraseFile"/);
      expect(() => sidecarPassphrase(h, { passphraseFile: 'pw' })).toThrow(/passphraseFile .*pw does not exist/);
      writeFileSync(join(h, 'sidecar', 'pw'), 'from file\n');
      expect(sidecarPassphrase(h, { passphraseFile: 'pw' })).toBe('from file');
      process.env.SEQPOOL_KEY_PASSPHRASE = 'from env';
      expect(sidecarPassphrase(h, { passphraseFile: 'pw' })).toBe('from env');
    } finally {
      if (saved === undefined) delete process.env.SEQPOOL_KEY_PASSPHRASE;
      else process.env.SEQPOOL_KEY_PASSPHRASE = saved;
    }
  });
});

describe('chain follower against a CometBFT-like server', () => {
  let server: Server;
  let wss: WebSocketServer;
  let url: string;
  let height = 5;
  const sockets = new Set<WsSocket>();
  const subscribes: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const m = JSON.parse(body) as { id: number; method: string; params: Record<string, unknown> };
        let result: unknown;
        if (m.method === 'status') result = { node_info: { network: 'test-chain' }, sync_info: { latest_block_height: String(height) } };
        else if (m.method === 'abci_query')
          result =
            m.params.path === '/missing'
              ? { response: { code: 22, log: 'not found', height: String(height) } }
              : m.params.path === '/bad'
                ? { response: { code: 21, log: 'bad request', height: String(height) } }
                : { response: { code: 0, value: Buffer.from(JSON.stringify({ path: m.params.path })).toString('base64'), height: String(height) } };
        else if (m.method === 'broadcast_tx_sync') result = { code: 0, log: '', hash: 'AB' };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }));
      });
    });
    wss = new WebSocketServer({ server, path: '/websocket' });
    wss.on('connection', (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (d) => subscribes.push((JSON.parse(d.toString()) as { params: { query: string } }).params.query));
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });

  const newBlock = (h: number) => JSON.stringify({ jsonrpc: '2.0', id: 1, result: { query: "tm.event='NewBlock'", data: { type: 'tendermint/event/NewBlock', value: { block: { header: { height: String(h) } } } } } });

  test('rpc: query JSON, NOT_FOUND as undefined, other codes as errors; status', async () => {
    const rpc = new CometRpc(url);
    expect(await rpc.query('/mpc/key')).toEqual({ value: { path: '/mpc/key' }, height: 5n });
    expect(await rpc.query('/missing')).toBeUndefined();
    await expect(rpc.query('/bad')).rejects.toThrow(/abci_query \/bad failed with code 21: bad request/);
    expect(await rpc.status()).toEqual({ height: 5n, chainId: 'test-chain', appHash: '', catchingUp: false });
    await expect(new CometRpc('http://127.0.0.1:1').status()).rejects.toThrow(/cannot reach CometBFT RPC http:\/\/127\.0\.0\.1:1 .*cometRpcUrl/);
    expect(websocketUrl('http://127.0.0.1:26657')).toBe('ws://127.0.0.1:26657/websocket');
  });

  test('heights from NewBlock events and the status poll, each once and increasing; reconnects after a drop', async () => {
    const seen: bigint[] = [];
    const f = new CometFollower({ rpc: new CometRpc(url), rpcUrl: url, pollMs: 60_000, logger: silent });
    f.start((h) => seen.push(h));
    const waitFor = async (cond: () => boolean) => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(cond()).toBe(true);
    };
    await waitFor(() => seen.includes(5n) && sockets.size === 1 && subscribes.length === 1); // first poll + subscription
    expect(subscribes[0]).toBe("tm.event='NewBlock'");
    for (const s of sockets) {
      s.send(newBlock(6));
      s.send(newBlock(6));
      s.send(newBlock(4));
      s.send(newBlock(7));
    }
    await waitFor(() => seen.includes(7n));
    // Drop the connection: the follower reconnects (backoff 500 ms) and subscribes again.
    for (const s of sockets) s.terminate();
    await waitFor(() => subscribes.length === 2 && sockets.size === 1);
    for (const s of sockets) s.send(newBlock(8));
    await waitFor(() => seen.includes(8n));
    expect(seen).toEqual([5n, 6n, 7n, 8n]);
    await f.stop();
    await waitFor(() => sockets.size === 0);
  });
});

test('tx sender: lane 1, nonce from sidecarNonce, resynced after another process used the lane', async () => {
  const priv = secp256k1.utils.randomSecretKey();
  const chain = new FakeChain([secp256k1.getPublicKey(priv, true)]);
  const a = new PoolTxSender(chain, priv, silent);
  const b = new PoolTxSender(chain, priv, silent);
  expect((await a.send({ bindPeer: { peerId: 'p', addrs: ['/ip4/1.2.3.4/tcp/1'], peerProof: new Uint8Array(64) } }, 'bind')).code).toBe(0);
  chain.commit();
  expect([...chain.vals.values()][0]!.sidecarNonce).toBe(1n);
  expect((await b.send({ bindPeer: { peerId: 'p2', addrs: ['/ip4/1.2.3.4/tcp/1'], peerProof: new Uint8Array(64) } }, 'bind')).code).toBe(0); // b reads nonce 1 -> sends 2
  expect((await a.send({ bindPeer: { peerId: 'p3', addrs: ['/ip4/1.2.3.4/tcp/1'], peerProof: new Uint8Array(64) } }, 'bind')).code).toBe(0); // a tries 2: BAD_NONCE, resyncs to 3
  chain.commit();
  expect([...chain.vals.values()][0]!.sidecarNonce).toBe(3n);
  expect([...chain.vals.values()][0]!.peer?.peerId).toBe('p3');
});

describe('approval (decision 8)', () => {
  const pkg: PublicKeyPackage = { keyId: 'seqpool', epoch: 0, threshold: 1, members: [], groupKey: new Uint8Array(33).fill(2), commitments: [], verifyingShares: {} };
  const l2 = new FakeL2(100n);
  const pool = new Map<bigint, Uint8Array>(); // the data the app recorded per batch index
  const batchData = async (i: bigint) => pool.get(i);
  const req = (id: bigint, purpose: string, payload: Uint8Array, digest?: Uint8Array) => {
    const verifier = new Uint8Array(20).fill(1);
    return decodeSignRequest({
      id: id.toString(),
      purpose,
      chainId: '1',
      verifier: '0x' + Buffer.from(verifier).toString('hex'),
      payload: '0x' + Buffer.from(payload).toString('hex'),
      digest: '0x' + Buffer.from(digest ?? l1Digest({ chainId: 1n, verifier, purpose, payload })).toString('hex'),
      status: 'pending',
      createdHeight: '1',
      createdTime: '0',
      deadlineTime: '0',
    });
  };

  test('approves only a committed pending request with that session and digest, and appendBatch only when our L2 agrees', async () => {
    const g = await l2.batch(0n, 3n, 7n);
    const b = await l2.batch(1n, 8n, 9n, [8n, 10n]); // its data holds one block more than its header
    pool.set(0n, g.data);
    pool.set(1n, b.data);
    const ahead = await new FakeL2(200n).batch(2n, 99n, 101n); // a producer whose L2 is ahead of ours
    pool.set(2n, ahead.data);
    const good = req(1n, 'appendBatch', g.payload);
    const bad = req(2n, 'appendBatch', b.payload);
    const future = req(3n, 'appendBatch', ahead.payload);
    const forged = req(4n, 'commitEpoch', new Uint8Array(64), new Uint8Array(32).fill(9)); // digest is not l1Digest of the fields
    const plain = req(5n, 'commitEpoch', new Uint8Array(64).fill(1));
    let reads = 0;
    const a = new Approver({ l2, forced: NO_FORCED_ENTRIES, batchData, logger: silent, readPending: async () => (reads++, { pkg, requests: [good, bad, future, forged, plain] }) });
    const sid = (id: bigint) => signingSessionId(pkg, String(id));
    expect(await a.approve(sid(1n), good.digest)).toBe(true);
    expect(reads).toBe(1); // unknown session: read committed state once
    expect(await a.approve(sid(1n), bad.digest)).toBe(false); // message is not that request's digest
    expect(await a.approve(sid(2n), bad.digest)).toBe(false); // the data covers other blocks than the header
    expect(await a.approve(sid(3n), future.digest)).toBe(false); // L2 blocks not there
    expect(await a.approve(sid(4n), forged.digest)).toBe(false);
    expect(await a.approve(sid(5n), plain.digest)).toBe(true);
    expect(await a.approve(sid(6n), plain.digest)).toBe(false); // no such pending request
    expect(await new Approver({ l2: undefined, forced: NO_FORCED_ENTRIES, batchData, logger: silent, readPending: async () => ({ pkg, requests: [good] }) }).approve(sid(1n), good.digest)).toBe(false);
    // Without a view of L1's forced queue (no l1 section) appendBatch cannot be checked: refused; other purposes still sign.
    const noL1 = new Approver({ l2, forced: undefined, batchData, logger: silent, readPending: async () => ({ pkg, requests: [good, plain] }) });
    expect([await noL1.approve(sid(1n), good.digest), await noL1.approve(sid(5n), plain.digest)]).toEqual([false, true]);
    expect(await new Approver({ l2, forced: NO_FORCED_ENTRIES, batchData: async () => undefined, logger: silent, readPending: async () => ({ pkg, requests: [good] }) }).approve(sid(1n), good.digest)).toBe(false); // the pool holds no data
    const garbled = new Map(pool).set(0n, Uint8Array.of(1, 2, 3));
    const headerOfGarbled = req(1n, 'appendBatch', batchPayload({ batchIndex: 0n, l2Start: 3n, l2End: 7n, dataHash: keccak_256(garbled.get(0n)!) }));
    expect(await new Approver({ l2, forced: NO_FORCED_ENTRIES, batchData: async (i) => garbled.get(i), logger: silent, readPending: async () => ({ pkg, requests: [headerOfGarbled] }) }).approve(sid(1n), headerOfGarbled.digest)).toBe(false); // not brotli
    // Once signed (no longer pending), the same session is refused.
    a.update(pkg, [plain]);
    const none = new Approver({ l2, forced: NO_FORCED_ENTRIES, batchData, logger: silent, readPending: async () => ({ pkg, requests: [] }), catchUpMs: 100 });
    expect(await none.approve(sid(5n), plain.digest)).toBe(false);
  });

  test('a request the coordinator saw before our node committed it: approval waits for our node, within catchUpMs', async () => {
    const plain = req(7n, 'commitEpoch', new Uint8Array(64).fill(7));
    let reads = 0;
    const committedOnThirdRead = new Approver({ l2, forced: NO_FORCED_ENTRIES, batchData, logger: silent, catchUpMs: 2_000, readPending: async () => ({ pkg, requests: ++reads >= 3 ? [plain] : [] }) });
    const t0 = Date.now();
    expect(await committedOnThirdRead.approve(signingSessionId(pkg, '7'), plain.digest)).toBe(true);
    expect(reads).toBe(3);
    expect(Date.now() - t0).toBeLessThan(2_000);
    reads = 0;
    const never = new Approver({ l2, forced: NO_FORCED_ENTRIES, batchData, logger: silent, catchUpMs: 400, readPending: async () => (reads++, { pkg, requests: [] }) });
    const t1 = Date.now();
    expect(await never.approve(signingSessionId(pkg, '7'), plain.digest)).toBe(false);
    expect(Date.now() - t1).toBeLessThan(1_000);
    expect(reads).toBeGreaterThan(1);
  });

  test('a signer holding a share of another sharing (key epoch switching) does not sign the session', async () => {
    const plain = req(9n, 'commitEpoch', new Uint8Array(64).fill(9));
    const a = new Approver({ l2, forced: NO_FORCED_ENTRIES, batchData, logger: silent, catchUpMs: 0, readPending: async () => ({ pkg, requests: [plain] }) });
    const session = signingSessionId(pkg, '9');
    expect(await a.approveFor(pkg)(session, plain.digest)).toBe(true);
    // Committed state has moved to the next epoch's package while our share is still the old one
    // (or the other way round): a share of one epoch is invalid in a session of the other.
    expect(await a.approveFor({ ...pkg, epoch: pkg.epoch + 1 })(session, plain.digest)).toBe(false);
  });

  test('the catch-up re-reads as soon as our node commits its next block, not on the next poll', async () => {
    const plain = req(8n, 'commitEpoch', new Uint8Array(64).fill(8));
    let committed = false;
    let signal: (() => void) | undefined;
    const a = new Approver({
      l2,
      forced: NO_FORCED_ENTRIES,
      batchData,
      logger: silent,
      catchUpMs: 120_000,
      pollMs: 60_000, // a poll would not come within this test's time
      readPending: async () => ({ pkg, requests: committed ? [plain] : [] }),
      nextCommit: () => new Promise<void>((resolve) => (signal = resolve)),
    });
    const verdict = a.approve(signingSessionId(pkg, '8'), plain.digest);
    while (!signal) await new Promise((r) => setTimeout(r, 5)); // the first read found nothing; now waiting
    committed = true;
    signal();
    const late = new Promise<string>((r) => setTimeout(() => r('still waiting'), 5_000).unref());
    expect(await Promise.race([verdict, late])).toBe(true);
  });
});

test('coordinator rank follows members[(id - 1) mod n]', () => {
  const ms = [1, 2, 3, 4].map((i) => ({ identity: new Uint8Array(33).fill(i) }));
  expect(coordinatorRank(ms, 1n, ms[0]!.identity)).toBe(0);
  expect(coordinatorRank(ms, 1n, ms[1]!.identity)).toBe(1);
  expect(coordinatorRank(ms, 2n, ms[1]!.identity)).toBe(0);
  expect(coordinatorRank(ms, 2n, ms[0]!.identity)).toBe(3);
  expect(coordinatorRank(ms, 6n, ms[1]!.identity)).toBe(0);
  expect(coordinatorRank(ms, 1n, new Uint8Array(33).fill(9))).toBeUndefined();
  // Members we suspect unreachable are not counted: with member 1 suspected, member 2 is rank 0 of
  // request 1 (member 1 is still its own rank 0: nobody suspects itself).
  const suspect = (id: Uint8Array) => id[0] === 1;
  expect(coordinatorRank(ms, 1n, ms[1]!.identity, suspect)).toBe(0);
  expect(coordinatorRank(ms, 1n, ms[3]!.identity, suspect)).toBe(2);
  expect(coordinatorRank(ms, 2n, ms[0]!.identity, suspect)).toBe(3);
  expect(coordinatorRank(ms, 1n, ms[0]!.identity, suspect)).toBe(0);
});

test('bindable addresses drop /p2p suffixes, wildcards and duplicates', () => {
  expect(bindableAddrs(['/ip4/127.0.0.1/tcp/26680/p2p/12D3KooWabc', '/ip4/0.0.0.0/tcp/26680', '/ip4/127.0.0.1/tcp/26680', '/ip4/10.0.0.2/tcp/26680'])).toEqual(['/ip4/127.0.0.1/tcp/26680', '/ip4/10.0.0.2/tcp/26680']);
});
