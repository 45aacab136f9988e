// The listener against a real anvil: K confirmations, nonce order, every event kind, restart from the
// persisted cursor, malformed logs skipped, and the log lines an operator reads.
import { pino } from 'pino';
import { encodeAbiParameters, toEventSelector, pad, type Hex } from 'viem';
import { L1Listener, lockingPoolEventsAbi, type L1ListenerOptions } from '../../bridge/index.js';
import { toHex } from '../../common/bytes.js';
import { FakeState, PUBKEY, SIGNER, SIGNER2, captureLogs, emit, events, head, ids, mine, startChain, tempDir, waitFor, type Chain } from './harness.js';

const K = 3;
let chain: Chain;
const dirs: { path: string; cleanup(): void }[] = [];
const running: L1Listener[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((l) => l.stop())); // also when a test failed half-way
});

beforeAll(async () => {
  chain = await startChain();
}, 30_000);

afterAll(async () => {
  await chain?.stop();
  for (const d of dirs) d.cleanup();
});

async function listener(state: FakeState, extra: Partial<L1ListenerOptions> = {}, dbPath?: string) {
  const dir = dbPath ?? (dirs.push(tempDir()), dirs[dirs.length - 1]!.path);
  const logs = captureLogs();
  const l = new L1Listener({ finality: 'confirmations',
    rpcUrl: chain.url,
    chainId: 31337,
    lockingPool: chain.emitter,
    startBlock: await head(chain),
    confirmations: K,
    pollIntervalMs: 3_600_000, // the loop runs once at start; tests step it with syncNow()
    dbPath: dir,
    stateView: state,
    logger: pino({ level: 'debug' }, logs),
    ...extra,
  });
  await l.start();
  running.push(l);
  return { l, logs, dir };
}

test('an event reaches pending() only at K confirmations, decoded into the L1StakingEvent message', async () => {
  const state = new FakeState();
  const { l, logs } = await listener(state);
  const e = await emit(chain, 'locked', [101n, SIGNER, 1n, 20_000n, 20_000n, PUBKEY]);
  await mine(chain, K - 1);
  await l.syncNow();
  expect(l.pending()).toEqual([]);
  await mine(chain, 1);
  await l.syncNow();
  const [ev, ...rest] = events(l.pending());
  expect(rest).toEqual([]);
  expect(ev).toMatchObject({ chainId: 31337n, blockNumber: e.block, sequencerId: 101n, nonce: 1n, logIndex: 0 });
  expect(`0x${toHex(ev!.blockHash)}`).toBe(e.blockHash);
  expect(`0x${toHex(ev!.txHash)}`).toBe(e.tx);
  expect(`0x${toHex(ev!.contract)}`).toBe(chain.emitter.toLowerCase());
  expect(ev!.locked).toEqual({ signer: Uint8Array.from(Buffer.from(SIGNER.slice(2), 'hex')), amount: '20000', total: '20000', signerPubkey: new Uint8Array(64).fill(0x11) });
  // seen -> offered -> settled, each once at info, with the ids an operator greps for.
  const seen = logs.lines.find((x) => x.msg === 'L1 event seen (confirmed)');
  expect(seen).toMatchObject({ level: 30, sequencerId: '101', nonce: '1', block: e.block.toString(), tx: e.tx });
  expect(logs.messages().filter((m) => m === 'L1 event offered for attestation')).toHaveLength(1);
  l.pending();
  expect(logs.messages().filter((m) => m === 'L1 event offered for attestation')).toHaveLength(1);
  state.settle({ l1Staking: ev! });
  expect(l.pending()).toEqual([]);
  await l.syncNow();
  expect(logs.messages()).toContain('L1 event settled by the app (applied or rejected); dropped from the bridge store');
  expect(l.status().storedEvents).toBe(0);
  await l.stop();
});

test('per sequencer, a later nonce is offered only once the earlier one settles; sequencers are independent', async () => {
  const state = new FakeState();
  const { l } = await listener(state);
  await emit(chain, 'locked', [201n, SIGNER, 1n, 20_000n, 20_000n, PUBKEY]);
  await emit(chain, 'relocked', [201n, 2n, 5_000n, 25_000n]);
  await emit(chain, 'unlockInit', [201n, SIGNER, 3n, 1_700_000_000n, 25_000n]);
  await emit(chain, 'locked', [202n, SIGNER2, 1n, 30_000n, 30_000n, PUBKEY]);
  await mine(chain, K);
  await l.syncNow();
  expect(ids(l.pending())).toEqual(['201/1', '202/1']);
  state.settle(l.pending()[0]!);
  expect(ids(l.pending())).toEqual(['201/2', '202/1']);
  const relocked = events(l.pending())[0]!;
  expect(relocked.relocked).toEqual({ amount: '5000', total: '25000' });
  state.settle(l.pending()[0]!);
  const unlockInit = events(l.pending())[0]!;
  expect(unlockInit.unlockInit).toMatchObject({ deactivationTime: 1_700_000_000n, amount: '25000' });
  expect(ids(l.pending())).toEqual(['201/3', '202/1']);
  await l.stop();
});

test('Unlocked and SignerChange decode with their fields', async () => {
  const state = new FakeState();
  const { l } = await listener(state);
  await emit(chain, 'signerChange', [301n, 1n, SIGNER, SIGNER2, PUBKEY]);
  await emit(chain, 'unlocked', [302n, SIGNER, 1n, 7n]);
  await mine(chain, K);
  await l.syncNow();
  const [sc, un] = events(l.pending());
  expect(sc!.signerChange).toEqual({ oldSigner: Buffer.from(SIGNER.slice(2), 'hex'), newSigner: Buffer.from(SIGNER2.slice(2), 'hex'), signerPubkey: new Uint8Array(64).fill(0x11) });
  expect(un!.unlocked).toEqual({ signer: Buffer.from(SIGNER.slice(2), 'hex'), amount: '7' });
  await l.stop();
});

