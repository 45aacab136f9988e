import { Socket, connect } from 'node:net';
import { writeFile, lstat } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { AbciServer } from '../../abci/server.js';
import { encodeUvarint } from '../../abci/framing.js';
import { parseAddress } from '../../abci/address.js';
import { baseApp, kindOf, sleep, until, useServers, type LogLine } from './helpers.js';

const FATAL = 60;
const ERROR = 50;
const INFO = 30;
const TRACE = 10;

const { start, tempDir } = useServers();

const tx = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const logged = (lines: LogLine[], level: number, re: RegExp) => lines.filter((l) => l.level === level && re.test(l.msg));

describe('AbciServer transport', () => {
  test('tcp: port 0 listens on a port the kernel picks and reports it; answers Echo and Flush itself', async () => {
    const { address, client, lines } = await start(baseApp(), { address: 'tcp://127.0.0.1:0' });
    expect(address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(address).not.toBe('tcp://127.0.0.1:0');
    const c = await client();
    const [echo] = await c.call({ echo: { message: 'hello' } });
    expect(echo!.echo).toEqual({ message: 'hello' });
    expect(c.responses.map(kindOf)).toEqual(['echo', 'flush']);
    expect(logged(lines, INFO, /connection opened/)).toHaveLength(1);
    expect(logged(lines, TRACE, /^request$/).map((l) => l.req)).toEqual(['echo', 'flush']);
    await c.end();
    await until(() => logged(lines, INFO, /connection closed/).length === 1);
  });

  test('unix: serves on a socket path and removes a stale socket file first', async () => {
    const path = join(tempDir(), 'stale.sock');
    // A process killed while listening leaves its socket file behind.
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
      child.on('exit', () => resolve());
    });
    expect((await lstat(path)).isSocket()).toBe(true);
    const { address, client } = await start(baseApp({ info: () => ({ data: 'over unix' }) }), { address: `unix://${path}` });
    expect(address).toBe(`unix://${path}`);
    const c = await client();
    const [info] = await c.call({ info: { version: '0.38.26' } });
    expect(info!.info!.data).toBe('over unix');
  });

  test('unix: refuses a path that is not a socket, and a socket someone listens on', async () => {
    const file = join(tempDir(), 'not-a-socket');
    await writeFile(file, 'keep me');
    await expect(new AbciServer({ app: baseApp() }).listen(`unix://${file}`)).rejects.toThrow(/not a socket/);
    const live = join(tempDir(), 'live.sock');
    await start(baseApp(), { address: `unix://${live}` });
    await expect(new AbciServer({ app: baseApp() }).listen(`unix://${live}`)).rejects.toThrow(/another server is listening/);
  });

  test('parseAddress accepts CometBFT syntax and rejects the rest', () => {
    expect(parseAddress('tcp://0.0.0.0:26658')).toEqual({ kind: 'tcp', host: '0.0.0.0', port: 26658 });
    expect(parseAddress('127.0.0.1:1')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 1 });
    expect(parseAddress('tcp://[::1]:26658')).toEqual({ kind: 'tcp', host: '::1', port: 26658 });
    expect(parseAddress('unix:///tmp/app.sock')).toEqual({ kind: 'unix', path: '/tmp/app.sock' });
    expect(() => parseAddress('grpc://127.0.0.1:1')).toThrow();
    expect(() => parseAddress('tcp://127.0.0.1')).toThrow();
    expect(() => parseAddress('tcp://127.0.0.1:70000')).toThrow();
  });

  test('close() stops listening, ends connections and waits for the running request', async () => {
    let finished = false;
    const { server, address, client } = await start(
      baseApp({
        finalizeBlock: async (req) => {
          await sleep(100);
          finished = true;
          return { txResults: req.txs.map(() => ({})) };
        },
      }),
    );
    const c = await client();
    c.send({ finalizeBlock: { txs: [] } }, { flush: {} });
    await sleep(20); // FinalizeBlock is running now
    await server.close();
    expect(finished).toBe(true);
    await c.closed;
    const a = parseAddress(address);
    if (a.kind !== 'tcp') throw new Error('tcp expected');
    await expect(
      new Promise((resolve, reject) => connect({ host: a.host, port: a.port }).once('connect', resolve).once('error', reject)),
    ).rejects.toThrow(/ECONNREFUSED/);
  });

  test('EOF from a client ends its connection: its queued requests are not run', async () => {
    let ran = 0;
    const { client, lines } = await start(baseApp({ checkTx: async () => (await sleep(10), ran++, { code: 0 }) }));
    const c = await client();
    c.send(...Array.from({ length: 20 }, () => ({ checkTx: { tx: tx('a') } })), { flush: {} });
    await sleep(15);
    c.socket.end();
    await c.closed;
    await until(() => logged(lines, INFO, /connection closed/).length === 1);
    await sleep(30);
    expect(ran).toBeGreaterThanOrEqual(1);
    expect(ran).toBeLessThan(20);
  });
});

