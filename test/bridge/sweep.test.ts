// The self-heal sweep and RPC trouble: an RPC that leaves logs out of a getLogs answer, a nonce gap
// that only a re-read from the start block can fill, failing requests and a wrong chain.
import { pino } from 'pino';
import { L1Listener, type L1Client, type L1ListenerOptions } from '../../bridge/index.js';
import { FakeState, PUBKEY, SIGNER, captureLogs, emit, head, ids, mine, startChain, tempDir, waitFor, type Chain } from './harness.js';

const K = 2;
let chain: Chain;
const dirs: { cleanup(): void }[] = [];
const running: L1Listener[] = [];

beforeAll(async () => {
  chain = await startChain();
}, 30_000);

afterEach(async () => {
  await Promise.all(running.splice(0).map((l) => l.stop()));
});

afterAll(async () => {
  await chain?.stop();
  for (const d of dirs) d.cleanup();
});

/** The real client, with switches to return empty getLogs answers or fail head requests. */
function flakyClient(): L1Client & { dropLogs: boolean; failHead: number } {
  const real = chain.pub;
  const c = {
    dropLogs: false,
    failHead: 0,
    getChainId: () => real.getChainId(),
    getBlock: (a: { blockNumber: bigint }) => real.getBlock(a),
    getLogs: async (a: Parameters<L1Client['getLogs']>[0]) => (c.dropLogs ? [] : real.getLogs(a)),
    getBlockNumber: async (a?: { cacheTime?: number }) => {
      if (c.failHead > 0) {
        c.failHead--;
        throw Object.assign(new Error('HTTP request failed.\nURL: http://127.0.0.1:38002\nDetails: fetch failed'), { shortMessage: 'HTTP request failed.' });
      }
      return real.getBlockNumber(a);
    },
  };
  return c;
}

async function listener(state: FakeState, client: L1Client, extra: Partial<L1ListenerOptions> = {}) {
  const dir = tempDir();
  dirs.push(dir);
  const logs = captureLogs();
  const l = new L1Listener({ finality: 'confirmations',
    client,
    chainId: 31337,
    lockingPool: chain.emitter,
    startBlock: await head(chain),
    confirmations: K,
    pollIntervalMs: 3_600_000,
    sweepIntervalMs: 3_600_000,
    dbPath: dir.path,
    stateView: state,
    logger: pino({ level: 'debug' }, logs),
    ...extra,
  });
  await l.start();
  running.push(l);
  return { l, logs };
}

test('the periodic sweep finds an event the forward scan missed because the RPC returned no logs', async () => {
  const state = new FakeState();
  const client = flakyClient();
  const { l, logs } = await listener(state, client, { pollIntervalMs: 30, sweepIntervalMs: 300 });
  client.dropLogs = true;
  const e = await emit(chain, 'locked', [801n, SIGNER, 1n, 1n, 1n, PUBKEY]);
  await mine(chain, K);
  await waitFor('the forward scan passes the event block', () => l.status().cursor >= e.block, 5_000);
  expect(ids(l.pending())).toEqual([]);
  client.dropLogs = false;
  await waitFor('the sweep offers sequencer 801', () => ids(l.pending()).includes('801/1'), 5_000);
  const line = logs.lines.find((x) => String(x.msg).startsWith('L1 event seen by the sweep'));
  expect(line).toMatchObject({ level: 40, sequencerId: '801', nonce: '1', source: 'sweep' });
  // The event is offered mid-sweep; the closing line follows once the sweep stored its cursor.
  await waitFor('the sweep finishes', () => logs.messages().includes('L1 sweep finished'), 5_000);
});

test('a nonce gap sends the next sweep back to the start block, which fills it', async () => {
  const state = new FakeState();
  const client = flakyClient();
  const { l, logs } = await listener(state, client);
  client.dropLogs = true;
  await emit(chain, 'locked', [802n, SIGNER, 1n, 1n, 1n, PUBKEY]);
  await mine(chain, K);
  await l.sweepNow(); // the scan and this sweep both miss nonce 1: the sweep start moves past it
  client.dropLogs = false;
  await emit(chain, 'relocked', [802n, 2n, 1n, 2n]);
  await mine(chain, K);
  await l.syncNow();
  expect(ids(l.pending())).toEqual([]); // nonce 2 is stored but waits for nonce 1
  await l.sweepNow();
  expect(logs.lines.find((x) => String(x.msg).startsWith('L1 nonce gap'))).toMatchObject({ sequencerId: '802', expectedNonce: '1', lowestStoredNonce: '2' });
  await l.sweepNow();
  expect(ids(l.pending())).toEqual(['802/1']);
  state.settle(l.pending()[0]!);
  expect(ids(l.pending())).toEqual(['802/2']);
});

test('RPC failures back off with one readable line each, then following resumes', async () => {
  const state = new FakeState();
  const client = flakyClient();
  client.failHead = 1_000;
  const { l, logs } = await listener(state, client, { pollIntervalMs: 20, maxBackoffMs: 80 });
  await waitFor('three failed attempts', () => l.status().consecutiveFailures >= 3, 5_000);
  const failed = logs.lines.filter((x) => x.msg === 'L1 RPC request failed; backing off and retrying');
  expect(failed[0]).toMatchObject({ level: 40, error: 'HTTP request failed.', attempt: 1, retryInMs: 40, rpc: 'custom client' });
  expect(failed.every((x) => x.err === undefined && x.stack === undefined)).toBe(true);
  expect(l.status().lastError).toBe('HTTP request failed.');
  client.failHead = 0;
  await emit(chain, 'locked', [803n, SIGNER, 1n, 1n, 1n, PUBKEY]);
  await mine(chain, K);
  await waitFor('sequencer 803 offered after recovery', () => ids(l.pending()).includes('803/1'), 5_000);
  // The event is offered inside the step; the recovery line follows when the step returns, which
  // may be after more RPC reads (the sweep), so wait for it rather than race it.
  await waitFor('the recovery logged', () => logs.messages().includes('L1 RPC reachable again; following resumes'), 5_000);
  expect(l.status().consecutiveFailures).toBe(0);
});

test('an RPC serving another chain is reported as misconfiguration and nothing is read', async () => {
  const state = new FakeState();
  const start = await head(chain);
  const { l, logs } = await listener(state, flakyClient(), { chainId: 1, startBlock: start, pollIntervalMs: 20, maxBackoffMs: 40 });
  await waitFor('the misconfiguration is logged', () => logs.lines.some((x) => x.level === 50), 5_000);
  expect(logs.lines.find((x) => x.level === 50)).toMatchObject({ msg: 'L1 listener misconfigured; fix the setting, it keeps retrying', error: 'the L1 RPC serves chain 31337, the bridge is configured for chain 1' });
  expect(l.status().cursor).toBe(start - 1n);
  expect(logs.messages()).not.toContain('L1 event seen (confirmed)');
});
