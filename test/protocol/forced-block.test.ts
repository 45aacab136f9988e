// protocol/forced-block.ts and protocol/forced-escape.ts against a real geth started from the L2
// genesis (issue 16, decision 46). A forced block is a pure function of (parent, entries, attrs):
// these tests pin which entries it keeps, which it consumes as invalid and why, where it stops, and
// that what it derives is a block geth imports VALID with the hash computed here. A forced
// transaction geth would refuse to decode or to recover must be consumed as invalid, never kept: a
// kept one makes every node derive a block geth refuses, and the L2 stops for good.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRlp, keccak256, parseGwei, serializeTransaction, toHex, toRlp, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { EngineClient, ZERO_HASH, type BlockHeader, type ExecutionPayload } from '../../l2/engine.js';
import { l2Genesis } from '../../l2/genesis.js';
import { readJwtSecret } from '../../l2/jwt.js';
import { gethHome, initGeth, launchGeth } from '../../localnet/geth.js';
import { deriveForcedBlock, ForcedBlockError, parseForcedTx, type ForcedBlockRpc } from '../../protocol/forced-block.js';
import { deriveEscapeBlocks, ESCAPE_FEE_RECIPIENT } from '../../protocol/forced-escape.js';
import { forcedMarker, MAX_FORCED_PER_BLOCK, type ForcedEntry } from '../../protocol/forced-queue.js';
import type { L2Payload } from '../../protocol/l2-block.js';
import { track, untrack, type Stoppable } from '../children.js';
import { freePort } from '../ports.js';

const CHAIN_ID = 9917;
const ID = BigInt(CHAIN_ID);
/** One funded sender per test (nonces never collide), a sender with 1 ETH, one whose address has code. */
const RICH = Array.from({ length: 12 }, (_, i) => privateKeyToAccount(`0x${(0xb0 + i).toString(16).repeat(32)}`));
const POOR = privateKeyToAccount(`0x${'c1'.repeat(32)}`);
const CODED = privateKeyToAccount(`0x${'c2'.repeat(32)}`);
const SINK: Hex = `0x${'42'.repeat(20)}`;
const FEE_RECIPIENT: Hex = `0x${'fe'.repeat(20)}`;
/** secp256k1's group order. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const dir = mkdtempSync(join(tmpdir(), 'seqpool-forced-block-'));
let geth: Stoppable | undefined;
let engine: EngineClient;
let genesis: BlockHeader;

beforeAll(async () => {
  const genesisFile = join(dir, 'genesis.json');
  const alloc = Object.fromEntries([...RICH, CODED].map((a) => [a.address, 10n ** 22n]));
  writeFileSync(genesisFile, JSON.stringify(l2Genesis({ chainId: CHAIN_ID, alloc: { ...alloc, [POOR.address]: 10n ** 18n }, accounts: { [CODED.address]: { code: '0x00' } } })));
  const home = join(dir, 'geth');
  await initGeth(home, genesisFile);
  const ports = { http: await freePort(), auth: await freePort(), p2p: await freePort() };
  // Registered the moment it is spawned: a geth that never answers is killed too.
  await launchGeth({ home, chainId: CHAIN_ID, ports, onSpawn: (child) => (geth = track({ stop: async () => void child.kill('SIGKILL') })) });
  engine = new EngineClient({ url: `http://127.0.0.1:${ports.auth}`, secret: readJwtSecret(gethHome(home).jwtFile) });
  genesis = (await engine.block('latest'))!;
  await engine.forkchoiceUpdated({ headBlockHash: genesis.hash, safeBlockHash: genesis.hash, finalizedBlockHash: ZERO_HASH });
}, 60_000);
afterAll(async () => {
  if (geth) await untrack(geth);
  rmSync(dir, { recursive: true, force: true });
});

const entry = (index: number, tx: Hex): ForcedEntry => ({ index: BigInt(index), chainHash: ZERO_HASH, l1Block: 1n, timestamp: 1n, tx });
const entries = (txs: Hex[], first = 0): ForcedEntry[] => txs.map((tx, i) => entry(first + i, tx));

interface TxOpts {
  nonce?: number;
  gas?: bigint;
  value?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  data?: Hex;
  create?: boolean;
  chainId?: number;
}
/** A signed EIP-1559 transfer to SINK (or a contract creation) on this chain. */
const tx = (a: PrivateKeyAccount, o: TxOpts = {}): Promise<Hex> =>
  a.signTransaction({
    type: 'eip1559',
    chainId: o.chainId ?? CHAIN_ID,
    nonce: o.nonce ?? 0,
    gas: o.gas ?? 21_000n,
    value: o.value ?? 1n,
    maxFeePerGas: o.maxFeePerGas ?? parseGwei('5'),
    maxPriorityFeePerGas: o.maxPriorityFeePerGas ?? parseGwei('1'),
    ...(o.create ? {} : { to: SINK }),
    ...(o.data ? { data: o.data } : {}),
  });

