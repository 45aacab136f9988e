// BatchInbox's forced-inclusion queue and escape hatch on a real anvil (issue 16): forceInclude
// builds the hash chain the pool's headers commit to, appendBatch refuses a cursor that goes back,
// runs past the queue, names other entries or leaves an overdue entry out, and after escapeDelay
// anyone appends a forced-only batch whose hash the pool's next batch continues.
import { encodeAbiParameters, keccak256, parseGwei, toHex, type Abi, type Address, type Hex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { artifact } from '../../contracts/artifacts.js';
import { BATCH_HEADER_ABI } from '../../protocol/signed-payloads.js';
import { PoolKey, expectRevert, startChain, type Chain } from './helpers.js';
import { events } from './pool-fixture.js';

interface Header {
  batchIndex: bigint;
  prevBatchHash: Hex;
  l2StartBlock: bigint;
  l2EndBlock: bigint;
  dataHash: Hex;
  producer: Address;
  forcedCursor: bigint;
  forcedChainHash: Hex;
}
const encodeHeader = (h: Header): Hex => encodeAbiParameters(BATCH_HEADER_ABI, [h]);

const FEE = 10n ** 15n;
// Test windows in seconds: long enough that anvil's wall-clock blocks never cross them by accident,
// since every time-critical step sets the next block's timestamp itself.
const WINDOW = 100n;
const DELAY = 300n;
const ZERO = `0x${'00'.repeat(32)}` as Hex;
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000' as Address;
const DATA = toHex(new Uint8Array(1024).fill(0xab)); // the same data in every batch: gas figures compare

let chain: Chain;
let key: PoolKey;

beforeAll(async () => {
  chain = await startChain();
  key = new PoolKey(4, 3);
});
afterAll(async () => chain?.stop());

const deployInbox = (window = WINDOW, delay = DELAY): Promise<Address> =>
  chain.deploy('BatchInbox', [chain.accounts[0]!.address, key.groupKey, 1n, FEE, window, delay]);
const rpc = (method: string, params: unknown[]) => chain.pub.request({ method: method as never, params: params as never });
/** The next block (the next transaction's, with automine) gets timestamp `t`. */
const atTime = (t: bigint) => rpc('evm_setNextBlockTimestamp', [Number(t)]);
const read = <T>(inbox: Address, fn: string, args: unknown[] = []) => chain.read<T>(inbox, 'BatchInbox', fn, args);

async function forceInclude(inbox: Address, l2Tx: Hex, value = FEE, from = chain.accounts[3]!) {
  const hash = await chain.wallet(from).writeContract({ abi: artifact('BatchInbox').abi as Abi, address: inbox, functionName: 'forceInclude', args: [l2Tx], value, account: from, chain: null });
  const r = await chain.pub.waitForTransactionReceipt({ hash });
  if (r.status !== 'success') throw new Error('forceInclude reverted');
  const block = await chain.pub.getBlock({ blockNumber: r.blockNumber });
  return { ...r, timestamp: block.timestamp };
}

/** The queue's hash chain recomputed off chain: chain[i+1] = keccak256(abi.encode(chain[i], keccak256(tx), uint64 block, uint64 time)). */
const nextChainHash = (prev: Hex, l2Tx: Hex, l1Block: bigint, timestamp: bigint): Hex =>
  keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'uint64' }, { type: 'uint64' }], [prev, keccak256(l2Tx), l1Block, timestamp]));

/** Reads the chain state and builds the next pool header consuming up to `cursor`. */
async function nextHeader(inbox: Address, cursor: bigint, blocks = 10n): Promise<Header> {
  const start = await read<bigint>(inbox, 'nextL2Block');
  return {
    batchIndex: await read<bigint>(inbox, 'nextBatchIndex'),
    prevBatchHash: await read<Hex>(inbox, 'lastBatchHash'),
    l2StartBlock: start,
    l2EndBlock: start + blocks - 1n,
    dataHash: keccak256(DATA),
    producer: chain.accounts[2]!.address,
    forcedCursor: cursor,
    forcedChainHash: cursor === 0n ? ZERO : await read<Hex>(inbox, 'forcedChainAt', [cursor]),
  };
}
const sign = (inbox: Address, h: Header) => key.sign(chain.chainId, inbox, 'appendBatch', encodeHeader(h));
const append = (inbox: Address, h: Header, sig = sign(inbox, h)) => chain.write(chain.accounts[1]!, inbox, 'BatchInbox', 'appendBatch', [h, DATA, sig]);
/** The text of the error a promise rejects with (to check a custom error's arguments). */
const errorText = (p: Promise<unknown>) => p.then(() => 'succeeded', (e: Error) => e.message);