describe('AbciServer ordering', () => {
  test('in-order responses when an earlier request is slow and a later one is server-answered', async () => {
    const { client } = await start(
      baseApp({
        query: async (req) => {
          await sleep(80);
          return { value: req.data };
        },
        checkTx: (req) => ({ data: req.tx }),
      }),
    );
    const c = await client();
    const got = await c.call({ query: { data: tx('slow') } }, { echo: { message: 'fast' } }, { checkTx: { tx: tx('t') } });
    expect(got.map(kindOf)).toEqual(['query', 'echo', 'checkTx']);
    expect(text(got[0]!.query!.value)).toBe('slow');
    expect(got[1]!.echo!.message).toBe('fast');
  });

  test('Flush is answered after every earlier response of its connection, and nothing before them', async () => {
    const delays = [40, 0, 25, 0, 10];
    const { client } = await start(baseApp({ checkTx: async (req) => (await sleep(delays[req.tx[0]!]!), { data: req.tx }) }));
    const c = await client();
    c.send(...delays.map((_, i) => ({ checkTx: { tx: new Uint8Array([i]) } })), { flush: {} }, { echo: { message: 'after' } }, { flush: {} });
    await sleep(20);
    expect(c.responses).toHaveLength(0); // the first CheckTx still runs: nothing may overtake it
    const all = await c.waitFor(8);
    expect(all.map(kindOf)).toEqual(['checkTx', 'checkTx', 'checkTx', 'checkTx', 'checkTx', 'flush', 'echo', 'flush']);
    expect(all.slice(0, 5).map((r) => r.checkTx!.data[0])).toEqual([0, 1, 2, 3, 4]);
  });

  test('one app-wide queue: requests from two connections never run concurrently', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const order: string[] = [];
    const enter = async (label: string) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      order.push(label);
      await sleep(2);
      await Promise.resolve();
      inFlight--;
    };
    const { client } = await start(
      baseApp({
        checkTx: async (req) => (await enter(`m${req.tx[0]}`), { code: 0 }),
        finalizeBlock: async (req) => (await enter(`c${req.height}`), { txResults: [] }),
        query: async () => (await enter('q'), { code: 0 }),
      }),
    );
    const [mempool, consensus, query] = await Promise.all([client(), client(), client()]);
    const N = 15;
    await Promise.all([
      mempool.call(...Array.from({ length: N }, (_, i) => ({ checkTx: { tx: new Uint8Array([i]) } }))),
      consensus.call(...Array.from({ length: N }, (_, i) => ({ finalizeBlock: { height: BigInt(i) } }))),
      query.call(...Array.from({ length: N }, () => ({ query: {} }))),
    ]);
    expect(maxInFlight).toBe(1);
    expect(order).toHaveLength(3 * N);
    // FIFO per connection, and the connections really interleaved (a queue, not one connection at a time).
    expect(order.filter((l) => l.startsWith('m'))).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
    expect(order.filter((l) => l.startsWith('c'))).toEqual(Array.from({ length: N }, (_, i) => `c${i}`));
    expect(order.slice(0, 3 * N - 1).some((l, i) => l[0] !== order[i + 1]![0])).toBe(true);
  });

  test('answers leave in batches, not one socket write each', async () => {
    const { client } = await start(baseApp({ checkTx: async (req) => ({ data: req.tx }) }));
    const c = await client();
    type WriteFn = (this: Socket, ...args: unknown[]) => unknown;
    const proto = Socket.prototype as unknown as { _write: WriteFn; _writev: WriteFn };
    const orig = { _write: proto._write, _writev: proto._writev };
    let serverWrites = 0;
    for (const name of ['_write', '_writev'] as const) {
      proto[name] = function (this: Socket, ...args: unknown[]) {
        if (this !== c.socket) serverWrites++;
        return orig[name].apply(this, args);
      };
    }
    try {
      const got = await c.call(...Array.from({ length: 500 }, (_, i) => ({ checkTx: { tx: encodeUvarint(i) } })));
      expect(got).toHaveLength(500);
    } finally {
      Object.assign(proto, orig);
    }
    expect(serverWrites).toBeGreaterThan(0);
    expect(serverWrites).toBeLessThan(10);
  });

  test('a thousand requests in one write all get answered, in order', async () => {
    const { client } = await start(baseApp({ checkTx: (req) => ({ data: req.tx }) }));
    const c = await client();
    const got = await c.call(...Array.from({ length: 1000 }, (_, i) => ({ checkTx: { tx: encodeUvarint(i) } })));
    expect(got.map((r) => r.checkTx!.data)).toEqual(Array.from({ length: 1000 }, (_, i) => new Uint8Array(encodeUvarint(i))));
  });
});