/** A type-2 transaction from its RLP fields [chainId, nonce, tip, feeCap, gas, to, value, data, accessList], signed by `a` over exactly those. */
async function signFields(a: PrivateKeyAccount, fields: unknown[]): Promise<Hex> {
  const sig = await a.sign({ hash: keccak256(`0x02${toRlp(fields as Hex[]).slice(2)}`) });
  const trim = (h: string): Hex => `0x${h.replace(/^0+/, '')}`;
  const yParity = parseInt(sig.slice(130), 16) - 27;
  return `0x02${toRlp([...(fields as Hex[]), yParity ? '0x01' : '0x', trim(sig.slice(2, 66)), trim(sig.slice(66, 130))]).slice(2)}`;
}
/** The RLP fields of a signed type-2 transaction, and the transaction they make. */
const fieldsOf = (raw: Hex): Hex[] => fromRlp(`0x${raw.slice(4)}`) as Hex[];
const rebuild = (fields: Hex[]): Hex => `0x02${toRlp(fields).slice(2)}`;

const head = async (): Promise<BlockHeader> => (await engine.block('latest'))!;
const attrsOn = (parent: BlockHeader, dt = 1n) => ({ timestamp: BigInt(parent.timestamp) + dt, feeRecipient: FEE_RECIPIENT, prevRandao: parent.hash });
async function derive(txs: Hex[], max?: number, first = 0) {
  const parent = await head();
  return deriveForcedBlock(engine, ID, parent.hash, entries(txs, first), attrsOn(parent), max);
}

/** geth imports the payload VALID under the hash computed here, and holds the same transactions. */
async function expectImports(p: L2Payload): Promise<void> {
  expect(await engine.newPayload(p as ExecutionPayload)).toEqual({ status: 'VALID', latestValidHash: p.blockHash, validationError: null });
  const b = await engine.call<{ hash: Hex; transactions: Hex[] }>('eth_getBlockByHash', [p.blockHash, false]);
  expect(b.hash).toBe(p.blockHash);
  expect(b.transactions).toEqual(p.transactions.map((t) => keccak256(t as Hex)));
}
/** Imports the payload and makes it geth's head. */
async function adopt(p: L2Payload): Promise<void> {
  await expectImports(p);
  const s = await engine.forkchoiceUpdated({ headBlockHash: p.blockHash as Hex, safeBlockHash: p.blockHash as Hex, finalizedBlockHash: ZERO_HASH });
  expect(s.payloadStatus.status).toBe('VALID');
}
const reasons = (d: Awaited<ReturnType<typeof derive>>) => d.verdicts.map((v) => (v.valid ? 'in' : v.reason));

