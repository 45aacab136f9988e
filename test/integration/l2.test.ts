// The L2 on geth, end to end (issue 12, docs/l2.md): 4 validators, each driving its own geth over the
// Engine API. Only the producer the pool elects extends the L2: a user's transfer sent to another
// validator's geth is mined by the elected producer and every geth has the same block; a block built
// and signed by a validator out of its turn (test code, with that validator's own geth and key) is
// refused by every other node and never becomes canonical; when the producer dies, another takes over
// at the attested head, every block's miner is the producer the pool names for its height (and
// SequencerSet on L2 agrees), batches stay contiguous on L1; the dead validator, restarted with its geth, catches up;
// and L1 alone rebuilds the L2 (issue 13): the transfer is in a batch's calldata, and `seqpool l2
// verify` reproduces every block hash from L1 with a fresh geth, past the re-span.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicClient, createWalletClient, decodeFunctionData, defineChain, http, keccak256, type Hex, type PublicClient } from 'viem';
import { fromHex } from '../../common/bytes.js';
import { decodeBatchData } from '../../protocol/batch-data.js';
import { mnemonicToAccount } from 'viem/accounts';
import { abiOf } from '../../contracts/artifacts.js';
import { loadValidatorKey } from '../../cometbft-config/keys.js';
import { EngineClient, ZERO_HASH } from '../../l2/engine.js';
import { readJwtSecret } from '../../l2/jwt.js';
import { gethHome } from '../../localnet/geth.js';
import { DEV_MNEMONIC, l2ExchangeUrl, l2RpcUrl } from '../../localnet/l2-chain.js';
import { launchApp, launchCometbft, launchL2, launchSidecar } from '../../localnet/processes.js';
import { appendedBatches, expectContiguous, owingProducerWithWorkAhead } from '../../localnet/pool-observe.js';
import { gatewayUrl } from '../../localnet/l1-chains.js';
import { PoolClient } from '../../client/pool-client.js';
import { readNodeConfig } from '../../node/node-config.js';
import { encodeSignedL2Block, signL2Block, type L2Payload } from '../../protocol/l2-block.js';
import { ethAddressOf } from '../../protocol/l1-signer.js';
import { assertAppHashesAgree, eventually, rpcQuery, runCli, startTestnet, type Testnet } from './testnet.js';

let net: Testnet;
/** The first test's L2 transfer: the last test finds it in a batch's calldata on L1. */
let transfer: { hash: Hex; block: bigint } | undefined;
let chainId: number;
let sequencerSet: Hex;
const rpc = new Map<string, PublicClient>();
const setAbi = abiOf('SequencerSet');

beforeAll(async () => {
  net = await startTestnet({ validators: 4, l1: true });
  const l2 = readNodeConfig(net.manifest.nodes[0]!.home).l2!;
  chainId = l2.chainId;
  sequencerSet = l2.sequencerSet as Hex;
  for (const n of net.manifest.nodes) rpc.set(n.name, createPublicClient({ transport: http(l2RpcUrl(n), { retryCount: 0 }) }) as PublicClient);
}, 240_000);

afterAll(async () => {
  await net?.stop();
}, 60_000);

const nodeAt = (i: number) => net.manifest.nodes[i]!;
const signerOf = (i: number): Hex => ethAddressOf(loadValidatorKey(nodeAt(i).home).privKey).toLowerCase() as Hex;
const live = () => net.manifest.nodes.filter((_, i) => net.processes[i]!.node.exitCode === null && !net.processes[i]!.node.killed);
const producerAt = async (rpcUrl: string, h: bigint): Promise<Hex> => ((await rpcQuery<{ signer: string }>(rpcUrl, `/producer/${h}`)).value!.signer.toLowerCase() as Hex);
const attestedHead = async (rpcUrl: string): Promise<bigint> => BigInt((await rpcQuery<{ l2Head: string }>(rpcUrl, '/epoch/current')).value!.l2Head);
const onL2 = (name: string, functionName: string, args: unknown[]) => rpc.get(name)!.readContract({ address: sequencerSet, abi: setAbi, functionName, args });

