// protocol/l2-header.ts against real geth blocks: a geth started from the L2 genesis builds blocks
// over the Engine API (empty; 300 withdrawals, whose small leaves are embedded trie nodes under 1-,
// 2- and 3-byte keys; 300 signed transactions of types 0, 1 and 2, some creating a contract that
// logs; a single transaction), and for each one payloadBlockHash of the payload, as getPayload gives
// it and as L2PayloadReader rebuilds it from the eth RPC, is the hash geth gave the block, and the
// transactions and withdrawals roots are the header's. A block we assemble ourselves (another
// extraData, hash computed here) is imported VALID: what forced blocks (issue 16) rely on.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, toHex, toRlp, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { EngineClient, ZERO_HASH, type ExecutionPayload, type Withdrawal } from '../../l2/engine.js';
import { l2Genesis } from '../../l2/genesis.js';
import { readJwtSecret } from '../../l2/jwt.js';
import { gethHome, initGeth, launchGeth } from '../../localnet/geth.js';
import { EMPTY_UNCLE_HASH, L2HeaderError, payloadBlockHash, transactionsRoot, withdrawalsRoot } from '../../protocol/l2-header.js';
import { L2PayloadReader } from '../../protocol/l2-payload-reader.js';
import type { L2Payload } from '../../protocol/l2-block.js';
import { track, untrack, type Stoppable } from '../children.js';
import { freePort } from '../ports.js';

const CHAIN_ID = 9917;
const SENDERS = ['a1', 'a2', 'a3'].map((b) => privateKeyToAccount(`0x${b.repeat(32)}`));
const FEE_RECIPIENT: Hex = `0x${'42'.repeat(20)}`;
const dir = mkdtempSync(join(tmpdir(), 'seqpool-l2-header-'));
let geth: Stoppable | undefined;
let engine: EngineClient;
let rpcUrl: string;
const nonces = new Map<string, number>();

beforeAll(async () => {
  const genesisFile = join(dir, 'genesis.json');
  writeFileSync(genesisFile, JSON.stringify(l2Genesis({ chainId: CHAIN_ID, alloc: Object.fromEntries(SENDERS.map((a) => [a.address, 10n ** 22n])) })));
  const home = join(dir, 'geth');
  await initGeth(home, genesisFile);
  const ports = { http: await freePort(), auth: await freePort(), p2p: await freePort() };
  // Registered the moment it is spawned: a geth that never answers is killed too.
  await launchGeth({ home, chainId: CHAIN_ID, ports, onSpawn: (child) => (geth = track({ stop: async () => void child.kill('SIGKILL') })) });
  rpcUrl = `http://127.0.0.1:${ports.http}`;
  engine = new EngineClient({ url: `http://127.0.0.1:${ports.auth}`, secret: readJwtSecret(gethHome(home).jwtFile) });
  const g = (await engine.block('latest'))!;
  await engine.forkchoiceUpdated({ headBlockHash: g.hash, safeBlockHash: g.hash, finalizedBlockHash: ZERO_HASH });
}, 60_000);
afterAll(async () => {
  if (geth) await untrack(geth);
  rmSync(dir, { recursive: true, force: true });
});

async function rpc<T>(method: string, params: unknown[]): Promise<T> {
  const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** Signs `count` transactions round-robin over the senders and the three pre-Prague types, and sends them in one batch. */
async function sendTransactions(count: number): Promise<void> {
  const raws: Hex[] = [];
  for (let i = 0; i < count; i++) {
    const account = SENDERS[i % SENDERS.length]!;
    const nonce = nonces.get(account.address) ?? 0;
    nonces.set(account.address, nonce + 1);
    // Every 10th creates a contract whose init code logs (PUSH1 0 PUSH1 0 LOG0 STOP): a non-empty bloom.
    const create = i % 10 === 9;
    const body = { chainId: CHAIN_ID, nonce, gas: create ? 100_000n : 60_000n, value: BigInt(i), ...(create ? { data: '0x60006000a000' as Hex } : { to: FEE_RECIPIENT, data: toHex(`call ${i}`) }) };
    const kind = Math.floor(i / SENDERS.length) % 3;
    if (kind === 0) raws.push(await account.signTransaction({ ...body, type: 'legacy', gasPrice: 5_000_000_000n }));
    else if (kind === 1) raws.push(await account.signTransaction({ ...body, type: 'eip2930', gasPrice: 5_000_000_000n, accessList: [{ address: FEE_RECIPIENT, storageKeys: [ZERO_HASH] }] }));
    else raws.push(await account.signTransaction({ ...body, type: 'eip1559', maxFeePerGas: 5_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n }));
  }
  const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(raws.map((r, id) => ({ jsonrpc: '2.0', id, method: 'eth_sendRawTransaction', params: [r] }))) });
  const answers = (await res.json()) as { error?: { message: string } }[];
  const refused = answers.find((a) => a.error);
  if (refused) throw new Error(`geth refused a transaction: ${refused.error!.message}`);
  for (let i = 0; i < 100; i++) {
    if (Number((await rpc<{ pending: Hex }>('txpool_status', [])).pending) >= count) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`geth's pool never held the ${count} transactions`);
}