describe('parseForcedTx: the static half of the rule', () => {
  test('a signed type-2 transaction of this chain parses, with its sender and its call', async () => {
    const raw = await tx(RICH[0]!, { nonce: 3, value: 7n, data: '0x1234' });
    const p = await parseForcedTx(raw, ID);
    if (typeof p === 'string') throw new Error(p);
    expect(p.from).toBe(RICH[0]!.address.toLowerCase());
    expect(p.raw).toBe(raw);
    expect(p.gas).toBe(21_000n);
    expect(p.call).toEqual({ from: p.from, to: SINK, gas: '0x5208', maxFeePerGas: toHex(parseGwei('5')), maxPriorityFeePerGas: toHex(parseGwei('1')), nonce: '0x3', value: '0x7', input: '0x1234', accessList: [] });
  });

  test('other types, another chain, no signature and bytes that are no transaction are refused with the reason', async () => {
    const body = { chainId: CHAIN_ID, nonce: 0, gas: 21_000n, to: SINK, value: 1n };
    expect(await parseForcedTx(await RICH[0]!.signTransaction({ ...body, type: 'legacy', gasPrice: parseGwei('5') }), ID)).toBe('a legacy transaction; forced transactions are EIP-1559 (type 2)');
    expect(await parseForcedTx(await RICH[0]!.signTransaction({ ...body, type: 'eip2930', gasPrice: parseGwei('5'), accessList: [] }), ID)).toBe('a eip2930 transaction; forced transactions are EIP-1559 (type 2)');
    expect(await parseForcedTx(await tx(RICH[0]!, { chainId: CHAIN_ID + 1 }), ID)).toBe(`for chain ${CHAIN_ID + 1}, not ${CHAIN_ID}`);
    expect(await parseForcedTx(serializeTransaction({ ...body, type: 'eip1559', maxFeePerGas: 2n, maxPriorityFeePerGas: 1n }), ID)).toBe('unsigned');
    for (const junk of ['0xdeadbeef', '0x02', '0x02c0', '0x'] as Hex[]) expect(await parseForcedTx(junk, ID)).toMatch(/^not a signed transaction \(.+\)$/);
    // A tip above the fee cap (viem will not sign one: the fields are signed by hand).
    const highTip = await signFields(RICH[0]!, [toHex(CHAIN_ID), '0x', toHex(10n), toHex(9n), toHex(21_000n), SINK, '0x01', '0x', []]);
    expect(await parseForcedTx(highTip, ID)).toMatch(/tip .*cannot be higher than the fee cap|priority fee above the fee cap/);
  });

  test('a transaction of MAX_FORCED_TX_BYTES parses, one byte more is refused', async () => {
    const sized = (n: number) => tx(RICH[0]!, { gas: 1_000_000n, data: toHex(new Uint8Array(n).fill(0xab)) });
    const overhead = ((await sized(16_000)).length - 2) / 2 - 16_000;
    const max = await sized(16_384 - overhead);
    expect((max.length - 2) / 2).toBe(16_384);
    expect(typeof (await parseForcedTx(max, ID))).toBe('object');
    expect(await parseForcedTx(await sized(16_385 - overhead), ID)).toBe('larger than 16384 bytes');
  });

  test("what geth cannot decode or recover is refused: a high-s signature, a non-canonical integer, a value of 2^256", async () => {
    const fields = fieldsOf(await tx(RICH[0]!, { maxPriorityFeePerGas: 1n }));
    // The same signature with s -> n - s and the parity flipped recovers the same sender, but EIP-2 (and geth) refuse it.
    const highS = rebuild([...fields.slice(0, 9), fields[9] === '0x' ? '0x01' : '0x', fields[10]!, toHex(N - BigInt(fields[11]!))]);
    expect(await parseForcedTx(highS, ID)).toMatch(/signature s is above secp256k1n\/2/);
    // The tip 1 written 0x0001: viem reads it (and recovers the sender from the canonical form), geth's RLP decoder refuses it.
    const leadingZero = rebuild([...fields.slice(0, 2), '0x0001', ...fields.slice(3)]);
    expect(await parseForcedTx(leadingZero, ID)).toMatch(/not canonically encoded/);
    expect(await parseForcedTx(rebuild([toHex(CHAIN_ID, { size: 3 }), ...fields.slice(1)]), ID)).toMatch(/not canonically encoded/);
    expect(await parseForcedTx(rebuild([...fields.slice(0, 10), toHex(N), fields[11]!]), ID)).toMatch(/out of range|does not recover/);
    const bigValue = await signFields(RICH[0]!, [...fields.slice(0, 6), toHex(2n ** 256n), ...fields.slice(7, 9)]);
    expect(await parseForcedTx(bigValue, ID)).toMatch(/value .* above 2\^256 - 1/);
  });
});

