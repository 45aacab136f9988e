// The verifier (l2/verifier.ts, `seqpool l2 verify`) on real processes, no pool: geth A builds 6 L2
// blocks with transfers over the Engine API, they go to a BatchInbox on anvil as 3 batches signed by
// a dealer-made FROST key, and a fresh geth fed only from L1 must rebuild A's chain block for block.
// A batch whose data is validly encoded and correctly hashed and signed, but claims a wrong state root
// for one block, is reported INVALID at exactly that block; a pool L2 that disagrees on one hash is
// reported at that block.
import { LOCALNET_ESCAPE_DELAY, LOCALNET_FORCE_FEE, LOCALNET_FORCE_WINDOW } from '../../contracts/deploy.js';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWalletClient, encodeAbiParameters, http, keccak256, toHex, toRlp, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { writeDeployment } from '../../contracts/deploy.js';
import { EngineClient, ZERO_HASH, type ExecutionPayload } from '../../l2/engine.js';
import { l2Genesis } from '../../l2/genesis.js';
import { readJwtSecret } from '../../l2/jwt.js';
import { startVerifierGeth } from '../../l2/verifier-geth.js';
import { VerifyFailure, verifyL2FromL1 } from '../../l2/verifier.js';
import { gethHome, initGeth, launchGeth } from '../../localnet/geth.js';
import { encodeBatchData, readBatchContent, type BatchContent } from '../../protocol/batch-data.js';
import { L2PayloadReader } from '../../protocol/l2-payload-reader.js';
import { BATCH_HEADER_ABI } from '../../protocol/signed-payloads.js';
import { PoolKey, startChain, type Chain } from '../contracts/helpers.js';
import { track } from '../children.js';
import { isPortFree } from '../../cometbft-config/ports.js';
import { freePort } from '../ports.js';

const CHAIN_ID = 9913;
const USER = privateKeyToAccount(`0x${'ab'.repeat(32)}`);
const SEQPOOL_BIN = fileURLToPath(new URL('../../bin/seqpool.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'seqpool-verify-test-'));
const genesisFile = join(dir, 'genesis.json');
let chain: Chain;
let key: PoolKey;
let a: { engine: EngineClient; rpc: string };
let head: Hex;
const ZERO = `0x${'00'.repeat(32)}` as Hex;

const ports = async () => ({ http: await freePort(), auth: await freePort(), p2p: await freePort() });

/** Builds one block on A holding `txs` transfers sent to it first. */
async function buildBlock(n: number, txs: number): Promise<void> {
  const wallet = createWalletClient({ account: USER, chain: { id: CHAIN_ID, name: 'l2', nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [a.rpc] } } }, transport: http(a.rpc) });
  for (let k = 0; k < txs; k++) await wallet.sendTransaction({ to: `0x${(n * 16 + k + 1).toString(16).padStart(40, '0')}`, value: BigInt(1000 * n + k), maxPriorityFeePerGas: 1_000_000_000n, maxFeePerGas: 5_000_000_000n });
  const parent = (await a.engine.block('latest'))!;
  const fcu = await a.engine.forkchoiceUpdated(
    { headBlockHash: parent.hash, safeBlockHash: parent.hash, finalizedBlockHash: ZERO_HASH },
    { timestamp: `0x${(BigInt(parent.timestamp) + 1n).toString(16)}`, prevRandao: keccak256(toHex(`randao ${n}`)), suggestedFeeRecipient: `0x${'42'.repeat(20)}`, withdrawals: [], parentBeaconBlockRoot: ZERO_HASH },
  );
  let payload: ExecutionPayload;
  for (let tries = 0; ; tries++) {
    await new Promise((r) => setTimeout(r, 300));
    payload = await a.engine.getPayload(fcu.payloadId!);
    if (payload.transactions.length === txs || tries > 20) break;
  }
  expect(payload.transactions).toHaveLength(txs);
  expect((await a.engine.newPayload(payload)).status).toBe('VALID');
  expect((await a.engine.forkchoiceUpdated({ headBlockHash: payload.blockHash, safeBlockHash: payload.blockHash, finalizedBlockHash: ZERO_HASH })).payloadStatus.status).toBe('VALID');
}