test('malformed logs (short pubkey, undecodable data) are logged once with what to do and skipped; the loop goes on', async () => {
  const state = new FakeState();
  const { l, logs } = await listener(state);
  await emit(chain, 'locked', [401n, SIGNER, 1n, 1n, 1n, ('0x' + '22'.repeat(33)) as Hex]);
  const lockedTopic = toEventSelector(lockingPoolEventsAbi[0]);
  await emit(chain, 'raw2', [lockedTopic, pad('0x0192', { size: 32 }), '0x1234']); // Locked topic, 2 bytes of data
  await emit(chain, 'raw2', [pad('0xbeef', { size: 32 }), pad('0x01', { size: 32 }), encodeAbiParameters([{ type: 'uint256' }], [1n])]); // not ours: ignored quietly
  await emit(chain, 'locked', [402n, SIGNER, 1n, 1n, 1n, PUBKEY]);
  await mine(chain, K);
  await l.syncNow();
  await l.sweepNow(); // a re-read must not repeat the warnings
  expect(ids(l.pending())).toEqual(['402/1']);
  const warned = logs.lines.filter((x) => String(x.msg).startsWith('malformed LockingPool log skipped'));
  expect(warned.map((w) => w.reason)).toEqual([
    expect.stringContaining('signerPubkey is 33 bytes, expected 64'),
    expect.stringContaining('does not decode against the LockingPool ABI'),
  ]);
  expect(warned[0]).toMatchObject({ level: 40, tx: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
  expect(l.status().lastError).toBeUndefined();
  await l.stop();
});

test('a restart mid-stream resumes from the persisted cursor: nothing lost, nothing duplicated', async () => {
  const state = new FakeState();
  const first = await listener(state);
  await emit(chain, 'locked', [501n, SIGNER, 1n, 1n, 1n, PUBKEY]);
  await emit(chain, 'relocked', [501n, 2n, 1n, 2n]);
  await mine(chain, K);
  await first.l.syncNow();
  const cursor = first.l.status().cursor;
  expect(ids(first.l.pending())).toEqual(['501/1']);
  await first.l.stop();
  // While it is down: more events, some confirmed, one not yet.
  await emit(chain, 'relocked', [501n, 3n, 1n, 3n]);
  await emit(chain, 'locked', [502n, SIGNER, 1n, 1n, 1n, PUBKEY]);
  await mine(chain, K);
  await emit(chain, 'relocked', [502n, 2n, 1n, 2n]);
  const second = await listener(state, { startBlock: 0n }, first.dir); // a different startBlock must not matter once a cursor exists
  expect(second.logs.messages()).toContain('L1 listener resuming from its persisted cursor');
  await second.l.syncNow();
  expect(second.l.status().cursor).toBeGreaterThan(cursor);
  // Settle whatever is offered, mining K blocks whenever nothing is, until two rounds offer nothing.
  const offered: string[] = [];
  for (let idle = 0, i = 0; idle < 2 && i < 12; i++) {
    const p = second.l.pending();
    if (p.length === 0) {
      idle++;
      await mine(chain, K);
      await second.l.syncNow();
      continue;
    }
    idle = 0;
    for (const o of p) (offered.push(ids([o])[0]!), state.settle(o));
  }
  expect(offered.sort()).toEqual(['501/1', '501/2', '501/3', '502/1', '502/2']);
  await second.l.stop();
});

test('the running loop follows the head by itself and stop() is prompt', async () => {
  const state = new FakeState();
  const { l } = await listener(state, { pollIntervalMs: 50 });
  await emit(chain, 'locked', [601n, SIGNER, 1n, 1n, 1n, PUBKEY]);
  await mine(chain, K);
  await waitFor('the loop offers sequencer 601', () => ids(l.pending()).includes('601/1'), 5_000);
  const t = Date.now();
  await l.stop();
  expect(Date.now() - t).toBeLessThan(2_000);
});

test('catching up from an older start block reads bounded ranges and finds every event', async () => {
  const state = new FakeState();
  const start = (await head(chain)) + 1n;
  for (let n = 1n; n <= 4n; n++) {
    await emit(chain, n === 1n ? 'locked' : 'relocked', n === 1n ? [651n, SIGNER, 1n, 1n, 1n, PUBKEY] : [651n, n, 1n, n]);
    await mine(chain, 2);
  }
  await mine(chain, K);
  const { l } = await listener(state, { startBlock: start, maxBlockRange: 2, hashWindow: 4 });
  await l.syncNow();
  expect(l.status().cursor).toBe((await head(chain)) - BigInt(K));
  const offered: string[] = [];
  for (let p = l.pending(); p.length > 0; p = l.pending()) for (const o of p) (offered.push(ids([o])[0]!), state.settle(o));
  expect(offered).toEqual(['651/1', '651/2', '651/3', '651/4']);
});

test('a database made for another contract is refused with a clear message', async () => {
  const state = new FakeState();
  const first = await listener(state);
  await first.l.stop();
  const other = new L1Listener({ finality: 'confirmations', rpcUrl: chain.url, chainId: 31337, lockingPool: SIGNER, startBlock: 0n, dbPath: first.dir, stateView: state });
  await expect(other.start()).rejects.toThrow(/follows chain 31337 contract .* not chain 31337 contract 0x0+a1/);
});