describe('AbciServer answers', () => {
  test('ProcessProposal and VerifyVoteExtension: UNKNOWN or out-of-range status becomes REJECT', async () => {
    const statuses = [0, 1, 2, 7];
    const { client, lines } = await start(
      baseApp({
        processProposal: (req) => ({ status: statuses[Number(req.height)]! }),
        verifyVoteExtension: (req) => ({ status: statuses[Number(req.height)]! }),
      }),
    );
    const c = await client();
    const got = await c.call(
      ...statuses.map((_, h) => ({ processProposal: { height: BigInt(h) } })),
      ...statuses.map((_, h) => ({ verifyVoteExtension: { height: BigInt(h) } })),
    );
    expect(got.slice(0, 4).map((r) => r.processProposal!.status)).toEqual([2, 1, 2, 2]);
    expect(got.slice(4).map((r) => r.verifyVoteExtension!.status)).toEqual([2, 1, 2, 2]);
    expect(logged(lines, ERROR, /ProcessProposal returned a status other than ACCEPT or REJECT/)).toHaveLength(2);
    expect(logged(lines, ERROR, /VerifyVoteExtension returned a status other than ACCEPT or REJECT/)).toHaveLength(2);
  });

  test('CheckTx and Query throws become code 1, and the connection keeps serving', async () => {
    const { client, lines } = await start(
      baseApp({
        checkTx: (req) => {
          if (text(req.tx) === 'bad') throw new Error('cannot parse tx');
          return { code: 0 };
        },
        query: () => {
          throw new Error('no such path');
        },
      }),
    );
    const c = await client();
    const got = await c.call({ checkTx: { tx: tx('bad') } }, { checkTx: { tx: tx('good') } }, { query: { path: '/x' } });
    expect(got[0]!.checkTx).toMatchObject({ code: 1, log: expect.stringContaining('cannot parse tx') as string });
    expect(got[1]!.checkTx!.code).toBe(0);
    expect(got[2]!.query).toMatchObject({ code: 1, log: expect.stringContaining('no such path') as string });
    expect(lines.some((l) => l.level >= FATAL)).toBe(false);
    expect(c.responses.some((r) => r.exception)).toBe(false);
  });

  test('a throw in a consensus method: fatal log, ResponseException, connection closed, later requests not run', async () => {
    const commits: number[] = [];
    const { client, lines } = await start(
      baseApp({
        finalizeBlock: () => {
          throw new Error('state machine bug');
        },
        commit: () => (commits.push(1), {}),
      }),
    );
    const other = await client();
    const c = await client();
    c.send({ echo: { message: 'before' } }, { finalizeBlock: { height: 5n } }, { commit: {} }, { flush: {} });
    await c.closed;
    expect(c.responses.map(kindOf)).toEqual(['echo', 'exception']);
    expect(c.responses[1]!.exception!.error).toMatch(/finalizeBlock: state machine bug/);
    expect(commits).toHaveLength(0);
    const fatal = lines.filter((l) => l.level === FATAL);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.req).toBe('finalizeBlock');
    // Only that connection closes; the server goes on serving the others.
    const [echo] = await other.call({ echo: { message: 'still here' } });
    expect(echo!.echo!.message).toBe('still here');
  });

  test.each([
    ['initChain', { initChain: {} }],
    ['prepareProposal', { prepareProposal: {} }],
    ['processProposal', { processProposal: {} }],
    ['extendVote', { extendVote: {} }],
    ['verifyVoteExtension', { verifyVoteExtension: {} }],
    ['commit', { commit: {} }],
    ['info', { info: {} }],
  ] as const)('%s throwing is fatal too', async (method, req) => {
    const { client, lines } = await start(
      baseApp({
        [method]: () => {
          throw new Error('boom');
        },
      }),
    );
    const c = await client();
    c.send(req, { flush: {} });
    await c.closed;
    expect(c.responses.map(kindOf)).toEqual(['exception']);
    expect(lines.filter((l) => l.level === FATAL)).toHaveLength(1);
  });

  test('FinalizeBlock with a tx_results count different from txs is fatal', async () => {
    const { client, lines } = await start(baseApp({ finalizeBlock: () => ({ txResults: [{}] }) }));
    const c = await client();
    c.send({ finalizeBlock: { txs: [tx('a'), tx('b')] } }, { flush: {} });
    await c.closed;
    expect(c.responses[0]!.exception!.error).toMatch(/1 tx results for 2 txs/);
    expect(lines.filter((l) => l.level === FATAL)).toHaveLength(1);
  });

  test('an app method that returns nothing still gets its response oneof set', async () => {
    const { client } = await start(baseApp({ commit: () => undefined as never, initChain: async () => undefined as never }));
    const c = await client();
    const got = await c.call({ commit: {} }, { initChain: {} });
    expect(got.map(kindOf)).toEqual(['commit', 'initChain']);
  });

  test('Info passes bigint fields through', async () => {
    const { client } = await start(baseApp({ info: () => ({ lastBlockHeight: 9_007_199_254_740_993n, lastBlockAppHash: tx('h') }) }));
    const c = await client();
    const [info] = await c.call({ info: {} });
    expect(info!.info!.lastBlockHeight).toBe(9_007_199_254_740_993n);
  });

  test('snapshot methods the app lacks: empty list, REJECT, empty chunk, ABORT', async () => {
    const { client } = await start(baseApp());
    const c = await client();
    const got = await c.call({ listSnapshots: {} }, { offerSnapshot: {} }, { loadSnapshotChunk: { height: 1n } }, { applySnapshotChunk: {} });
    expect(got[0]!.listSnapshots).toEqual({ snapshots: [] });
    expect(got[1]!.offerSnapshot!.result).toBe(3); // REJECT
    expect(got[2]!.loadSnapshotChunk!.chunk).toHaveLength(0);
    expect(got[3]!.applySnapshotChunk!.result).toBe(2); // ABORT
  });

  test('snapshot methods the app has are used; a throw there answers the safe default', async () => {
    const { client, lines } = await start(
      baseApp({
        listSnapshots: () => ({ snapshots: [{ height: 10n, format: 1, chunks: 2 }] }),
        offerSnapshot: () => ({ result: 1 }),
        applySnapshotChunk: () => {
          throw new Error('disk full');
        },
      }),
    );
    const c = await client();
    const got = await c.call({ listSnapshots: {} }, { offerSnapshot: {} }, { applySnapshotChunk: {} });
    expect(got[0]!.listSnapshots!.snapshots[0]).toMatchObject({ height: 10n, format: 1, chunks: 2 });
    expect(got[1]!.offerSnapshot!.result).toBe(1);
    expect(got[2]!.applySnapshotChunk!.result).toBe(2);
    expect(logged(lines, ERROR, /snapshot method threw/)).toHaveLength(1);
  });
});