describe('deriveForcedBlock on the head', () => {
  test('a valid transfer is kept, marked, and the block imports VALID under the hash computed here', async () => {
    const parent = await head();
    const raw = await tx(RICH[1]!);
    const d = await deriveForcedBlock(engine, ID, parent.hash, [entry(7, raw)], attrsOn(parent, 5n));
    expect(d.consumed).toBe(1);
    expect(d.verdicts).toEqual([{ index: 7n, valid: true, txHash: keccak256(raw) }]);
    expect(d.payload).toMatchObject({ parentHash: parent.hash, feeRecipient: FEE_RECIPIENT, prevRandao: parent.hash, blockNumber: toHex(BigInt(parent.number) + 1n), timestamp: toHex(BigInt(parent.timestamp) + 5n), extraData: forcedMarker(7n, 1), transactions: [raw], withdrawals: [], gasUsed: '0x5208' });
    await adopt(d.payload);
    const r = await engine.call<{ status: Hex; blockHash: Hex; type: Hex }>('eth_getTransactionReceipt', [keccak256(raw)]);
    expect(r).toMatchObject({ status: '0x1', blockHash: d.payload.blockHash, type: '0x2' });
  });

  test('a contract creation that logs is kept: receipts root and bloom are geth\'s', async () => {
    // Init code PUSH1 0 PUSH1 0 LOG0 STOP: one log, so a non-empty bloom and a receipt that carries it.
    const raw = await tx(RICH[2]!, { create: true, gas: 100_000n, value: 0n, data: '0x60006000a000' });
    const d = await derive([raw]);
    expect(reasons(d)).toEqual(['in']);
    expect(d.payload.logsBloom).not.toBe(`0x${'00'.repeat(256)}`);
    await adopt(d.payload);
    const r = await engine.call<{ status: Hex; logs: unknown[]; contractAddress: Hex }>('eth_getTransactionReceipt', [keccak256(raw)]);
    expect(r.status).toBe('0x1');
    expect(r.logs).toHaveLength(1);
  });

  test('entries geth or the rule refuses are consumed as invalid with the reason, and the empty forced block imports VALID', async () => {
    const broke = privateKeyToAccount(generatePrivateKey());
    const txs: Hex[] = [
      await tx(RICH[3]!, { nonce: 5 }), // a nonce gap
      await tx(broke), // no balance for the gas
      await tx(RICH[3]!, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }), // fee cap below the base fee
      await tx(CODED), // EIP-3607: the sender has code (eth_simulateV1 does not check this itself)
      await tx(RICH[3]!, { gas: 30_000_001n }), // gas above the block gas limit
      await RICH[3]!.signTransaction({ type: 'legacy', chainId: CHAIN_ID, nonce: 0, gas: 21_000n, to: SINK, gasPrice: parseGwei('5') }),
      '0x01',
    ];
    const d = await derive(txs, undefined, 40);
    expect(d.consumed).toBe(7);
    const why = reasons(d);
    expect(why[0]).toMatch(/nonce too high/);
    expect(why[1]).toMatch(/insufficient funds/);
    expect(why[2]).toMatch(/max fee per gas less than block base fee/);
    expect(why[3]).toBe(`sender ${CODED.address.toLowerCase()} has code`);
    expect(why[4]).toBe('gas 30000001 above the block gas limit 30000000');
    expect(why[5]).toBe('a legacy transaction; forced transactions are EIP-1559 (type 2)');
    expect(why[6]).toMatch(/^not a signed transaction/);
    expect(d.verdicts.map((v) => v.index)).toEqual([40n, 41n, 42n, 43n, 44n, 45n, 46n]);
    expect(d.payload.transactions).toEqual([]);
    expect(d.payload.extraData).toBe(forcedMarker(40n, 7));
    expect(d.payload.gasUsed).toBe('0x0');
    await adopt(d.payload);
  });

  test('the entries kept before one are its state: n then n + 1 of one sender are both kept in order, n + 1 first is not', async () => {
    const a = RICH[4]!;
    const [n0, n1] = [await tx(a, { nonce: 0 }), await tx(a, { nonce: 1 })];
    const inOrder = await derive([n0, n1]);
    expect(reasons(inOrder)).toEqual(['in', 'in']);
    expect(inOrder.payload.transactions).toEqual([n0, n1]);
    const reversed = await derive([n1, n0]);
    expect(reasons(reversed)[0]).toMatch(/nonce too high/);
    expect(reasons(reversed)[1]).toBe('in');
    expect(reversed.payload.transactions).toEqual([n0]);
    await adopt(inOrder.payload);
  });

  test('a second transaction spending more than the balance the first left is invalid, and leaves the state as it was', async () => {
    // POOR holds 1 ETH: 0.6 ETH, then 0.6 ETH more, then 0.3 ETH with the same nonce as the refused one.
    const [first, second, third] = [await tx(POOR, { nonce: 0, value: 6n * 10n ** 17n }), await tx(POOR, { nonce: 1, value: 6n * 10n ** 17n }), await tx(POOR, { nonce: 1, value: 3n * 10n ** 17n })];
    const d = await derive([first, second, third]);
    expect(reasons(d)[0]).toBe('in');
    expect(reasons(d)[1]).toMatch(/insufficient funds/);
    expect(reasons(d)[2]).toBe('in');
    expect(d.payload.transactions).toEqual([first, third]);
    await expectImports(d.payload);
  });

  test('an entry whose gas no longer fits after the kept ones ends the block; only kept entries count', async () => {
    const a = RICH[5]!;
    const big = await tx(a, { nonce: 0, gas: 20_000_000n });
    const bigToo = await tx(a, { nonce: 1, gas: 15_000_000n });
    const small = await tx(a, { nonce: 2 });
    const d = await derive([big, bigToo, small]);
    expect(d.consumed).toBe(1); // 20M + 15M > 30M: bigToo and what follows wait for the next forced block
    expect(reasons(d)).toEqual(['in']);
    expect(d.payload.extraData).toBe(forcedMarker(0n, 1));
    await expectImports(d.payload);
    // Exactly the block gas limit fits: 20M then 10M.
    const ten = await tx(a, { nonce: 1, gas: 10_000_000n });
    expect(reasons(await derive([big, ten]))).toEqual(['in', 'in']);
    // An invalid entry's gas is not counted: 20M (a nonce gap, invalid) then 15M fits.
    const gap = await tx(a, { nonce: 9, gas: 20_000_000n });
    const fifteen = await tx(a, { nonce: 0, gas: 15_000_000n });
    const fits = await derive([gap, fifteen]);
    expect(fits.consumed).toBe(2);
    expect(fits.payload.transactions).toEqual([fifteen]);
  });

  test('max bounds the count, MAX_FORCED_PER_BLOCK by default', async () => {
    const a = RICH[6]!;
    const txs = await Promise.all(Array.from({ length: MAX_FORCED_PER_BLOCK + 1 }, (_, nonce) => tx(a, { nonce })));
    const two = await derive(txs, 2);
    expect(two.consumed).toBe(2);
    expect(two.payload.transactions).toEqual(txs.slice(0, 2));
    const all = await derive(txs);
    expect(all.consumed).toBe(MAX_FORCED_PER_BLOCK);
    expect(all.payload.transactions).toEqual(txs.slice(0, MAX_FORCED_PER_BLOCK));
    await expectImports(all.payload);
  }, 60_000);

  test('deriving twice gives the same block; another timestamp, fee recipient or prevRandao another one', async () => {
    const parent = await head();
    const txs = [await tx(RICH[7]!), '0x01' as Hex];
    const attrs = attrsOn(parent);
    const a = await deriveForcedBlock(engine, ID, parent.hash, entries(txs), attrs);
    const b = await deriveForcedBlock(engine, ID, parent.hash, entries(txs), attrs);
    expect(b).toEqual(a);
    for (const other of [{ ...attrs, timestamp: attrs.timestamp + 1n }, { ...attrs, feeRecipient: SINK }, { ...attrs, prevRandao: keccak256('0x01') }]) {
      expect((await deriveForcedBlock(engine, ID, parent.hash, entries(txs), other)).payload.blockHash).not.toBe(a.payload.blockHash);
    }
  });

  test('no entries, an unknown parent or a timestamp not after the parent\'s is an error, not a block', async () => {
    const parent = await head();
    const one = entries([await tx(RICH[8]!)]);
    await expect(deriveForcedBlock(engine, ID, parent.hash, [], attrsOn(parent))).rejects.toThrow(new ForcedBlockError('a forced block consumes at least one entry'));
    await expect(deriveForcedBlock(engine, ID, keccak256('0x01'), one, attrsOn(parent))).rejects.toThrow(`the L2 node does not have the parent block ${keccak256('0x01')}`);
    await expect(deriveForcedBlock(engine, ID, parent.hash, one, attrsOn(parent, 0n))).rejects.toThrow(`timestamp ${BigInt(parent.timestamp)} is not after the parent's ${BigInt(parent.timestamp)}`);
  });

  test('an RPC failure that is no verdict on the transaction throws: nobody calls an entry invalid on a timeout', async () => {
    // Only a simulation with the transaction in it fails (an empty block's would still answer).
    const withCalls = (params: unknown[]) => ((params[0] as { blockStateCalls: { calls: unknown[] }[] }).blockStateCalls[0]!.calls.length > 0);
    const failing: ForcedBlockRpc = {
      call: <T>(method: string, params: unknown[]) => (method === 'eth_simulateV1' && withCalls(params) ? Promise.reject(Object.assign(new Error('eth_simulateV1: execution timeout'), { code: -32603 })) : engine.call<T>(method, params)),
    };
    const parent = await head();
    await expect(deriveForcedBlock(failing, ID, parent.hash, entries([await tx(RICH[8]!)]), attrsOn(parent))).rejects.toThrow('execution timeout');
  });

  test('what geth cannot decode or recover is consumed as invalid, and the block imports VALID', async () => {
    const a = RICH[9]!;
    const fields = fieldsOf(await tx(a, { maxPriorityFeePerGas: 1n }));
    const highS = rebuild([...fields.slice(0, 9), fields[9] === '0x' ? '0x01' : '0x', fields[10]!, toHex(N - BigInt(fields[11]!))]);
    const leadingZero = rebuild([...fields.slice(0, 2), '0x0001', ...fields.slice(3)]);
    const bigValue = await signFields(a, [...fields.slice(0, 6), toHex(2n ** 256n), ...fields.slice(7, 9)]);
    const good = rebuild(fields);
    const d = await derive([highS, leadingZero, bigValue, good]);
    expect(reasons(d).map((r) => r === 'in')).toEqual([false, false, false, true]);
    expect(d.payload.transactions).toEqual([good]);
    await expectImports(d.payload);
  });
});