/** Every height in [from, to]: each live geth has the same block, mined by the producer the pool names for it. */
async function expectElectedChain(from: bigint, to: bigint): Promise<void> {
  const nodes = live();
  const rpcUrl = nodes[0]!.rpcUrl;
  for (let h = from; h <= to; h++) {
    const blocks = await Promise.all(nodes.map((n) => rpc.get(n.name)!.getBlock({ blockNumber: h })));
    expect(new Set(blocks.map((b) => b.hash)).size).toBe(1);
    expect(blocks[0]!.miner.toLowerCase()).toBe(await producerAt(rpcUrl, h));
  }
}

test('a transfer sent to a non-producer geth is mined by the elected producer; every geth has that block; SequencerSet names the same producer', async () => {
  const n0 = nodeAt(0);
  await eventually('L2 blocks on every geth', async () => ((await attestedHead(n0.rpcUrl)) >= 5n ? true : undefined), 90_000);
  const head = await rpc.get(n0.name)!.getBlockNumber();
  const producer = await producerAt(n0.rpcUrl, head + 2n);
  const other = net.manifest.nodes.findIndex((_, i) => signerOf(i) !== producer);
  const user = mnemonicToAccount(DEV_MNEMONIC);
  const chain = defineChain({ id: chainId, name: 'seqpool-l2', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [l2RpcUrl(nodeAt(other))] } } });
  const wallet = createWalletClient({ account: user, chain, transport: http(l2RpcUrl(nodeAt(other))) });
  const hash = await wallet.sendTransaction({ to: '0x000000000000000000000000000000000000dEaD', value: 12345n });
  const receipt = await rpc.get(nodeAt(other).name)!.waitForTransactionReceipt({ hash, timeout: 30_000, pollingInterval: 250 });
  transfer = { hash, block: receipt.blockNumber };
  expect(receipt.status).toBe('success');
  const n = receipt.blockNumber;
  const block = await rpc.get(n0.name)!.getBlock({ blockNumber: n });
  const elected = await producerAt(n0.rpcUrl, n);
  expect(block.miner.toLowerCase()).toBe(elected);
  await eventually('every geth at the block', async () => {
    const hashes = await Promise.all(net.manifest.nodes.map((x) => rpc.get(x.name)!.getBlock({ blockNumber: n }).then((b) => b.hash, () => undefined)));
    return hashes.every((h) => h === block.hash) ? true : undefined;
  }, 20_000);
  await eventually('SequencerSet on L2 names the same producer', async () => (((await onL2(n0.name, 'getSequencer', [n])) as Hex).toLowerCase() === elected ? true : undefined), 20_000);
  await expectElectedChain(1n, n);
}, 180_000);