/** A signed EIP-1559 L2 transfer, the size of a typical forced transaction (~110 bytes). */
const l2Transfer = (nonce: number): Promise<Hex> =>
  chain.accounts[4]!.signTransaction({ type: 'eip1559', chainId: 31338, nonce, to: chain.accounts[3]!.address, value: 10n ** 16n, gas: 21_000n, maxFeePerGas: parseGwei('2'), maxPriorityFeePerGas: parseGwei('1') });

test('forceInclude appends entries to the hash chain and emits each transaction with its index', async () => {
  const inbox = await deployInbox();
  expect(await read<bigint>(inbox, 'forcedQueueLength')).toBe(0n);
  expect(await read<Hex>(inbox, 'forcedChainAt', [0n])).toBe(ZERO);
  const txs: Hex[] = [await l2Transfer(0), '0x01', toHex(new Uint8Array(16384).fill(7))]; // one byte and the maximum are accepted
  let prev = ZERO;
  for (const [i, tx] of txs.entries()) {
    const { result } = await chain.pub.simulateContract({ abi: artifact('BatchInbox').abi as Abi, address: inbox, functionName: 'forceInclude', args: [tx], value: FEE, account: chain.accounts[3]! });
    expect(result).toBe(BigInt(i));
    // An overpayment is kept like the fee.
    const r = await forceInclude(inbox, tx, i === 1 ? FEE * 3n : FEE);
    const chainHash = nextChainHash(prev, tx, r.blockNumber, r.timestamp);
    expect(events(r.logs as never, 'BatchInbox').map((e) => [e.eventName, e.args])).toEqual([
      ['ForcedInclusion', { index: BigInt(i), chainHash, l1Block: r.blockNumber, timestamp: r.timestamp, l2Tx: tx }],
    ]);
    expect(await read<[Hex, bigint, bigint]>(inbox, 'forcedEntry', [BigInt(i)])).toEqual([chainHash, r.blockNumber, r.timestamp]);
    expect(await read<Hex>(inbox, 'forcedChainAt', [BigInt(i + 1)])).toBe(chainHash);
    prev = chainHash;
  }
  expect(await read<bigint>(inbox, 'forcedQueueLength')).toBe(3n);
  expect(await read<bigint>(inbox, 'forcedCursor')).toBe(0n);
  expect(await chain.pub.getBalance({ address: inbox })).toBe(FEE * 5n);
  await expectRevert(read(inbox, 'forcedChainAt', [4n]), 'ForcedCursorPastQueue');
  await expectRevert(read(inbox, 'forcedEntry', [3n]), 'NoForcedEntry');
}, 60_000);

test('forceInclude refuses a fee below forceFee, an empty transaction and one over MAX_FORCED_TX_BYTES', async () => {
  const inbox = await deployInbox();
  expect(await read<bigint>(inbox, 'forceFee')).toBe(FEE);
  expect(await read<bigint>(inbox, 'MAX_FORCED_TX_BYTES')).toBe(16384n);
  const low = await errorText(forceInclude(inbox, '0x01', FEE - 1n));
  expect(low).toContain('ForceFeeTooLow');
  expect(low).toContain(`(${FEE}, ${FEE - 1n})`); // required, then paid
  await expectRevert(forceInclude(inbox, '0x01', 0n), 'ForceFeeTooLow');
  await expectRevert(forceInclude(inbox, '0x'), 'EmptyForcedTx');
  const big = await errorText(forceInclude(inbox, toHex(new Uint8Array(16385).fill(1))));
  expect(big).toContain('ForcedTxTooLarge');
  expect(big).toContain('(16384, 16385)');
  expect(await read<bigint>(inbox, 'forcedQueueLength')).toBe(0n);
}, 60_000);