/** Has geth build a block on its head (with `withdrawals`), imports it and makes it the head. */
async function buildBlock(withdrawals: Withdrawal[] = []): Promise<ExecutionPayload> {
  const head = (await engine.block('latest'))!;
  const state = { headBlockHash: head.hash, safeBlockHash: head.hash, finalizedBlockHash: ZERO_HASH };
  const n = BigInt(head.number) + 1n;
  const fcu = await engine.forkchoiceUpdated(state, { timestamp: toHex(BigInt(head.timestamp) + 1n), prevRandao: keccak256(toHex(`randao ${n}`)), suggestedFeeRecipient: FEE_RECIPIENT, withdrawals, parentBeaconBlockRoot: ZERO_HASH });
  expect(fcu.payloadStatus.status).toBe('VALID');
  // getPayload ends the building, so give geth's builder (recommit 250 ms) time to fill the block.
  await new Promise((r) => setTimeout(r, 1_000));
  const payload = await engine.getPayload(fcu.payloadId!);
  expect((await engine.newPayload(payload)).status).toBe('VALID');
  expect((await engine.forkchoiceUpdated({ ...state, headBlockHash: payload.blockHash })).payloadStatus.status).toBe('VALID');
  return payload;
}

interface RpcHeader {
  hash: Hex;
  transactionsRoot: Hex;
  withdrawalsRoot: Hex;
  sha3Uncles: Hex;
  parentBeaconBlockRoot: Hex;
  [k: string]: Hex;
}

/** Every way of reaching the block's hash agrees with geth: the payload, the payload read back from the eth RPC, the header's roots. */
async function expectGethAgrees(payload: ExecutionPayload): Promise<L2Payload> {
  expect(payloadBlockHash(payload, ZERO_HASH)).toBe(payload.blockHash);
  const n = BigInt(payload.blockNumber);
  const read = await new L2PayloadReader(rpcUrl).payload(n);
  expect(read.transactions).toEqual(payload.transactions);
  expect(payloadBlockHash(read, ZERO_HASH)).toBe(payload.blockHash);
  const header = await rpc<RpcHeader>('eth_getBlockByNumber', [toHex(n), false]);
  expect(header.hash).toBe(payload.blockHash);
  expect(transactionsRoot(read.transactions as Hex[])).toBe(header.transactionsRoot);
  expect(withdrawalsRoot(read.withdrawals)).toBe(header.withdrawalsRoot);
  expect(header.sha3Uncles).toBe(EMPTY_UNCLE_HASH);
  expect(header.parentBeaconBlockRoot).toBe(ZERO_HASH);
  return read;
}

test('an empty block: both roots are the empty trie', async () => {
  const p = await buildBlock();
  expect(p.transactions).toEqual([]);
  await expectGethAgrees(p);
  expect(transactionsRoot([])).toBe('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421');
}, 30_000);

test('300 withdrawals: rlp([index, validatorIndex, address, amount]) leaves under 32 bytes are embedded, keys up to 0x82012b', async () => {
  const withdrawals: Withdrawal[] = Array.from({ length: 300 }, (_, i) => ({ index: toHex(1000 + i), validatorIndex: toHex(i * 7), address: `0x${(i % 256).toString(16).padStart(2, '0').repeat(20)}`, amount: toHex(i % 4 === 0 ? 0 : 10 ** (i % 9)) }));
  const p = await buildBlock(withdrawals);
  expect(p.withdrawals).toHaveLength(300);
  await expectGethAgrees(p);
}, 30_000);

