// protocol/forced-check.ts (issue 16, decision 46): what every sidecar checks of a batch's forced
// inclusion before it signs, with a fake L1 queue and a fake L2 (a deterministic eth_simulateV1):
// the batch's forced blocks consume the queue entry by entry from the previous batch's cursor, each
// is the derivation of its entries, the header names where they end and L1's chain hash there, and no
// entry is left out that was due by the batch's last block.
import { keccak256, parseGwei, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { deriveForcedBlock, type ForcedBlockRpc } from '../../protocol/forced-block.js';
import { forcedBatchProblem, forcedConsumption, type ForcedBatchCheck, type ForcedQueueLookup } from '../../protocol/forced-check.js';
import { forcedMarker, MAX_FORCED_PER_BLOCK, nextChainHash, ZERO_CHAIN, type ForcedEntry, type ForcedQueueView } from '../../protocol/forced-queue.js';
import { payloadBlockHash } from '../../protocol/l2-header.js';
import type { L2Payload } from '../../protocol/l2-block.js';

const CHAIN_ID = 9917n;
const SENDER = privateKeyToAccount(`0x${'a1'.repeat(32)}`);
const PARENT: Hex = keccak256(toHex('block 9'));
const ZERO32: Hex = `0x${'00'.repeat(32)}`;
const DUE = 300n;

/** A fake L2: block 9 (gas limit 30M) is every parent; eth_simulateV1 answers a root made of its calls. */
const l2: ForcedBlockRpc = {
  async call<T>(method: string, params: unknown[]): Promise<T> {
    if (method === 'eth_getBlockByHash') return { number: '0x9', hash: params[0], gasLimit: toHex(30_000_000), timestamp: toHex(900) } as T;
    if (method === 'eth_getCode') return '0x' as T;
    if (method !== 'eth_simulateV1') throw new Error(`unexpected ${method}`);
    const calls = (params[0] as { blockStateCalls: { calls: { gas: Hex }[] }[] }).blockStateCalls[0]!.calls;
    const gasUsed = calls.reduce((s, c) => s + BigInt(c.gas), 0n);
    return [{ stateRoot: keccak256(toHex(JSON.stringify(calls))), receiptsRoot: keccak256(toHex(calls.length)), logsBloom: `0x${'00'.repeat(256)}`, gasUsed: toHex(gasUsed), baseFeePerGas: toHex(parseGwei('1')) }] as T;
  },
};

/** Queue entries: signed transfers with nonces 0.. mined on L1 at `timestamps`. */
async function queue(timestamps: bigint[], gas: bigint[] = []): Promise<ForcedEntry[]> {
  const out: ForcedEntry[] = [];
  let prev = ZERO_CHAIN;
  for (const [i, timestamp] of timestamps.entries()) {
    const tx = await SENDER.signTransaction({ type: 'eip1559', chainId: Number(CHAIN_ID), nonce: i, gas: gas[i] ?? 21_000n, to: `0x${'42'.repeat(20)}`, value: 1n, maxFeePerGas: parseGwei('5'), maxPriorityFeePerGas: parseGwei('1') });
    const l1Block = 100n + BigInt(i);
    prev = nextChainHash(prev, tx, l1Block, timestamp);
    out.push({ index: BigInt(i), chainHash: prev, l1Block, timestamp, tx });
  }
  return out;
}

/** The queue as a sidecar's L1 view holds it (the first `known` entries of `all`), counting the views. */
function lookup(all: ForcedEntry[], known = all.length): ForcedQueueLookup & { views: number } {
  const held = all.slice(0, known);
  return {
    views: 0,
    async view(from: bigint, max = 64): Promise<ForcedQueueView> {
      this.views++;
      return { at: 99n, length: BigInt(held.length), consumed: 0n, entries: held.slice(Number(from), Number(from) + max) };
    },
    async chainAt(cursor: bigint): Promise<Hex> {
      return cursor === 0n ? ZERO_CHAIN : held[Number(cursor) - 1]!.chainHash;
    },
  } as ForcedQueueLookup & { views: number };
}

/** An ordinary block (only its number, timestamp and extraData matter to the check). */
function plain(number: bigint, timestamp: bigint): L2Payload {
  return { parentHash: ZERO32, feeRecipient: `0x${'00'.repeat(20)}`, stateRoot: ZERO32, receiptsRoot: ZERO32, logsBloom: `0x${'00'.repeat(256)}`, prevRandao: ZERO32, blockNumber: toHex(number), gasLimit: toHex(30_000_000), gasUsed: '0x0', timestamp: toHex(timestamp), extraData: toHex('seqpool'), baseFeePerGas: toHex(parseGwei('1')), blockHash: keccak256(toHex(`plain ${number}`)), transactions: [], withdrawals: [], blobGasUsed: '0x0', excessBlobGas: '0x0' };
}
/** The forced block 10 consuming `entries` (derived exactly as the rule says), at `timestamp`. */
async function forced(entries: ForcedEntry[], timestamp: bigint, max?: number): Promise<L2Payload> {
  return (await deriveForcedBlock(l2, CHAIN_ID, PARENT, entries, { timestamp, feeRecipient: `0x${'fe'.repeat(20)}`, prevRandao: PARENT }, max)).payload;
}
const check = (q: ForcedQueueLookup, payloads: L2Payload[], prevCursor: bigint, header: ForcedBatchCheck['header']): Promise<string | undefined> =>
  forcedBatchProblem({ l2, chainId: CHAIN_ID, queue: q, payloads, prevCursor, header, dueSeconds: DUE });

describe('forcedConsumption', () => {
  const at = (n: number, extraData: Hex) => ({ blockNumber: toHex(n), extraData });
  test('the forced blocks among the payloads and the cursor they leave', () => {
    expect(forcedConsumption([], 5n)).toEqual({ cursor: 5n, blocks: [] });
    expect(forcedConsumption([at(10, toHex('seqpool')), at(11, '0x')], 5n)).toEqual({ cursor: 5n, blocks: [] });
    expect(forcedConsumption([at(10, forcedMarker(5n, 2)), at(11, '0x'), at(12, forcedMarker(7n, 1))], 5n)).toEqual({
      cursor: 8n,
      blocks: [
        { number: 10n, first: 5n, count: 2 },
        { number: 12n, first: 7n, count: 1 },
      ],
    });
  });

  test('a forced block that does not continue the cursor, skipping or going back, is named', () => {
    expect(forcedConsumption([at(10, forcedMarker(6n, 1))], 5n)).toBe('L2 block 10 consumes forced entries from 6, but the queue cursor there is 5');
    expect(forcedConsumption([at(10, forcedMarker(4n, 2))], 5n)).toBe('L2 block 10 consumes forced entries from 4, but the queue cursor there is 5');
    expect(forcedConsumption([at(10, forcedMarker(5n, 2)), at(11, forcedMarker(8n, 1))], 5n)).toBe('L2 block 11 consumes forced entries from 8, but the queue cursor there is 7');
    expect(forcedConsumption([at(10, forcedMarker(5n, 2)), at(11, forcedMarker(5n, 2))], 5n)).toBe('L2 block 11 consumes forced entries from 5, but the queue cursor there is 7');
  });

  test(`a block consuming more than MAX_FORCED_PER_BLOCK (${MAX_FORCED_PER_BLOCK}) entries is refused: the bound on deriving and checking one`, () => {
    expect(forcedConsumption([at(10, forcedMarker(0n, MAX_FORCED_PER_BLOCK))], 0n)).toEqual({ cursor: BigInt(MAX_FORCED_PER_BLOCK), blocks: [{ number: 10n, first: 0n, count: MAX_FORCED_PER_BLOCK }] });
    expect(forcedConsumption([at(10, forcedMarker(0n, MAX_FORCED_PER_BLOCK + 1))], 0n)).toBe(`L2 block 10 consumes ${MAX_FORCED_PER_BLOCK + 1} forced entries; a forced block consumes at most ${MAX_FORCED_PER_BLOCK}`);
  });
});

describe('forcedBatchProblem', () => {
  test('an honest batch: a forced block consuming entries 0..1, then an ordinary block; the header names cursor 2 and its chain hash', async () => {
    const entries = await queue([1_000n, 1_010n, 1_200n]);
    const q = lookup(entries);
    const batch = [await forced(entries.slice(0, 2), 1_250n, 2), plain(11n, 1_260n)];
    expect(batch[0]!.transactions).toHaveLength(2);
    expect(await check(q, batch, 0n, { forcedCursor: 2n, forcedChainHash: entries[1]!.chainHash })).toBeUndefined();
    // The chain hash compares without regard to case.
    expect(await check(q, batch, 0n, { forcedCursor: 2n, forcedChainHash: entries[1]!.chainHash.toUpperCase().replace('0X', '0x') as Hex })).toBeUndefined();
    // No forced block and nothing due: the cursor stays.
    expect(await check(q, [plain(11n, 1_260n)], 2n, { forcedCursor: 2n, forcedChainHash: entries[1]!.chainHash })).toBeUndefined();
    expect(await check(q, [], 0n, { forcedCursor: 0n, forcedChainHash: ZERO_CHAIN })).toBeUndefined();
  });

  test("the header's cursor or chain hash not where the forced blocks end is refused", async () => {
    const entries = await queue([1_000n, 1_010n]);
    const batch = [await forced(entries, 1_050n)];
    expect(await check(lookup(entries), batch, 0n, { forcedCursor: 1n, forcedChainHash: entries[0]!.chainHash })).toBe("the header's forced cursor 1 is not where the batch's forced blocks end (2)");
    expect(await check(lookup(entries), [plain(10n, 1_050n)], 0n, { forcedCursor: 2n, forcedChainHash: entries[1]!.chainHash })).toBe("the header's forced cursor 2 is not where the batch's forced blocks end (0)");
    const wrong = keccak256('0x01');
    expect(await check(lookup(entries), batch, 0n, { forcedCursor: 2n, forcedChainHash: wrong })).toBe(`the header's forced chain hash ${wrong} is not L1's at cursor 2 (${entries[1]!.chainHash})`);
    expect(await check(lookup(entries), batch, 0n, { forcedCursor: 2n, forcedChainHash: entries[0]!.chainHash })).toMatch(/^the header's forced chain hash/);
  });

  test('censoring: an entry due by the last block\'s timestamp and not consumed is refused; one second earlier it is not due', async () => {
    const entries = await queue([1_000n, 1_100n]);
    const q = lookup(entries);
    const due = 1_000n + DUE;
    expect(await check(q, [plain(10n, due - 5n), plain(11n, due - 1n)], 0n, { forcedCursor: 0n, forcedChainHash: ZERO_CHAIN })).toBeUndefined();
    expect(await check(q, [plain(10n, due - 5n), plain(11n, due)], 0n, { forcedCursor: 0n, forcedChainHash: ZERO_CHAIN })).toBe(`censoring: forced entry 0 (mined on L1 at 1000) was due by ${due}, and the batch ends at L2 block 11 (timestamp ${due}) without it`);
    // Consuming entry 0 clears it; entry 1 (100 s younger) is the one that counts then.
    const takesFirst = [await forced(entries.slice(0, 1), due, 1), plain(11n, due + 99n)];
    expect(await check(q, takesFirst, 0n, { forcedCursor: 1n, forcedChainHash: entries[0]!.chainHash })).toBeUndefined();
    expect(await check(q, [takesFirst[0]!, plain(11n, due + 100n)], 0n, { forcedCursor: 1n, forcedChainHash: entries[0]!.chainHash })).toMatch(/^censoring: forced entry 1 /);
    // An entry our L1 view does not hold yet is not due for us.
    expect(await check(lookup(entries, 0), [plain(11n, due + 1_000n)], 0n, { forcedCursor: 0n, forcedChainHash: ZERO_CHAIN })).toBeUndefined();
  });

  test('a forced block consuming entries our L1 view does not hold is refused', async () => {
    const entries = await queue([1_000n, 1_010n, 1_020n]);
    const batch = [await forced(entries, 1_050n)];
    expect(await check(lookup(entries, 2), batch, 0n, { forcedCursor: 3n, forcedChainHash: entries[2]!.chainHash })).toBe('L2 block 10 consumes forced entries 0..2, but our L1 view (block 99) holds 2 entries');
  });

  test('a forced block that is not the derivation of its entries is refused', async () => {
    const entries = await queue([1_000n, 1_010n]);
    const q = lookup(entries);
    const header = { forcedCursor: 2n, forcedChainHash: entries[1]!.chainHash };
    const honest = await forced(entries, 1_050n);
    // The producer calls entry 1 invalid and leaves it out (hash recomputed: the block itself is well formed).
    const leftOut = { ...honest, transactions: honest.transactions.slice(0, 1) };
    leftOut.blockHash = payloadBlockHash(leftOut, ZERO32);
    expect(await check(q, [leftOut], 0n, header)).toBe(`forced block 10 is not the derivation of entries 0..1 (derived ${honest.blockHash} consuming 2 [0:in 1:in], the block is ${leftOut.blockHash} with 1 txs)`);
    // Another state root than the derivation's (what executing the entries gives) is another block.
    const otherState = { ...honest, stateRoot: keccak256('0x02') };
    otherState.blockHash = payloadBlockHash(otherState, ZERO32);
    expect(await check(q, [otherState], 0n, header)).toMatch(/^forced block 10 is not the derivation of entries 0\.\.1/);
    // A block claiming 2 entries when the second's gas does not fit after the first: the derivation consumes 1.
    const heavy = await queue([1_000n, 1_010n], [20_000_000n, 15_000_000n]);
    const greedy = await forced(heavy, 1_050n, 1);
    const claimsTwo = { ...greedy, extraData: forcedMarker(0n, 2) };
    claimsTwo.blockHash = payloadBlockHash(claimsTwo, ZERO32);
    expect(await check(lookup(heavy), [claimsTwo], 0n, { forcedCursor: 2n, forcedChainHash: heavy[1]!.chainHash })).toMatch(/^forced block 10 is not the derivation of entries 0\.\.1 \(derived 0x[0-9a-f]{64} consuming 1 \[0:in\]/);
  });

  test(`a forced block of more than MAX_FORCED_PER_BLOCK entries is refused, though derived as the rule derives with that max`, async () => {
    const entries = await queue(Array.from({ length: MAX_FORCED_PER_BLOCK + 1 }, (_, i) => 1_000n + BigInt(i)));
    const q = lookup(entries);
    const last = entries[MAX_FORCED_PER_BLOCK]!;
    const big = await forced(entries, 1_050n, MAX_FORCED_PER_BLOCK + 1);
    expect(big.transactions).toHaveLength(MAX_FORCED_PER_BLOCK + 1);
    expect(await check(q, [big], 0n, { forcedCursor: last.index + 1n, forcedChainHash: last.chainHash })).toBe(`L2 block 10 consumes ${MAX_FORCED_PER_BLOCK + 1} forced entries; a forced block consumes at most ${MAX_FORCED_PER_BLOCK}`);
    expect(q.views).toBe(0);
  });

  test('a batch whose forced blocks do not continue the previous cursor is refused before anything is derived', async () => {
    const entries = await queue([1_000n, 1_010n]);
    const q = lookup(entries);
    const skips = await forced(entries.slice(1), 1_050n);
    expect(await check(q, [skips], 0n, { forcedCursor: 2n, forcedChainHash: entries[1]!.chainHash })).toBe('L2 block 10 consumes forced entries from 1, but the queue cursor there is 0');
    expect(q.views).toBe(0);
  });
});