test('appendBatch moves the cursor over the entries its signed header names, never back nor past the queue', async () => {
  const inbox = await deployInbox(3600n); // no entry falls due in this test
  for (let i = 0; i < 3; i++) await forceInclude(inbox, await l2Transfer(i));
  const chain2 = await read<Hex>(inbox, 'forcedChainAt', [2n]);

  const h0 = await nextHeader(inbox, 2n);
  expect(h0.forcedChainHash).toBe(chain2);
  // The cursor is signed: a relayer cannot move it, nor the chain hash, in a header the pool signed.
  await expectRevert(append(inbox, { ...h0, forcedCursor: 1n, forcedChainHash: await read<Hex>(inbox, 'forcedChainAt', [1n]) }, sign(inbox, h0)), 'InvalidSignature');
  await expectRevert(append(inbox, { ...h0, forcedCursor: 0n, forcedChainHash: ZERO }, sign(inbox, h0)), 'InvalidSignature');
  await append(inbox, h0);
  expect(await read<bigint>(inbox, 'forcedCursor')).toBe(2n);

  const h1 = await nextHeader(inbox, 2n);
  for (const [bad, err] of [
    [{ ...h1, forcedCursor: 1n, forcedChainHash: await read<Hex>(inbox, 'forcedChainAt', [1n]) }, 'ForcedCursorBackwards'],
    [{ ...h1, forcedCursor: 0n, forcedChainHash: ZERO }, 'ForcedCursorBackwards'],
    [{ ...h1, forcedCursor: 4n }, 'ForcedCursorPastQueue'],
    [{ ...h1, forcedChainHash: ZERO }, 'ForcedChainHashMismatch'],
    [{ ...h1, forcedCursor: 3n }, 'ForcedChainHashMismatch'], // entry 3's hash is not entry 2's
  ] as [Header, string][]) {
    await expectRevert(append(inbox, bad), err); // each signed by the pool: the queue check refuses it, not the signature
  }
  const back = await errorText(append(inbox, { ...h1, forcedCursor: 1n, forcedChainHash: ZERO }));
  expect(back).toContain('ForcedCursorBackwards');
  expect(back).toContain('(2, 1)'); // current, then the header's
  const mismatch = await errorText(append(inbox, { ...h1, forcedChainHash: keccak256('0x01') }));
  expect(mismatch).toContain('ForcedChainHashMismatch');
  expect(mismatch).toContain(`(${chain2}, ${keccak256('0x01')})`); // expected, then the header's

  // Consuming nothing new is fine while nothing is due; then the rest of the queue.
  await append(inbox, h1);
  expect(await read<bigint>(inbox, 'forcedCursor')).toBe(2n);
  await append(inbox, await nextHeader(inbox, 3n));
  expect(await read<bigint>(inbox, 'forcedCursor')).toBe(3n);
  expect(await read<bigint>(inbox, 'nextBatchIndex')).toBe(3n);
}, 60_000);

test('appendBatch refuses to leave out an entry past its deadline, allows it at the deadline, and takes a batch that consumes it', async () => {
  const inbox = await deployInbox();
  const t0 = (await chain.pub.getBlock()).timestamp + 10n;
  await atTime(t0);
  await forceInclude(inbox, await l2Transfer(0));
  await atTime(t0 + 50n);
  await forceInclude(inbox, await l2Transfer(1));

  // Exactly at entry 0's deadline a batch may still leave it out.
  await atTime(t0 + WINDOW);
  await append(inbox, await nextHeader(inbox, 0n));
  // One second later it may not; the error names the entry and its deadline.
  await atTime(t0 + WINDOW + 1n);
  const overdue = await errorText(append(inbox, await nextHeader(inbox, 0n)));
  expect(overdue).toContain('ForcedEntryOverdue');
  expect(overdue).toContain(`(0, ${t0 + WINDOW})`);
  // Consuming entry 0 (entry 1 is not due yet) passes at the same time.
  await atTime(t0 + WINDOW + 1n);
  await append(inbox, await nextHeader(inbox, 1n));

  // Only the first unconsumed entry counts, and it is the oldest: entry 1 falls due 50 s later.
  await atTime(t0 + 50n + WINDOW + 1n);
  const overdue1 = await errorText(append(inbox, await nextHeader(inbox, 1n)));
  expect(overdue1).toContain('ForcedEntryOverdue');
  expect(overdue1).toContain(`(1, ${t0 + 50n + WINDOW})`);
  await atTime(t0 + 50n + WINDOW + 1n);
  await append(inbox, await nextHeader(inbox, 2n));
  expect(await read<bigint>(inbox, 'forcedCursor')).toBe(2n);
}, 60_000);

