// l2/forced-builder.ts (issue 16, decision 46), the producer's and every follower's side of forced
// inclusion, with a fake L1 queue, a fake block store and a fake L2 (a deterministic eth_simulateV1):
// where our chain is in the queue (the newest marker in our unbatched blocks, else L1's cursor), and
// which producer blocks a follower refuses: an ordinary block that leaves out an entry due by its
// timestamp (except a re-span's first block), a forced block that skips the cursor, consumes entries
// our L1 view lacks, more than one block may, or is not its entries' derivation.
import { keccak256, parseGwei, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { silentLogger } from '../../common/log.js';
import { ForcedBuilder, type ForcedQueueSource } from '../../l2/forced-builder.js';
import type { L2BlockStore } from '../../l2/block-store.js';
import { deriveForcedBlock, type ForcedBlockRpc } from '../../protocol/forced-block.js';
import { forcedMarker, MAX_FORCED_PER_BLOCK, nextChainHash, ZERO_CHAIN, type ForcedEntry, type ForcedQueueView } from '../../protocol/forced-queue.js';
import { payloadBlockHash } from '../../protocol/l2-header.js';
import type { L2Payload, SignedL2Block } from '../../protocol/l2-block.js';

const CHAIN_ID = 9917n;
const SENDER = privateKeyToAccount(`0x${'a1'.repeat(32)}`);
const ZERO32: Hex = `0x${'00'.repeat(32)}`;
const DUE = 300n;

/** A fake L2: every parent is a block with a 30M gas limit; eth_simulateV1 answers a root made of its calls. */
const rpc: ForcedBlockRpc = {
  async call<T>(method: string, params: unknown[]): Promise<T> {
    if (method === 'eth_getBlockByHash') return { number: '0x9', hash: params[0], gasLimit: toHex(30_000_000), timestamp: toHex(900) } as T;
    if (method === 'eth_getCode') return '0x' as T;
    if (method !== 'eth_simulateV1') throw new Error(`unexpected ${method}`);
    const calls = (params[0] as { blockStateCalls: { calls: { gas: Hex }[] }[] }).blockStateCalls[0]!.calls;
    return [{ stateRoot: keccak256(toHex(JSON.stringify(calls))), receiptsRoot: keccak256(toHex(calls.length)), logsBloom: `0x${'00'.repeat(256)}`, gasUsed: toHex(calls.reduce((s, c) => s + BigInt(c.gas), 0n)), baseFeePerGas: toHex(parseGwei('1')) }] as T;
  },
};

/** `count` queue entries: signed transfers mined on L1 10 s apart from t = 1000. */
async function queueEntries(count: number): Promise<ForcedEntry[]> {
  const out: ForcedEntry[] = [];
  let prev = ZERO_CHAIN;
  for (let i = 0; i < count; i++) {
    const tx = await SENDER.signTransaction({ type: 'eip1559', chainId: Number(CHAIN_ID), nonce: i, gas: 21_000n, to: `0x${'42'.repeat(20)}`, value: 1n, maxFeePerGas: parseGwei('5'), maxPriorityFeePerGas: parseGwei('1') });
    const [l1Block, timestamp] = [100n + BigInt(i), 1_000n + 10n * BigInt(i)];
    prev = nextChainHash(prev, tx, l1Block, timestamp);
    out.push({ index: BigInt(i), chainHash: prev, l1Block, timestamp, tx });
  }
  return out;
}

/** L1 as the builder reads it at successive safe blocks: read k sees `states[k]` (the last state from then on). */
function fakeQueue(entries: ForcedEntry[], ...states: { consumed: bigint; nextL2Block: bigint; known?: number }[]) {
  let k = 0;
  const reads: string[] = [];
  const state = () => {
    const s = states[Math.min(k, states.length - 1)]!;
    k++;
    return s;
  };
  const queue: ForcedQueueSource = {
    async view(from: bigint, max = 64): Promise<ForcedQueueView> {
      const s = state();
      reads.push(`view ${from}`);
      const held = entries.slice(0, s.known ?? entries.length);
      return { at: 99n, length: BigInt(held.length), consumed: s.consumed, entries: held.slice(Number(from), Number(from) + max) };
    },
    async nextL2Block(): Promise<bigint> {
      reads.push('nextL2Block');
      return state().nextL2Block;
    },
  };
  return { queue, reads };
}

/** Our stored chain: block h's extraData from `markers` (else an ordinary block), up to `tip`; counts the reads. */
function fakeStore(tip: bigint, markers: Record<number, Hex> = {}) {
  const got: bigint[] = [];
  const store = {
    height: () => tip,
    async get(h: bigint): Promise<SignedL2Block | undefined> {
      got.push(h);
      if (h <= 0n || h > tip) return undefined;
      return { payload: { ...block(h, 0n), extraData: markers[Number(h)] ?? toHex('seqpool') }, signature: `0x${'00'.repeat(65)}` };
    },
  };
  return { store: store as unknown as L2BlockStore, got };
}

function builder(queue: ForcedQueueSource, store: L2BlockStore): ForcedBuilder {
  return new ForcedBuilder({ queue, rpc, chainId: CHAIN_ID, store, dueSeconds: async () => DUE, logger: silentLogger() });
}

/** An ordinary producer block at `number` and `timestamp`. */
function block(number: bigint, timestamp: bigint): L2Payload {
  return { parentHash: ZERO32, feeRecipient: `0x${'00'.repeat(20)}`, stateRoot: ZERO32, receiptsRoot: ZERO32, logsBloom: `0x${'00'.repeat(256)}`, prevRandao: ZERO32, blockNumber: toHex(number), gasLimit: toHex(30_000_000), gasUsed: '0x0', timestamp: toHex(timestamp), extraData: toHex('seqpool'), baseFeePerGas: toHex(parseGwei('1')), blockHash: keccak256(toHex(`block ${number} ${timestamp}`)), transactions: [], withdrawals: [], blobGasUsed: '0x0', excessBlobGas: '0x0' };
}
/** The forced block consuming `entries`, derived as the rule derives it (at most `max`). */
async function forcedBlock(entries: ForcedEntry[], timestamp: bigint, max?: number): Promise<L2Payload> {
  const parent = keccak256(toHex('our tip'));
  return (await deriveForcedBlock(rpc, CHAIN_ID, parent, entries, { timestamp, feeRecipient: `0x${'fe'.repeat(20)}`, prevRandao: parent }, max)).payload;
}

describe('refusal: an ordinary block', () => {
  test('leaving out an entry due by its timestamp is censoring; one second before, or as a re-span\'s first block, it is not', async () => {
    const entries = await queueEntries(2);
    const { queue } = fakeQueue(entries, { consumed: 0n, nextL2Block: 1n });
    const f = builder(queue, fakeStore(9n).store);
    const due = entries[0]!.timestamp + DUE;
    expect(await f.refusal(block(10n, due - 1n), 9n, false)).toBeUndefined();
    expect(await f.refusal(block(10n, due), 9n, false)).toBe(`censoring: it leaves out forced entry 0 (mined on L1 at 1000, due in L2 blocks from timestamp ${due}; this block's is ${due})`);
    expect(await f.refusal(block(10n, due + 1_000n), 9n, true)).toBeUndefined();
  });

  test('nothing in the queue past our chain\'s cursor: nothing to leave out', async () => {
    const entries = await queueEntries(2);
    const { queue } = fakeQueue(entries, { consumed: 2n, nextL2Block: 10n });
    expect(await builder(queue, fakeStore(9n).store).refusal(block(10n, 1_000_000n), 9n, false)).toBeUndefined();
    const { queue: empty } = fakeQueue([], { consumed: 0n, nextL2Block: 1n });
    expect(await builder(empty, fakeStore(9n).store).refusal(block(10n, 1_000_000n), 9n, false)).toBeUndefined();
  });
});

describe('refusal: a forced block', () => {
  test('the derivation of the next entries is accepted; one not derived from them is refused', async () => {
    const entries = await queueEntries(3);
    const { queue } = fakeQueue(entries, { consumed: 0n, nextL2Block: 1n });
    const f = builder(queue, fakeStore(9n).store);
    const honest = await forcedBlock(entries.slice(0, 2), 1_100n);
    expect(await f.refusal(honest, 9n, false)).toBeUndefined();
    const leftOut = { ...honest, transactions: honest.transactions.slice(0, 1) };
    leftOut.blockHash = payloadBlockHash(leftOut, ZERO32);
    expect(await f.refusal(leftOut, 9n, false)).toBe(`it is not the forced block of entries 0..1 (derived ${honest.blockHash}, consuming 2)`);
  });

  test('one whose marker skips or goes back from our cursor, or names entries our L1 view lacks, is refused', async () => {
    const entries = await queueEntries(4);
    const { queue } = fakeQueue(entries, { consumed: 1n, nextL2Block: 10n, known: 2 });
    const f = builder(queue, fakeStore(9n).store);
    expect(await f.refusal(await forcedBlock(entries.slice(2, 3), 1_100n), 9n, false)).toBe("it consumes forced entries 2..2, but our chain's next entry is 1");
    expect(await f.refusal(await forcedBlock(entries.slice(0, 2), 1_100n), 9n, false)).toBe("it consumes forced entries 0..1, but our chain's next entry is 1");
    expect(await f.refusal(await forcedBlock(entries.slice(1, 3), 1_100n), 9n, false)).toBe('it consumes forced entries 1..2, which our L1 view (block 99) does not hold yet');
    expect(await f.refusal(await forcedBlock(entries.slice(1, 2), 1_100n), 9n, false)).toBeUndefined();
  });

  test(`one of more than MAX_FORCED_PER_BLOCK (${MAX_FORCED_PER_BLOCK}) entries is refused, though derived as the rule derives with that max`, async () => {
    const entries = await queueEntries(MAX_FORCED_PER_BLOCK + 1);
    const { queue } = fakeQueue(entries, { consumed: 0n, nextL2Block: 1n });
    const f = builder(queue, fakeStore(9n).store);
    const big = await forcedBlock(entries, 1_100n, MAX_FORCED_PER_BLOCK + 1);
    expect(big.extraData).toBe(forcedMarker(0n, MAX_FORCED_PER_BLOCK + 1));
    expect(await f.refusal(big, 9n, false)).toBe(`it consumes ${MAX_FORCED_PER_BLOCK + 1} forced entries; a forced block consumes at most ${MAX_FORCED_PER_BLOCK}`);
    expect(await f.refusal(await forcedBlock(entries, 1_100n), 9n, false)).toBeUndefined();
  });
});

describe('pending: where our chain is in the queue', () => {
  test('the newest marker in our blocks from nextL2Block up, not scanning below it', async () => {
    const entries = await queueEntries(10);
    const { queue } = fakeQueue(entries, { consumed: 3n, nextL2Block: 4n });
    const { store, got } = fakeStore(8n, { 2: forcedMarker(0n, 3), 5: forcedMarker(3n, 1), 6: forcedMarker(4n, 2) });
    const pending = await builder(queue, store).pending(8n);
    expect(pending.map((e) => e.index)).toEqual([6n, 7n, 8n, 9n]);
    expect(got).toEqual([8n, 7n, 6n]); // stops at the newest marker
    const { store: plainAbove, got: scanned } = fakeStore(8n, { 2: forcedMarker(0n, 3) });
    expect((await builder(fakeQueue(entries, { consumed: 3n, nextL2Block: 4n }).queue, plainAbove).pending(8n))[0]!.index).toBe(3n);
    expect(scanned).toEqual([8n, 7n, 6n, 5n, 4n]); // batched blocks are L1's cursor's business
  });

  test("L1's consumed count when our unbatched blocks hold no marker, or theirs end below it", async () => {
    const entries = await queueEntries(10);
    expect((await builder(fakeQueue(entries, { consumed: 4n, nextL2Block: 1n }).queue, fakeStore(0n).store).pending(0n))[0]!.index).toBe(4n);
    // An escape batch consumed up to 7 while our unbatched block 6 ended at 5.
    expect((await builder(fakeQueue(entries, { consumed: 7n, nextL2Block: 4n }).queue, fakeStore(8n, { 6: forcedMarker(3n, 2) }).store).pending(8n))[0]!.index).toBe(7n);
  });

  test('adopted blocks move the cursor without a rescan; reset finds it again', async () => {
    const entries = await queueEntries(10);
    const { queue, reads } = fakeQueue(entries, { consumed: 2n, nextL2Block: 1n });
    const { store, got } = fakeStore(3n);
    const f = builder(queue, store);
    f.adopted({ extraData: forcedMarker(2n, 1) }); // before the cursor is known: ignored
    expect((await f.pending(3n))[0]!.index).toBe(2n);
    f.adopted({ extraData: forcedMarker(2n, 3) });
    f.adopted({ extraData: toHex('seqpool') });
    const scans = got.length;
    expect((await f.pending(5n))[0]!.index).toBe(5n);
    expect(got.length).toBe(scans);
    f.reset();
    expect((await f.pending(3n))[0]!.index).toBe(2n);
    expect(reads.filter((r) => r === 'nextL2Block')).toHaveLength(2);
  });

  test('a batch appended on L1 between the two reads does not hide its forced blocks from both', async () => {
    // Safe block A: nothing batched. Safe block B: a batch of L2 1-4 whose block 3 consumed entries 0..1.
    // Whichever read comes first sees A, the next B: the cursor must never be read at an older block
    // than nextL2Block, or blocks 1-4 fall below the scan and their entries above the cursor.
    const entries = await queueEntries(4);
    const { queue } = fakeQueue(entries, { consumed: 0n, nextL2Block: 1n }, { consumed: 2n, nextL2Block: 5n });
    const pending = await builder(queue, fakeStore(6n, { 3: forcedMarker(0n, 2) }).store).pending(6n);
    expect(pending.map((e) => e.index)).toEqual([2n, 3n]);
  });
});

test('escape-hatch batches: the scan starts at l1StartBlock and then continues above the finalized block it last read, keeping every batch seen', async () => {
  const scans: bigint[] = [];
  let safe = 120n;
  const esc = (batchIndex: bigint, l1Block: bigint) => ({ batchIndex, firstEntry: batchIndex, count: 1n, l2StartBlock: 10n + batchIndex, l1Block, l1Timestamp: 1000n + l1Block });
  const queue: ForcedQueueSource = {
    view: async () => ({ at: safe, length: 0n, consumed: 0n, entries: [] }),
    nextL2Block: async () => 1n,
    escapesUpTo: async (from) => {
      scans.push(from);
      return { at: safe, batches: [esc(0n, 110n), esc(1n, 118n)].filter((e) => e.l1Block >= from && e.l1Block <= safe) };
    },
  };
  const b = new ForcedBuilder({ queue, rpc, chainId: CHAIN_ID, store: fakeStore(0n).store, dueSeconds: async () => DUE, l1StartBlock: 100n, logger: silentLogger() });
  expect((await b.escapes()).map((e) => e.batchIndex)).toEqual([0n, 1n]);
  safe = 125n;
  expect((await b.escapes()).map((e) => e.batchIndex)).toEqual([0n, 1n]);
  expect(scans).toEqual([100n, 121n]);
});