describe('deriveEscapeBlocks', () => {
  test('one block per entry from the parent (genesis): timestamps max(parent + 1, L1\'s), fee recipient zero, each imports VALID in turn', async () => {
    const a = RICH[10]!;
    const txs = [await tx(a, { nonce: 0 }), '0x01' as Hex, await tx(a, { nonce: 1 })];
    const l1Timestamp = BigInt(genesis.timestamp) + 1_000n;
    const adopted: L2Payload[] = [];
    await deriveEscapeBlocks(engine, ID, { hash: genesis.hash, timestamp: BigInt(genesis.timestamp) }, entries(txs, 20), l1Timestamp, async (p) => {
      await expectImports(p); // the next block is simulated on this one's state
      adopted.push(p);
    });
    expect(adopted.map((p) => BigInt(p.timestamp))).toEqual([l1Timestamp, l1Timestamp + 1n, l1Timestamp + 2n]);
    expect(adopted.map((p) => p.extraData)).toEqual([forcedMarker(20n, 1), forcedMarker(21n, 1), forcedMarker(22n, 1)]);
    expect(adopted.map((p) => p.transactions)).toEqual([[txs[0]], [], [txs[2]]]);
    expect(adopted.map((p) => BigInt(p.blockNumber))).toEqual([1n, 2n, 3n]);
    let parent = genesis.hash;
    for (const p of adopted) {
      expect(p).toMatchObject({ parentHash: parent, prevRandao: parent, feeRecipient: ESCAPE_FEE_RECIPIENT });
      parent = p.blockHash as Hex;
    }
  });

  test('an L1 timestamp not after the parent\'s: each block is its parent\'s + 1', async () => {
    const parent = await head();
    const txs = [await tx(RICH[11]!, { nonce: 0 }), await tx(RICH[11]!, { nonce: 1 })];
    const adopted: L2Payload[] = [];
    await deriveEscapeBlocks(engine, ID, { hash: parent.hash, timestamp: BigInt(parent.timestamp) }, entries(txs), BigInt(parent.timestamp) - 5n, async (p) => {
      await expectImports(p);
      adopted.push(p);
    });
    expect(adopted.map((p) => BigInt(p.timestamp))).toEqual([BigInt(parent.timestamp) + 1n, BigInt(parent.timestamp) + 2n]);
    expect(adopted.map((p) => p.transactions.length)).toEqual([1, 1]);
  });
});