/** A BatchInbox holding `batches` (signed by the key); then enough L1 blocks that they are finalized. */
async function inboxWith(batches: BatchContent[]): Promise<Address> {
  const inbox = await chain.deploy('BatchInbox', [chain.accounts[0]!.address, key.groupKey, 1n, LOCALNET_FORCE_FEE, LOCALNET_FORCE_WINDOW, LOCALNET_ESCAPE_DELAY]);
  let prev = ZERO;
  for (const [i, c] of batches.entries()) {
    const data = toHex(encodeBatchData(c));
    const h = { batchIndex: BigInt(i), prevBatchHash: prev, l2StartBlock: c.firstBlock, l2EndBlock: c.firstBlock + BigInt(c.blocks.length) - 1n, dataHash: keccak256(data), producer: chain.accounts[2]!.address, forcedCursor: 0n, forcedChainHash: ZERO };
    const encoded = encodeAbiParameters(BATCH_HEADER_ABI, [h]);
    await chain.write(chain.accounts[1]!, inbox, 'BatchInbox', 'appendBatch', [h, data, key.sign(chain.chainId, inbox, 'appendBatch', encoded)]);
    prev = keccak256(encoded);
  }
  // anvil --slots-in-an-epoch 1: the finalized block trails the head by two.
  await chain.pub.request({ method: 'anvil_mine' as never, params: ['0x3'] as never });
  return inbox;
}

const q = (v: bigint): Hex => (v === 0n ? '0x' : (`0x${v.toString(16).padStart(Math.ceil(v.toString(16).length / 2) * 2, '0')}` as Hex));
/** keccak(rlp(Cancun header)) of A's block `n`, with `stateRoot` replaced: a self-consistent forged header. */
async function forgedHash(n: bigint, stateRoot: Hex): Promise<Hex> {
  const res = await fetch(a.rpc, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, false] }) });
  const b = ((await res.json()) as { result: Record<string, Hex> }).result;
  const int = (k: string) => q(BigInt(b[k]!));
  return keccak256(toRlp([b.parentHash!, b.sha3Uncles!, b.miner!, stateRoot, b.transactionsRoot!, b.receiptsRoot!, b.logsBloom!, int('difficulty'), int('number'), int('gasLimit'), int('gasUsed'), int('timestamp'), b.extraData!, b.mixHash!, b.nonce!, int('baseFeePerGas'), b.withdrawalsRoot!, int('blobGasUsed'), int('excessBlobGas'), b.parentBeaconBlockRoot!]));
}

/** Runs bin/seqpool.js (dist/: `npm run build` first); the process is killed at the end of the file whatever happens. */
function runCli(args: string[], started?: (pid: number) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SEQPOOL_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) started?.(child.pid);
    track({ stop: async () => void child.kill('SIGKILL') });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let batches: BatchContent[];
let goodInbox: Address;

