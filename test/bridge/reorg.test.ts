// Reorgs with anvil_reorg against the listener: shallower than K changes nothing; deeper ones are
// detected by the stored block hashes, rewind the cursor and drop what was not yet attested.
import { pino } from 'pino';
import { encodeFunctionData, type Hex } from 'viem';
import { L1Listener } from '../../bridge/index.js';
import { toHex } from '../../common/bytes.js';
import { emitterAbi } from './emitter.js';
import { FakeState, PUBKEY, SIGNER, captureLogs, emit, events, head, ids, mine, reorg, startChain, tempDir, type Chain } from './harness.js';

const K = 3;
let chain: Chain;
const dirs: { cleanup(): void }[] = [];
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

async function listener(state: FakeState) {
  const dir = tempDir();
  dirs.push(dir);
  const logs = captureLogs();
  const l = new L1Listener({ finality: 'confirmations',
    rpcUrl: chain.url,
    chainId: 31337,
    lockingPool: chain.emitter,
    startBlock: await head(chain),
    confirmations: K,
    pollIntervalMs: 3_600_000,
    dbPath: dir.path,
    stateView: state,
    logger: pino({ level: 'debug' }, logs),
  });
  await l.start();
  running.push(l);
  return { l, logs };
}

/** The emitter call as a tx anvil_reorg can put into a replacement block. */
function lockTx(id: bigint): Record<string, unknown> {
  return { from: chain.wallet.account!.address, to: chain.emitter, data: encodeFunctionData({ abi: emitterAbi, functionName: 'locked', args: [id, SIGNER, 1n, 1n, 1n, PUBKEY] }) };
}

const hashOf = (b: Uint8Array): Hex => `0x${toHex(b)}`;

test('a reorg shallower than K changes nothing confirmed, and an unconfirmed event it removes is never offered', async () => {
  const state = new FakeState();
  const { l, logs } = await listener(state);
  const e1 = await emit(chain, 'locked', [701n, SIGNER, 1n, 1n, 1n, PUBKEY]);
  await mine(chain, K);
  await l.syncNow();
  expect(ids(l.pending())).toEqual(['701/1']);

  const e2 = await emit(chain, 'locked', [702n, SIGNER, 1n, 1n, 1n, PUBKEY]); // at the head, unconfirmed
  await reorg(chain, K - 1);
  expect((await chain.pub.getBlock({ blockNumber: e2.block })).hash).not.toBe(e2.blockHash);
  await l.syncNow();
  expect(events(l.pending()).map((e) => hashOf(e.blockHash))).toEqual([e1.blockHash]);
  expect(l.status().cursor).toBe((await head(chain)) - BigInt(K)); // followed on, never rewound

  await mine(chain, 2 * K);
  await l.syncNow();
  await l.sweepNow();
  expect(ids(l.pending())).toEqual(['701/1']);
  expect(logs.messages().some((m) => m.startsWith('L1 reorg'))).toBe(false);
  await l.stop();
});

test('a reorg deeper than K before attestation drops the orphaned event; its replacement is offered with the new block hash', async () => {
  const state = new FakeState();
  const { l, logs } = await listener(state);
  const gone = await emit(chain, 'locked', [711n, SIGNER, 1n, 1n, 1n, PUBKEY]);
  const moved = await emit(chain, 'locked', [712n, SIGNER, 1n, 1n, 1n, PUBKEY]);
  await mine(chain, K);
  await l.syncNow();
  expect(ids(l.pending())).toEqual(['711/1', '712/1']);

  // Replace both event blocks and the K after them; only 712's call is mined again, in the last new block.
  const depth = K + 2;
  expect(await head(chain)).toBe(gone.block + BigInt(depth - 1));
  await reorg(chain, depth, [[lockTx(712n), depth - 1]]);
  await l.syncNow();

  const reorgLine = logs.lines.find((x) => String(x.msg).startsWith('L1 reorg below the safe block (the confirmation depth)'));
  expect(reorgLine).toMatchObject({ level: 40, droppedEvents: 2, forkPoint: (gone.block - 1n).toString() });
  expect(logs.lines.filter((x) => String(x.msg).startsWith('L1 event dropped before attestation')).map((x) => x.sequencerId).sort()).toEqual(['711', '712']);

  // The replacement is at the head now, so it is not confirmed yet.
  expect(ids(l.pending())).toEqual([]);
  await mine(chain, K);
  await l.syncNow();
  await l.sweepNow();
  const offered = events(l.pending());
  expect(offered.map((e) => `${e.sequencerId}/${e.nonce}`)).toEqual(['712/1']);
  const replaced = offered[0]!;
  expect(hashOf(replaced.blockHash)).not.toBe(moved.blockHash);
  expect(replaced.blockNumber).toBe(gone.block + BigInt(depth - 1));
  expect(hashOf(replaced.blockHash)).toBe((await chain.pub.getBlock({ blockNumber: replaced.blockNumber })).hash);
  expect(l.status().storedEvents).toBe(1);
  await l.stop();
});
