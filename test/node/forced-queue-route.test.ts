// GET /forced-queue and PoolClient.forcedQueue() (issue 16 part 5): a gateway whose reader is the
// node's own, forcedQueueOf(node.json), over a real anvil (finalized = head - 2) with BatchInbox from
// deployL1. The answer is read at the safe block: an entry mined above it is not counted yet; a batch
// appended with the pool's (dealer) key moves the cursor and the oldest entry; the deadline, escape
// time, age and overdue follow the gateway's clock. Without l1.batchInbox, or with an L1 that does
// not answer, it is a 503 saying what to check (and no L1 URL, which may carry an API key). Reads
// within a second share one L1 read, so clients cannot multiply the node's L1 calls.
import { encodeAbiParameters, keccak256, toHex, type Abi, type Address, type Hex } from 'viem';
import { PoolClient, PoolClientError } from '../../client/pool-client.js';
import { artifact } from '../../contracts/artifacts.js';
import { deployL1 } from '../../contracts/deploy.js';
import { ANVIL_DEV_KEY } from '../../contracts/devnet.js';
import { silentLogger } from '../../common/log.js';
import { startGateway, FORCED_QUEUE_REUSE_MS, type Gateway, type QueryFn } from '../../node/gateway.js';
import { forcedQueueOf } from '../../node/forced-queue.js';
import type { NodeConfig } from '../../node/node-config.js';
import { BATCH_HEADER_ABI } from '../../protocol/signed-payloads.js';
import { FORCED_QUEUE, type ForcedQueueStatusView } from '../../protocol/views/index.js';
import { PoolKey, startChain, type Chain } from '../contracts/helpers.js';
import { freePort } from '../ports.js';

const FEE = 10n ** 15n;
const WINDOW = 100n;
const DELAY = 300n;
const DATA = toHex(new Uint8Array(64).fill(0xab));
const noApp: QueryFn = async () => ({ code: 20, value: new Uint8Array(), log: 'no app here' });

let chain: Chain;
let key: PoolKey;
let inbox: Address;
const gateways: Gateway[] = [];
let nowMs = 0;

beforeAll(async () => {
  chain = await startChain(31337, ['--slots-in-an-epoch', '1']);
  key = new PoolKey(4, 3);
  inbox = (await deployL1({ rpcUrl: chain.anvil.url, deployerKey: ANVIL_DEV_KEY, groupKey: key.groupKey, forceFee: FEE, forceWindow: WINDOW, escapeDelay: DELAY })).batchInbox;
}, 60_000);
afterAll(async () => {
  for (const g of gateways) await g.close();
});

async function gateway(extra: Partial<Parameters<typeof startGateway>[0]>): Promise<Gateway> {
  const gw = await startGateway({ host: '127.0.0.1', port: await freePort(), query: noApp, logger: silentLogger(), now: () => nowMs, ...extra });
  gateways.push(gw);
  return gw;
}

const nodeConfig = (rpcUrl: string, batchInbox?: Address) =>
  ({ l1: { rpcUrl, chainId: 31337, lockingPool: inbox, ...(batchInbox ? { batchInbox } : {}), startBlock: 0, confirmations: 2, finality: 'auto', reconcileIntervalMs: 300_000, checkpointBlocks: 32, pollIntervalMs: 2_000 } }) as unknown as NodeConfig;
const mine = (n: number) => chain.pub.request({ method: 'anvil_mine' as never, params: [`0x${n.toString(16)}`] as never });
const finalized = async () => (await chain.pub.getBlock({ blockTag: 'finalized' })).number!;

async function forceInclude(tx: Hex): Promise<{ l1Block: bigint; timestamp: bigint }> {
  const from = chain.accounts[3]!;
  const hash = await chain.wallet(from).writeContract({ abi: artifact('BatchInbox').abi as Abi, address: inbox, functionName: 'forceInclude', args: [tx], value: FEE, account: from, chain: null });
  const r = await chain.pub.waitForTransactionReceipt({ hash });
  return { l1Block: r.blockNumber, timestamp: (await chain.pub.getBlock({ blockNumber: r.blockNumber })).timestamp };
}

/** A pool batch over L2 blocks 1-10 consuming the first `cursor` entries, signed with the pool's key. */
async function appendBatch(cursor: bigint): Promise<void> {
  const read = <T>(fn: string, args: unknown[] = []) => chain.read<T>(inbox, 'BatchInbox', fn, args);
  const start = await read<bigint>('nextL2Block');
  const h = {
    batchIndex: await read<bigint>('nextBatchIndex'),
    prevBatchHash: await read<Hex>('lastBatchHash'),
    l2StartBlock: start,
    l2EndBlock: start + 9n,
    dataHash: keccak256(DATA),
    producer: chain.accounts[2]!.address,
    forcedCursor: cursor,
    forcedChainHash: await read<Hex>('forcedChainAt', [cursor]),
  };
  await chain.write(chain.accounts[1]!, inbox, 'BatchInbox', 'appendBatch', [h, DATA, key.sign(chain.chainId, inbox, 'appendBatch', encodeAbiParameters(BATCH_HEADER_ABI, [h]))]);
}

async function get(gw: Gateway): Promise<{ status: number; body: { height?: unknown; result?: unknown; error?: string; status?: number } }> {
  const r = await fetch(`${gw.url}/forced-queue`);
  return { status: r.status, body: (await r.json()) as never };
}

