// Forced inclusion through L1 (issue 16, decision 46), on the real pool: 4 validators, each with its
// geth, CometBFT, node and sidecar, and the L1 anvil with BatchInbox. Every node runs the byzantine
// test program (test/entry/byzantine-node.mjs) with `censorForced: when-flagged`: honest until the test
// writes HOME/censor-forced, after which that node, as producer, builds no forced blocks.
//   - honest pool: a transfer forced through L1 lands in an L2 forced block within forceWindow, its
//     batch moves L1's cursor past it;
//   - a censoring producer: honest followers refuse its blocks once the entry is due, the L2 failover
//     replaces it (a miss), the next producer includes the entry once, and batches stay contiguous;
//   - the whole pool stopped: after forceWindow + escapeDelay a plain L1 account appends a forced-only
//     batch; restarted, every node derives its block, the pool builds on top and batches after it, and
//     `seqpool l2 verify` rebuilds the whole L2 from L1 alone, escape block included.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicClient, createWalletClient, defineChain, http, keccak256, parseGwei, type Address, type Hex, type PublicClient } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { loadValidatorKey } from '../../cometbft-config/keys.js';
import { LOCALNET_DEPLOYER_KEY, gatewayUrl } from '../../localnet/l1-chains.js';
import { PoolClient } from '../../client/pool-client.js';
import { DEV_MNEMONIC, l2RpcUrl } from '../../localnet/l2-chain.js';
import { appendedBatches, expectContiguous } from '../../localnet/pool-observe.js';
import { launchApp, launchCometbft, launchSidecar } from '../../localnet/processes.js';
import { readNodeConfig } from '../../node/node-config.js';
import { FORCED_QUEUE_ABI, parseForcedMarker } from '../../protocol/forced-queue.js';
import { ethAddressOf } from '../../protocol/l1-signer.js';
import { assertAppHashesAgree, byzantineNode, eventually, rpcQuery, runCli, startTestnet, type Testnet } from './testnet.js';

let net: Testnet;
let l1: PublicClient;
let l2: PublicClient;
let inbox: Address;
let l1Url: string;
let l1ChainId: number;
let l2ChainId: number;
const CENSOR_FLAG = 'censor-forced';
const options = () => byzantineNode({ censorForced: 'when-flagged' });

beforeAll(async () => {
  net = await startTestnet({ validators: 4, l1: true, nodeOptions: options });
  const cfg = readNodeConfig(net.manifest.nodes[0]!.home);
  l1Url = cfg.l1!.rpcUrl;
  l1ChainId = cfg.l1!.chainId;
  l2ChainId = cfg.l2!.chainId;
  inbox = cfg.l1!.batchInbox as Address;
  l1 = createPublicClient({ transport: http(l1Url, { retryCount: 0 }) }) as PublicClient;
  l2 = createPublicClient({ transport: http(l2RpcUrl(net.manifest.nodes[0]!), { retryCount: 0 }) }) as PublicClient;
}, 240_000);

afterAll(async () => {
  await net?.stop();
}, 60_000);

const nodeAt = (i: number) => net.manifest.nodes[i]!;
const signerOf = (i: number): Hex => ethAddressOf(loadValidatorKey(nodeAt(i).home).privKey).toLowerCase() as Hex;
const attestedHead = async (): Promise<bigint> => BigInt((await rpcQuery<{ l2Head: string }>(nodeAt(0).rpcUrl, '/epoch/current')).value!.l2Head);
const producerAt = async (h: bigint): Promise<Hex> => (await rpcQuery<{ signer: string }>(nodeAt(0).rpcUrl, `/producer/${h}`)).value!.signer.toLowerCase() as Hex;
const readInbox = <T>(functionName: string, args: unknown[] = []) => l1.readContract({ address: inbox, abi: FORCED_QUEUE_ABI, functionName: functionName as never, args: args as never }) as Promise<T>;
const nodeLog = (home: string, msg: string): Record<string, unknown>[] => {
  const file = join(home, 'seqpool', 'node.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);
};

interface Forced {
  index: bigint;
  timestamp: bigint;
  l2Tx: Hex;
  sender: Address;
  nonce: number;
}

/** A transfer by DEV account `user`, signed on L2 and forced through BatchInbox by the L1 deployer. */
async function forceTransfer(user: number, atBlock?: bigint): Promise<Forced> {
  const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: user });
  const chain = defineChain({ id: l2ChainId, name: 'seqpool-l2', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [l2RpcUrl(nodeAt(0))] } } });
  const nonce = await l2.getTransactionCount({ address: account.address, ...(atBlock === undefined ? { blockTag: 'latest' as const } : { blockNumber: atBlock }) });
  const base = (await l2.getBlock()).baseFeePerGas ?? parseGwei('1');
  const raw = await createWalletClient({ account, chain, transport: http(l2RpcUrl(nodeAt(0))) }).signTransaction({
    chain,
    to: '0x000000000000000000000000000000000000dEaD',
    value: 4242n,
    nonce,
    gas: 21_000n,
    maxFeePerGas: base * 4n + parseGwei('1'),
    maxPriorityFeePerGas: parseGwei('1'),
    type: 'eip1559',
  });
  const l1Chain = defineChain({ id: l1ChainId, name: 'l1', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [l1Url] } } });
  const payer = createWalletClient({ account: privateKeyToAccount(LOCALNET_DEPLOYER_KEY), chain: l1Chain, transport: http(l1Url) });
  const fee = await readInbox<bigint>('forceFee');
  const hash = await payer.writeContract({ address: inbox, abi: FORCED_QUEUE_ABI, functionName: 'forceInclude', args: [raw], value: fee });
  const receipt = await l1.waitForTransactionReceipt({ hash, pollingInterval: 250, timeout: 30_000 });
  expect(receipt.status).toBe('success');
  const index = (await readInbox<bigint>('forcedQueueLength')) - 1n;
  const [, , timestamp] = await readInbox<readonly [Hex, bigint, bigint]>('forcedEntry', [index]);
  return { index, timestamp, l2Tx: keccak256(raw), sender: account.address, nonce };
}