test('a block of 300 transactions of types 0, 1 and 2 (keys of 1, 2 and 3 bytes), one of 1, and a block we assemble is imported VALID', async () => {
  await sendTransactions(300);
  const big = await buildBlock();
  expect(big.transactions.length).toBeGreaterThan(256);
  // A legacy transaction is an RLP list (first byte 0xc0 or more), a typed one its type byte then its payload.
  expect(new Set(big.transactions.map((t) => (parseInt(t.slice(2, 4), 16) >= 0xc0 ? 'legacy' : t.slice(0, 4))))).toEqual(new Set(['legacy', '0x01', '0x02']));
  expect(big.logsBloom).not.toBe(`0x${'00'.repeat(256)}`);
  const read = await expectGethAgrees(big);
  // A sibling of the big block with another extraData, hashed here: geth executes it and accepts it.
  const sibling = { ...read, extraData: toHex('assembled by seqpool') } as ExecutionPayload;
  sibling.blockHash = payloadBlockHash(sibling, ZERO_HASH);
  expect(sibling.blockHash).not.toBe(big.blockHash);
  expect(await engine.newPayload(sibling)).toEqual({ status: 'VALID', latestValidHash: sibling.blockHash, validationError: null });
  // Reordered transactions are another transactions root, so another hash.
  const swapped = [...read.transactions];
  [swapped[0], swapped[big.transactions.length - 1]] = [swapped[big.transactions.length - 1]!, swapped[0]!];
  expect(payloadBlockHash({ ...read, transactions: swapped }, ZERO_HASH)).not.toBe(big.blockHash);
  // Whatever the builder left for the next block, then a block of exactly one transaction.
  if (big.transactions.length < 300) await expectGethAgrees(await buildBlock());
  await sendTransactions(1);
  const one = await buildBlock();
  expect(one.transactions).toHaveLength(1);
  await expectGethAgrees(one);
}, 60_000);

test("test/l2/verifier.test.ts's header hashing (forgedHash) is payloadBlockHash with the state root replaced", async () => {
  const n = BigInt((await engine.block('latest'))!.number);
  const payload = await new L2PayloadReader(rpcUrl).payload(n);
  // verifier.test.ts's construction, from the eth RPC header's fields.
  const b = await rpc<RpcHeader>('eth_getBlockByNumber', [toHex(n), false]);
  const q = (v: bigint): Hex => (v === 0n ? '0x' : (`0x${v.toString(16).padStart(Math.ceil(v.toString(16).length / 2) * 2, '0')}` as Hex));
  const int = (k: string) => q(BigInt(b[k]!));
  const forgedHash = (stateRoot: Hex) =>
    keccak256(toRlp([b.parentHash!, b.sha3Uncles, b.miner!, stateRoot, b.transactionsRoot, b.receiptsRoot!, b.logsBloom!, int('difficulty'), int('number'), int('gasLimit'), int('gasUsed'), int('timestamp'), b.extraData!, b.mixHash!, b.nonce!, int('baseFeePerGas'), b.withdrawalsRoot, int('blobGasUsed'), int('excessBlobGas'), b.parentBeaconBlockRoot]));
  expect(forgedHash(b.stateRoot!)).toBe(b.hash);
  const forgedRoot = keccak256(toHex('not the state'));
  expect(payloadBlockHash({ ...payload, stateRoot: forgedRoot }, ZERO_HASH)).toBe(forgedHash(forgedRoot));
});

test('a field of the wrong size or a quantity that is not hex is refused, naming the field', async () => {
  const p = await new L2PayloadReader(rpcUrl).payload(1n);
  expect(() => payloadBlockHash({ ...p, stateRoot: '0x1234' }, ZERO_HASH)).toThrow(new L2HeaderError('stateRoot must be 32 bytes, got 2'));
  expect(() => payloadBlockHash({ ...p, gasUsed: '0xzz' }, ZERO_HASH)).toThrow(new L2HeaderError('gasUsed is not a hex quantity: "0xzz"'));
  expect(() => payloadBlockHash(p, '0x00')).toThrow(new L2HeaderError('parentBeaconBlockRoot must be 32 bytes, got 1'));
  expect(() => payloadBlockHash({ ...p, transactions: ['0x0'] }, ZERO_HASH)).toThrow(new L2HeaderError('transactions[0] is not hex: "0x0"'));
  expect(() => withdrawalsRoot([{ index: '0x0', validatorIndex: '0x0', address: '0x12', amount: '0x1' }])).toThrow(new L2HeaderError('withdrawals[0].address must be 20 bytes, got 1'));
});