test('a block built and signed out of turn is refused by every other node and never becomes canonical', async () => {
  const n0 = nodeAt(0);
  let forged: { hash: Hex; number: bigint; reasons: string[] } | undefined;
  for (let attempt = 0; attempt < 10 && !forged; attempt++) {
    const head = await rpc.get(n0.name)!.getBlock({ blockTag: 'latest' });
    const producer = await producerAt(n0.rpcUrl, head.number + 1n);
    const b = net.manifest.nodes.findIndex((_, i) => signerOf(i) !== producer);
    const byz = nodeAt(b);
    // The byzantine validator builds on its own geth (its Engine API and JWT) and signs with its key.
    const engine = new EngineClient({ url: `http://127.0.0.1:${byz.ports.l2Auth}`, secret: readJwtSecret(join(byz.home, 'geth', 'jwt.hex')) });
    const tip = await rpc.get(byz.name)!.getBlock({ blockTag: 'latest' });
    const fc = { headBlockHash: tip.hash, safeBlockHash: ZERO_HASH, finalizedBlockHash: ZERO_HASH };
    const r = await engine.forkchoiceUpdated(fc, { timestamp: `0x${(tip.timestamp + 1n).toString(16)}`, prevRandao: tip.hash, suggestedFeeRecipient: signerOf(b), withdrawals: [], parentBeaconBlockRoot: ZERO_HASH });
    const payload = (await engine.getPayload(r.payloadId!)) as L2Payload;
    const body = encodeSignedL2Block(signL2Block(BigInt(chainId), payload, loadValidatorKey(byz.home).privKey));
    const answers = await Promise.all(
      net.manifest.nodes.filter((_, i) => i !== b).map(async (x) => {
        const res = await fetch(`${l2ExchangeUrl(x)}/l2/blocks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        return { code: res.status, ...((await res.json()) as { status: string; reason?: string }) };
      }),
    );
    // A node already past that height ignores it (a race with the real producer): try again.
    if (answers.every((a) => a.status === 'refused')) forged = { hash: payload.blockHash as Hex, number: BigInt(payload.blockNumber), reasons: answers.map((a) => a.reason!) };
    else expect(answers.every((a) => a.code === 409 && a.status !== 'imported')).toBe(true);
  }
  expect(forged).toBeDefined();
  for (const reason of forged!.reasons) expect(reason).toMatch(/but the pool elected 0x[0-9a-f]{40}/);
  await eventually('the height built by its producer', async () => ((await attestedHead(n0.rpcUrl)) >= forged!.number + 2n ? true : undefined), 30_000);
  for (const x of net.manifest.nodes) expect((await rpc.get(x.name)!.getBlock({ blockNumber: forged!.number })).hash).not.toBe(forged!.hash);
}, 120_000);

test('the producer dies: another takes over at the attested head, every block is its elected producer\'s, batches stay contiguous; restarted with its geth, the dead validator catches up', async () => {
  const n0 = nodeAt(0);
  const client = new PoolClient(gatewayUrl(n0));
  const { owing } = await eventually('a producer with L2 blocks of its epoch still to build', () => owingProducerWithWorkAhead(client, 6n), 60_000);
  const head = await attestedHead(n0.rpcUrl);
  const victimSigner = owing.signer.toLowerCase() as Hex;
  const i = net.manifest.nodes.findIndex((_, k) => signerOf(k) === victimSigner);
  expect(i).toBeGreaterThanOrEqual(0);
  const survivor = nodeAt((i + 1) % 4);
  const victim = net.processes[i]!;
  for (const c of [victim.sidecar!, victim.cometbft, victim.node]) c.kill('SIGKILL'); // its geth stays up, undriven
  const killedAt = Date.now();
  const took = await eventually('a block by another producer', async () => {
    const h = await attestedHead(survivor.rpcUrl);
    const b = await rpc.get(survivor.name)!.getBlock({ blockNumber: h });
    return b.miner.toLowerCase() !== victimSigner ? h : undefined;
  }, 90_000);
  process.stdout.write(`L2 handover: producer killed -> a block by its replacement attested in ${Date.now() - killedAt} ms\n`);
  const settled = took + 3n;
  await eventually('three more blocks', async () => ((await attestedHead(survivor.rpcUrl)) >= settled ? true : undefined), 30_000);
  await expectElectedChain(1n, settled);
  for (let h = head; h <= settled; h++) expect(((await onL2(survivor.name, 'getSequencer', [h])) as Hex).toLowerCase()).toBe(await producerAt(survivor.rpcUrl, h));
  await eventually('a batch past the handover on L1', async () => ((await appendedBatches(net.dir)).some((b) => b.l2EndBlock >= took) ? true : undefined), 90_000);
  expectContiguous(await appendedBatches(net.dir));

  // Restarted, geth too (SIGKILLed now: it may lose blocks it had not flushed, which the node's store
  // replays): it follows the elected chain again.
  const node = nodeAt(i);
  victim.geth!.kill('SIGKILL');
  await new Promise((r) => victim.geth!.exitCode !== null || victim.geth!.signalCode !== null ? r(undefined) : victim.geth!.once('exit', r));
  victim.geth = (await launchL2(node))!;
  victim.node = await launchApp(node, { logLevel: 'debug' });
  victim.cometbft = launchCometbft(node);
  victim.sidecar = launchSidecar(node);
  const target = await attestedHead(survivor.rpcUrl);
  await eventually('the restarted validator at the others\' L2 head', async () => {
    const [mine, theirs] = await Promise.all([rpc.get(node.name)!.getBlock({ blockNumber: target }).catch(() => undefined), rpc.get(survivor.name)!.getBlock({ blockNumber: target })]);
    if (mine?.hash === theirs.hash) return true;
    // Says where it is stuck if it never gets there.
    const driver = await fetch(`${l2ExchangeUrl(node)}/l2/head`).then((r) => r.text(), (e: Error) => e.message);
    const geth = await rpc.get(node.name)!.getBlockNumber({ cacheTime: 0 }).catch((e: Error) => e.message);
    const l2Log = readFileSync(join(node.home, 'seqpool', 'node.log'), 'utf8').split('\n').filter((l) => l.includes('"component":"l2"') && !l.includes('"level":20')).slice(-6).map((l) => l.slice(0, 400));
    const gethLog = readFileSync(gethHome(node.home).logFile, 'utf8').split('\n').filter((l) => /^(WARN|ERROR|INFO) /.test(l) && !/Looking for peers|Imported new potential chain segment/.test(l)).slice(-12);
    throw new Error(`block ${target}: ours ${mine?.hash ?? 'missing'}, theirs ${theirs.hash}; our driver head ${driver.trim()}, our geth head ${geth}; our adapter's last lines:\n${l2Log.join('\n')}\ngeth's last lines:\n${gethLog.join('\n')}`);
  }, 120_000);
  const driverHead = (await (await fetch(`${l2ExchangeUrl(node)}/l2/head`)).json()) as { number: string };
  expect(BigInt(driverHead.number)).toBeGreaterThanOrEqual(target);
  await assertAppHashesAgree(net.manifest.nodes.map((n) => n.rpcUrl));
}, 300_000);

test('L1 alone rebuilds the L2: the transfer rides in a batch\'s calldata, and seqpool l2 verify reproduces every block hash up to the last batch, past the re-span', async () => {
  const n0 = nodeAt(0);
  expect(transfer).toBeDefined();
  const l1 = createPublicClient({ transport: http(readNodeConfig(n0.home).l1!.rpcUrl) }) as PublicClient;
  // The batch covering the transfer's block carries the signed transfer in its data, as calldata.
  const batches = await appendedBatches(net.dir);
  const holding = batches.find((b) => b.l2StartBlock <= transfer!.block && transfer!.block <= b.l2EndBlock)!;
  expect(holding).toBeDefined();
  const input = (await l1.getTransaction({ hash: holding.txHash })).input;
  const data = decodeFunctionData({ abi: abiOf('BatchInbox'), data: input }).args![1] as Hex;
  const content = decodeBatchData(fromHex(data.slice(2)));
  const block = content.blocks[Number(transfer!.block - holding.l2StartBlock)]!;
  expect(block.transactions.map((t) => keccak256(t))).toContain(transfer!.hash);
  expect(batches.some((b) => b.l2EndBlock > b.l2StartBlock)).toBe(true); // one L2 block per batch is gone
  // The verifier: a fresh geth of its own, fed from L1 only, compared with node0's L2.
  const out = await runCli(['l2', 'verify', '--dir', net.dir, '--confirmations', '2']);
  const m = /verified (\d+) L2 blocks from L1, head (0x[0-9a-f]{64})/.exec(out);
  expect(m).not.toBeNull();
  const verified = BigInt(m![1]!);
  expect(verified).toBeGreaterThanOrEqual(holding.l2EndBlock);
  expect(m![2]).toBe((await rpc.get(n0.name)!.getBlock({ blockNumber: verified })).hash);
  process.stdout.write(`verifier: ${verified} L2 blocks from ${batches.length}+ batches on L1\n`);
}, 180_000);