test('escape hatch: after escapeDelay anyone appends a forced-only batch the pool then builds on', async () => {
  const inbox = await deployInbox();
  const stranger = await chain.fundedAccount();
  const escape = (count: bigint) => chain.write(stranger, inbox, 'BatchInbox', 'appendForcedBatch', [count]);
  await expectRevert(escape(1n), 'ForcedCursorPastQueue'); // nothing queued
  await append(inbox, await nextHeader(inbox, 0n, 5n)); // batch 0: L2 1-5

  const t0 = (await chain.pub.getBlock()).timestamp + 10n;
  const hashes: Hex[] = [];
  for (let i = 0; i < 3; i++) {
    await atTime(t0 + 10n * BigInt(i));
    const r = await forceInclude(inbox, await l2Transfer(i));
    hashes.push(events(r.logs as never, 'BatchInbox')[0]!.args.chainHash as Hex);
  }
  const allowedAt = t0 + WINDOW + DELAY;

  await atTime(allowedAt);
  const early = await errorText(escape(1n));
  expect(early).toContain('EscapeTooEarly');
  expect(early).toContain(`(${allowedAt})`);
  await expectRevert(escape(0n), 'EmptyForcedBatch');
  const past = await errorText(escape(4n));
  expect(past).toContain('ForcedCursorPastQueue');
  expect(past).toContain('(3, 4)');
  await expectRevert(escape(65n), 'ForcedBatchTooLarge');
  await expectRevert(escape(2n ** 256n - 1n), 'ForcedBatchTooLarge'); // no overflow panic

  // One second later, a plain account with no role appends entries 0 and 1: L2 blocks 6 and 7.
  const prev = await read<Hex>(inbox, 'lastBatchHash');
  await atTime(allowedAt + 1n);
  const r = await escape(2n);
  const forced: Header = { batchIndex: 1n, prevBatchHash: prev, l2StartBlock: 6n, l2EndBlock: 7n, dataHash: ZERO, producer: ZERO_ADDRESS, forcedCursor: 2n, forcedChainHash: hashes[1]! };
  const forcedHash = keccak256(encodeHeader(forced));
  expect(events(r.logs as never, 'BatchInbox').map((e) => [e.eventName, e.args])).toEqual([
    ['BatchAppended', { batchIndex: 1n, batchHash: forcedHash, l2StartBlock: 6n, l2EndBlock: 7n, dataHash: ZERO, producer: ZERO_ADDRESS }],
    ['ForcedBatchAppended', { batchIndex: 1n, firstEntry: 0n, count: 2n, l2StartBlock: 6n }],
  ]);
  expect(await read<Hex>(inbox, 'batchHashes', [1n])).toBe(forcedHash);
  expect(await read<Hex>(inbox, 'lastBatchHash')).toBe(forcedHash);
  expect(await read<Hex>(inbox, 'batchHash', [forced])).toBe(forcedHash);
  expect(await read<bigint>(inbox, 'nextBatchIndex')).toBe(2n);
  expect(await read<bigint>(inbox, 'nextL2Block')).toBe(8n);
  expect(await read<bigint>(inbox, 'forcedCursor')).toBe(2n);

  // Entry 2 came 20 s after entry 0: its own escape opens 20 s later.
  await atTime(allowedAt + 2n);
  await expectRevert(escape(1n), 'EscapeTooEarly');

  // The pool comes back: its next batch continues the forced one, and must take the overdue entry 2.
  const h = await nextHeader(inbox, 2n);
  expect(h).toMatchObject({ batchIndex: 2n, prevBatchHash: forcedHash, l2StartBlock: 8n });
  await atTime(allowedAt + 3n);
  await expectRevert(append(inbox, h), 'ForcedEntryOverdue');
  const h2 = { ...h, forcedCursor: 3n, forcedChainHash: hashes[2]! };
  await atTime(allowedAt + 3n);
  await append(inbox, h2);
  expect(await read<Hex>(inbox, 'lastBatchHash')).toBe(keccak256(encodeHeader(h2)));
  expect(await read<bigint>(inbox, 'forcedCursor')).toBe(3n);
  await expectRevert(escape(1n), 'ForcedCursorPastQueue');
}, 60_000);