/** The L2 receipt of a forced transfer, once node0's geth has it. */
const landed = (f: Forced, timeoutMs: number) =>
  eventually(`forced transfer ${f.l2Tx} in an L2 block`, async () => l2.getTransactionReceipt({ hash: f.l2Tx }).catch(() => undefined), timeoutMs);

test('honest pool: a transfer forced through L1 is in an L2 forced block within forceWindow, and its batch moves L1\'s cursor past it', async () => {
  await eventually('L2 blocks attested', async () => ((await attestedHead()) >= 5n ? true : undefined), 90_000);
  const f = await forceTransfer(1);
  const r = await landed(f, 60_000);
  expect(r.status).toBe('success');
  const block = await l2.getBlock({ blockNumber: r.blockNumber });
  expect(parseForcedMarker(block.extraData)).toMatchObject({ first: f.index });
  const window = await readInbox<bigint>('forceWindow');
  expect(block.timestamp - f.timestamp).toBeLessThanOrEqual(window);
  process.stdout.write(`forced inclusion (honest): L1 entry ${f.index} -> L2 block ${r.blockNumber} after ${block.timestamp - f.timestamp} s of L2 time\n`);
  await eventually('a batch holding the forced block on L1', async () => ((await appendedBatches(net.dir)).some((b) => b.l2EndBlock >= r.blockNumber) ? true : undefined), 90_000);
  expect(await readInbox<bigint>('forcedCursor')).toBeGreaterThan(f.index);
  expectContiguous(await appendedBatches(net.dir));

  // The user's tool: force-include --wait follows a transfer it signs to its L2 block and its batch.
  const out = await runCli(['l2', 'force-include', '--dir', net.dir, '--wait', '--timeout', '50']);
  process.stdout.write(`seqpool l2 force-include --dir DIR --wait:\n${out}`);
  const l2Block = BigInt(/^L2 block (\d+)$/m.exec(out)![1]!);
  const batch = BigInt(/^batch (\d+)/m.exec(out)![1]!);
  const covering = (await appendedBatches(net.dir)).find((b) => b.batchIndex === batch)!;
  expect(covering.l2StartBlock <= l2Block && l2Block <= covering.l2EndBlock).toBe(true);
  // The operator's view: the node's gateway shows the queue drained.
  const q = await new PoolClient(gatewayUrl(nodeAt(0))).forcedQueue();
  process.stdout.write(`GET /forced-queue: ${JSON.stringify(q, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
  expect(q.length).toBeGreaterThanOrEqual(2n);
  expect(q.forceWindow).toBe(await readInbox<bigint>('forceWindow'));
}, 240_000);

test('a censoring producer: followers refuse its blocks once the entry is due, the failover replaces it with a miss, the next producer includes the entry exactly once', async () => {
  // A producer with a long stretch of its epoch ahead, so that it is the one building when the entry falls due.
  const { censor, head } = await eventually('a producer with 16 blocks of its epoch ahead', async () => {
    const h = await attestedHead();
    const [a, b] = await Promise.all([producerAt(h + 3n), producerAt(h + 19n)]);
    return a === b ? { censor: net.manifest.nodes.findIndex((_, k) => signerOf(k) === a), head: h } : undefined;
  }, 120_000);
  expect(censor).toBeGreaterThanOrEqual(0);
  const flag = join(nodeAt(censor).home, CENSOR_FLAG);
  writeFileSync(flag, 'censor\n');
  try {
    const f = await forceTransfer(2);
    const r = await landed(f, 150_000);
    expect(r.status).toBe('success');
    const block = await l2.getBlock({ blockNumber: r.blockNumber });
    expect(block.miner.toLowerCase()).not.toBe(signerOf(censor));
    expect(parseForcedMarker(block.extraData)).toMatchObject({ first: f.index });
    process.stdout.write(`forced inclusion (censored): L1 entry ${f.index} -> L2 block ${r.blockNumber} after ${block.timestamp - f.timestamp} s of L2 time (attested head was ${head})\n`);
    // Honest followers refused the censor's blocks that left the due entry out.
    const refusals = net.manifest.nodes.filter((_, k) => k !== censor).flatMap((n) => nodeLog(n.home, 'refused L2 block')).filter((l) => String(l.reason).startsWith('censoring'));
    expect(refusals.length).toBeGreaterThan(0);
    const seq = await rpcQuery<{ misses?: string }>(nodeAt(0).rpcUrl, `/sequencer/${censor + 1}`);
    expect(Number(seq.value!.misses ?? 0)).toBeGreaterThanOrEqual(1);
    // Exactly once: the sender's nonce moved by one.
    expect(await l2.getTransactionCount({ address: f.sender })).toBe(f.nonce + 1);
    await eventually('L1\'s cursor past the entry', async () => ((await readInbox<bigint>('forcedCursor')) > f.index ? true : undefined), 90_000);
    expectContiguous(await appendedBatches(net.dir));
  } finally {
    rmSync(flag, { force: true });
  }
}, 300_000);

test('the whole pool stopped: after escapeDelay a plain L1 account appends a forced-only batch; restarted, the pool continues on its block, and L1 alone rebuilds the L2', async () => {
  for (const p of net.processes) for (const c of [p.sidecar!, p.cometbft, p.node]) c.kill('SIGKILL'); // the gethes stay up, undriven
  // The escape batch replaces every block after the last batched one: the transfer is signed for that state.
  const f = await forceTransfer(0, (await readInbox<bigint>('nextL2Block')) - 1n);
  const [window, delay] = await Promise.all([readInbox<bigint>('forceWindow'), readInbox<bigint>('escapeDelay')]);
  const allowedAt = f.timestamp + window + delay;
  const anyone = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 9 });
  const l1Chain = defineChain({ id: l1ChainId, name: 'l1', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [l1Url] } } });
  const wallet = createWalletClient({ account: anyone, chain: l1Chain, transport: http(l1Url) });
  await eventually('the escape hatch open', async () => ((await l1.getBlock()).timestamp > allowedAt ? true : undefined), (Number(window + delay) + 30) * 1000);
  const pending = (await readInbox<bigint>('forcedQueueLength')) - (await readInbox<bigint>('forcedCursor'));
  const hash = await wallet.writeContract({ address: inbox, abi: FORCED_QUEUE_ABI, functionName: 'appendForcedBatch', args: [pending] });
  const receipt = await l1.waitForTransactionReceipt({ hash, pollingInterval: 250, timeout: 30_000 });
  expect(receipt.status).toBe('success');
  const escape = (await appendedBatches(net.dir)).at(-1)!;
  expect(BigInt(escape.producer)).toBe(0n);
  const escapeEnd = escape.l2EndBlock;

  for (const [i, p] of net.processes.entries()) {
    const node = nodeAt(i);
    p.node = await launchApp(node, { logLevel: 'debug', ...options() });
    p.cometbft = launchCometbft(node);
    p.sidecar = launchSidecar(node);
  }
  // Every node derives the escape block; the transfer is in it, and the pool builds on top.
  const r = await landed(f, 120_000);
  expect(r.blockNumber).toBeGreaterThanOrEqual(escape.l2StartBlock);
  expect(r.blockNumber).toBeLessThanOrEqual(escapeEnd);
  await eventually('the pool building past the escape batch', async () => ((await attestedHead()) > escapeEnd + 2n ? true : undefined), 120_000);
  const next = await l2.getBlock({ blockNumber: escapeEnd + 1n });
  expect(next.parentHash).toBe((await l2.getBlock({ blockNumber: escapeEnd })).hash);
  await eventually('a pool batch after the escape batch on L1', async () => ((await appendedBatches(net.dir)).some((b) => b.l2StartBlock === escapeEnd + 1n && BigInt(b.producer) !== 0n) ? true : undefined), 120_000);
  expectContiguous(await appendedBatches(net.dir));
  const out = await runCli(['l2', 'verify', '--dir', net.dir]);
  expect(out).toMatch(/verified \d+ L2 blocks from L1/);
  await assertAppHashesAgree(net.manifest.nodes.map((n) => n.rpcUrl));
}, 420_000);