beforeAll(async () => {
  chain = await startChain(31337, ['--slots-in-an-epoch', '1']);
  key = new PoolKey(4, 3);
  writeFileSync(genesisFile, JSON.stringify(l2Genesis({ chainId: CHAIN_ID, alloc: { [USER.address]: 10n ** 21n }, timestamp: BigInt(Math.floor(Date.now() / 1000)) })));
  const home = join(dir, 'a');
  await initGeth(home, genesisFile);
  const p = await ports();
  const pid = (await launchGeth({ home, chainId: CHAIN_ID, ports: p })).pid!;
  track({
    stop: async () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  });
  a = { engine: new EngineClient({ url: `http://127.0.0.1:${p.auth}`, secret: readJwtSecret(gethHome(home).jwtFile) }), rpc: `http://127.0.0.1:${p.http}` };
  const genesis = (await a.engine.block('latest'))!;
  await a.engine.forkchoiceUpdated({ headBlockHash: genesis.hash, safeBlockHash: genesis.hash, finalizedBlockHash: ZERO_HASH });
  for (const [n, txs] of [[1, 2], [2, 0], [3, 1], [4, 3], [5, 1], [6, 2]] as const) await buildBlock(n, txs);
  head = (await a.engine.block('latest'))!.hash;
  const reader = new L2PayloadReader(a.rpc);
  batches = [await readBatchContent(reader, 1n, 2n), await readBatchContent(reader, 3n, 5n), await readBatchContent(reader, 6n, 6n)];
  goodInbox = await inboxWith(batches);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a fresh geth fed only from L1 rebuilds A\'s 6 blocks, and agrees with A block for block', async () => {
  const geth = await startVerifierGeth(genesisFile, await ports());
  track(geth);
  const lines: string[] = [];
  try {
    const r = await verifyL2FromL1({ l1Url: chain.anvil.url, inbox: goodInbox, engine: geth.engine, l2Url: a.rpc, progress: (l) => lines.push(l) });
    expect(r).toMatchObject({ blocks: 6n, batches: 3n, head, l1BlockChoice: 'finalized' });
    expect(lines.filter((l) => / VALID, same hashes as the pool's L2$/.test(l))).toHaveLength(3);
    // The verifier's geth now holds A's chain: same head, same transfers.
    expect((await geth.engine.block('latest'))!.hash).toBe(head);
  } finally {
    await geth.stop();
  }
}, 60_000);

test('the forged state root of block 5 (header hash recomputed, data hashed and signed) is INVALID at block 5', async () => {
  const [b1, b2] = batches as [BatchContent, BatchContent];
  const good = { ...b2, blocks: b2.blocks.map((b) => ({ ...b })) };
  const forged = good.blocks[2]!; // the batch is blocks 3-5
  forged.stateRoot = keccak256(toHex('not the state'));
  expect(await forgedHash(5n, b2.blocks[2]!.stateRoot)).toBe(b2.blocks[2]!.blockHash); // the recomputation is right
  forged.blockHash = await forgedHash(5n, forged.stateRoot);
  const inbox = await inboxWith([b1, { ...b2, blocks: good.blocks }]);
  const geth = await startVerifierGeth(genesisFile, await ports());
  track(geth);
  try {
    const err = await verifyL2FromL1({ l1Url: chain.anvil.url, inbox, engine: geth.engine }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(VerifyFailure);
    expect((err as VerifyFailure).message).toMatch(/^block 5: INVALID \(.*(root|state)/i);
    expect((err as VerifyFailure).where.l2Block).toBe(5n);
    // Blocks 1-4 were imported before it.
    expect(BigInt((await geth.engine.block('latest'))!.number)).toBe(4n);
  } finally {
    await geth.stop();
  }
}, 60_000);

test('a pool L2 whose block 4 has another hash is reported at block 4', async () => {
  // A's RPC, but block 4 comes back with a different hash.
  const fake: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', async () => {
      const r = await fetch(a.rpc, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const j = (await r.json()) as { result?: { hash?: string; number?: string } };
      if (j.result?.number === '0x4') j.result.hash = keccak256(toHex('another block 4'));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(j));
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => fake.listen(port, '127.0.0.1', r));
  track({ stop: () => new Promise<void>((r) => fake.close(() => r())) });
  const geth = await startVerifierGeth(genesisFile, await ports());
  track(geth);
  try {
    const err = await verifyL2FromL1({ l1Url: chain.anvil.url, inbox: goodInbox, engine: geth.engine, l2Url: `http://127.0.0.1:${port}` }).then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toBe(`block 4: hash ${batches[1]!.blocks[1]!.blockHash} differs from the pool's L2 (${keccak256(toHex('another block 4'))})`);
  } finally {
    await geth.stop();
  }
}, 60_000);

test('seqpool l2 verify (the CLI, from dist/): exit 0 with the verified line; clear errors for bad arguments', async () => {
  const p = await ports();
  const ok = await runCli(['l2', 'verify', '--l1', chain.anvil.url, '--inbox', goodInbox, '--genesis', genesisFile, '--l2', a.rpc, '--confirmations', '0', '--geth-ports', `${p.http},${p.auth},${p.p2p}`]);
  expect({ code: ok.code, stdout: ok.stdout }).toEqual({ code: 0, stdout: `verified 6 L2 blocks from L1, head ${head}\n` });
  expect(ok.stderr).toContain('batch 2 (L1 block');
  // --dir: the same target read from a localnet's files (deployment.json, l2-genesis.json, localnet.json's node0 L2 RPC).
  const net = join(dir, 'net');
  writeDeployment(net, { l1: { chainId: chain.chainId, rpcUrl: chain.anvil.url, deployer: chain.accounts[0]!.address, startBlock: 0n, stakeToken: goodInbox, lockingPool: goodInbox, batchInbox: goodInbox } });
  copyFileSync(genesisFile, join(net, 'l2-genesis.json'));
  writeFileSync(join(net, 'localnet.json'), JSON.stringify({ chainId: 'x', dir: net, nodes: [{ name: 'node0', rpcUrl: 'http://127.0.0.1:1', home: net, abciAddress: '', l2RpcUrl: a.rpc, pids: {} }] }));
  const q2 = await ports();
  const viaDir = await runCli(['l2', 'verify', '--dir', net, '--confirmations', '0', '--geth-ports', `${q2.http},${q2.auth},${q2.p2p}`]);
  expect({ code: viaDir.code, stdout: viaDir.stdout }).toEqual({ code: 0, stdout: `verified 6 L2 blocks from L1, head ${head}\n` });
  expect(viaDir.stderr).toContain(`every hash equal to the pool's L2 at ${a.rpc}`);
  const none = await runCli(['l2', 'verify']);
  expect(none.code).toBe(1);
  expect(none.stderr).toContain('--dir DIR (a localnet) or --l1 URL --inbox ADDRESS --genesis FILE');
  const bad = await runCli(['l2', 'verify', '--l1', 'nope', '--inbox', '0x12', '--genesis', genesisFile, '--confirmations', '-1']);
  expect(bad.code).toBe(1);
  for (const m of ['--l1 must be an http(s) URL', '--inbox must be a 20-byte address', '--confirmations must be a non-negative integer']) expect(bad.stderr).toContain(m);
  // The geth it started is gone (its RPC port is free again).
  expect(await fetch(`http://127.0.0.1:${p.http}`, { method: 'POST' }).then(() => 'answers', () => 'gone')).toBe('gone');
}, 90_000);

test('seqpool l2 verify leaves no geth behind: an unreachable L1 (exit 1, named), and SIGINT while its geth starts', async () => {
  const p = await ports();
  const common = ['l2', 'verify', '--l1', `http://127.0.0.1:${await freePort()}`, '--inbox', goodInbox, '--genesis', genesisFile, '--geth-ports', `${p.http},${p.auth},${p.p2p}`];
  const down = await runCli(common);
  expect(down.code).toBe(1);
  expect(down.stderr).toMatch(/^error: cannot read the L1 at http:\/\/127\.0\.0\.1:\d+: HTTP request failed/m);
  expect(await isPortFree(p.http)).toBe(true);
  // Interrupted the moment geth binds its ports, before launchGeth has seen it answer: a geth not yet
  // handed back to the verifier was left running before onSpawn.
  let pid = 0;
  const run = runCli(common, (x) => (pid = x));
  for (let i = 0; i < 1000 && (await isPortFree(p.auth)); i++) await new Promise((r) => setTimeout(r, 10));
  process.kill(pid, 'SIGINT');
  const r = await run;
  expect(r.code).toBe(130);
  await new Promise((res) => setTimeout(res, 500));
  expect({ http: await isPortFree(p.http), auth: await isPortFree(p.auth) }).toEqual({ http: true, auth: true });
}, 60_000);