test('withdrawForceFees: only the owner, to a nonzero recipient that accepts ether', async () => {
  const inbox = await deployInbox();
  await forceInclude(inbox, '0x01');
  await forceInclude(inbox, '0x02', FEE * 2n);
  const to = (await chain.fundedAccount()).address;
  const withdraw = (from: PrivateKeyAccount, recipient: Address) => chain.write(from, inbox, 'BatchInbox', 'withdrawForceFees', [recipient]);
  await expectRevert(withdraw(chain.accounts[3]!, to), 'OwnableUnauthorizedAccount');
  await expectRevert(withdraw(chain.accounts[0]!, ZERO_ADDRESS), 'ZeroRecipient');
  await expectRevert(withdraw(chain.accounts[0]!, inbox), 'ForceFeeTransferFailed'); // no receive function
  const before = await chain.pub.getBalance({ address: to });
  const r = await withdraw(chain.accounts[0]!, to);
  expect(events(r.logs as never, 'BatchInbox')[0]).toMatchObject({ eventName: 'ForceFeesWithdrawn', args: { to, amount: FEE * 3n } });
  expect(await chain.pub.getBalance({ address: to })).toBe(before + FEE * 3n);
  expect(await chain.pub.getBalance({ address: inbox })).toBe(0n);
}, 60_000);

test('gas: appendBatch costs the same whatever number of entries it consumes (O(1) check)', async () => {
  const inbox = await deployInbox(3600n);
  const include: bigint[] = [];
  for (let i = 0; i < 19; i++) include.push((await forceInclude(inbox, await l2Transfer(i))).gasUsed);
  const txBytes = ((await l2Transfer(0)).length - 2) / 2;
  // Warm-up: the first batch writes fresh slots (batch index, last hash, cursor 0 -> 1).
  await append(inbox, await nextHeader(inbox, 1n));
  const gas0 = (await append(inbox, await nextHeader(inbox, 1n))).gasUsed;
  const gas1 = (await append(inbox, await nextHeader(inbox, 2n))).gasUsed;
  const gas16 = (await append(inbox, await nextHeader(inbox, 18n))).gasUsed;
  const escapeInbox = await deployInbox(1n, 1n);
  await append(escapeInbox, await nextHeader(escapeInbox, 0n));
  await forceInclude(escapeInbox, await l2Transfer(0));
  await chain.increaseTime(5);
  const escapeGas = (await chain.write(chain.accounts[3]!, escapeInbox, 'BatchInbox', 'appendForcedBatch', [1n])).gasUsed;
  console.log([
    `forceInclude of a ${txBytes}-byte L2 transfer: ${include[0]} gas (first entry), ${include[1]} gas (later ones)`,
    `appendBatch with 1 KB of data consuming 0 entries: ${gas0} gas, 1 entry: ${gas1} gas, 16 entries: ${gas16} gas`,
    `appendForcedBatch of 1 entry: ${escapeGas} gas`,
  ].join('\n'));
  // The check reads the chain hash at the cursor and the first unconsumed entry, whatever the count:
  // a loop over the consumed entries would cost at least a cold SLOAD (2,100 gas) per entry.
  expect(gas16 - gas0).toBeLessThan(30_000n);
  expect(gas16 > gas1 ? gas16 - gas1 : gas1 - gas16).toBeLessThan(1_000n);
  expect(include[1]!).toBeLessThan(100_000n);
}, 120_000);