test('the queue at the safe L1 block: length, cursor, pending, settings and the oldest entry with its deadline', async () => {
  nowMs = Date.now();
  const gw = await gateway({ forcedQueue: forcedQueueOf(nodeConfig(chain.anvil.url, inbox)) });
  const client = new PoolClient(gw.url);
  await mine(3);
  const settings = { forceFee: FEE, forceWindow: WINDOW, escapeDelay: DELAY };
  expect(await client.forcedQueue()).toEqual({ l1Block: await finalized(), length: 0n, cursor: 0n, pending: 0n, ...settings, oldest: null });

  const e0 = await forceInclude('0x01');
  await forceInclude('0x02');
  await mine(3);
  // An entry above the finalized block is not the pool's yet: not counted.
  await forceInclude('0x03');
  nowMs = Number(e0.timestamp) * 1000 + 30_000;
  const raw = await get(gw);
  expect(raw.status).toBe(200);
  expect(raw.body.height).toBeNull();
  const view = FORCED_QUEUE.parse(raw.body.result);
  const oldest0 = { index: 0n, l1Block: e0.l1Block, timestamp: e0.timestamp, ageSeconds: 30n, deadline: e0.timestamp + WINDOW, escapeAt: e0.timestamp + WINDOW + DELAY, overdue: false };
  expect(view).toEqual({ l1Block: (await chain.pub.getBlockNumber()) - 2n, length: 2n, cursor: 0n, pending: 2n, ...settings, oldest: oldest0 });

  // At the deadline the entry is still in time (the contract reverts only after it); a second later it is overdue.
  nowMs = Number(e0.timestamp + WINDOW) * 1000;
  expect((await client.forcedQueue()).oldest).toMatchObject({ ageSeconds: WINDOW, overdue: false });
  nowMs += 1_000;
  expect((await client.forcedQueue()).oldest).toMatchObject({ ageSeconds: WINDOW + 1n, overdue: true });

  // A batch consuming entry 0 moves the cursor; the oldest is entry 1 (entry 2 is final by now).
  await appendBatch(1n);
  await mine(3);
  nowMs += 1_000;
  const after: ForcedQueueStatusView = await client.forcedQueue();
  expect(after).toMatchObject({ length: 3n, cursor: 1n, pending: 2n, oldest: { index: 1n } });
  expect(after.oldest!.deadline).toBe(after.oldest!.timestamp + WINDOW);
}, 60_000);

test('503 with what to check: no l1.batchInbox in node.json, or an L1 that does not answer (its URL not echoed)', async () => {
  nowMs = Date.now();
  expect(forcedQueueOf(nodeConfig(chain.anvil.url))).toBeUndefined();
  const none = await gateway({});
  const err = (await new PoolClient(none.url).forcedQueue().catch((e: unknown) => e)) as PoolClientError;
  expect(err).toBeInstanceOf(PoolClientError);
  expect({ status: err.status, message: err.message }).toEqual({ status: 503, message: '/forced-queue: this node reads no forced-inclusion queue: its node.json has no l1.batchInbox (the BatchInbox address on L1)' });

  const port = await freePort(); // nothing listens there
  const dead = await gateway({ forcedQueue: forcedQueueOf(nodeConfig(`http://127.0.0.1:${port}`, inbox)) });
  const r = await get(dead);
  expect(r.status).toBe(503);
  expect(r.body.error).toMatch(/^cannot read the forced-inclusion queue from L1 \(.+\): is node\.json's l1\.rpcUrl reachable and l1\.batchInbox a BatchInbox\?$/);
  expect(r.body.error).not.toContain(String(port));
  // An error text that names an L1 URL (with a provider's API key in its path) is answered without it.
  const leaky = await gateway({ forcedQueue: { summary: () => Promise.reject(new Error('request to https://l1.example/v3/SECRETKEY failed')), settings: async () => ({ forceFee: 1n, forceWindow: 1n, escapeDelay: 1n }) } });
  const l = await get(leaky);
  expect({ status: l.status, error: l.body.error }).toEqual({ status: 503, error: "cannot read the forced-inclusion queue from L1 (request to <L1 RPC> failed): is node.json's l1.rpcUrl reachable and l1.batchInbox a BatchInbox?" });
}, 30_000);

test(`reads within ${FORCED_QUEUE_REUSE_MS} ms share one L1 read, however many clients ask`, async () => {
  nowMs = 1_700_000_000_000;
  let reads = 0;
  const fake = {
    summary: async () => {
      reads++;
      await new Promise((r) => setTimeout(r, 50));
      return { at: 9n, length: 1n, consumed: 0n, oldest: { index: 0n, l1Block: 8n, timestamp: 1_699_999_990n } };
    },
    settings: async () => ({ forceFee: 1n, forceWindow: 5n, escapeDelay: 60n }),
  };
  const gw = await gateway({ forcedQueue: fake });
  const answers = await Promise.all(Array.from({ length: 20 }, () => get(gw)));
  expect(answers.every((a) => a.status === 200)).toBe(true);
  expect(reads).toBe(1);
  nowMs += FORCED_QUEUE_REUSE_MS - 1;
  await get(gw);
  expect(reads).toBe(1);
  nowMs += 1;
  const later = FORCED_QUEUE.parse((await get(gw)).body.result);
  expect(reads).toBe(2);
  expect(later.oldest).toMatchObject({ ageSeconds: 11n, deadline: 1_699_999_995n, escapeAt: 1_700_000_055n, overdue: true });
});
