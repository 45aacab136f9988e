// protocol/forced-queue.ts (issue 16, decision 46): the forced-block marker, the queue's hash chain as
// BatchInbox computes it (a real anvil), and ForcedQueueReader, which reads the entries at the block
// its caller deems safe and believes no event the contract's own chain hashes do not vouch for: an
// L1 RPC that drops or alters an entry is caught, and nothing it returned is cached.
import { keccak256, toHex, type Address, type Hex } from 'viem';
import { FORCED_QUEUE_ABI, ForcedQueueError, ForcedQueueReader, forcedMarker, MAX_FORCED_PER_ESCAPE, nextChainHash, parseForcedMarker, ZERO_CHAIN, type ForcedQueueL1 } from '../../protocol/forced-queue.js';
import { PoolKey, startChain, type Chain } from '../contracts/helpers.js';

describe('the forced-block marker (extraData)', () => {
  test('forcedMarker and parseForcedMarker round-trip: "sqf1", the first entry (uint64), the count (uint16)', () => {
    for (const [first, count] of [[0n, 1], [12_345n, 16], [2n ** 64n - 1n, MAX_FORCED_PER_ESCAPE]] as const) {
      const m = forcedMarker(first, count);
      expect(m).toMatch(/^0x73716631[0-9a-f]{20}$/);
      expect(parseForcedMarker(m)).toEqual({ first, count });
      expect(parseForcedMarker(m.toUpperCase().replace('0X', '0x'))).toEqual({ first, count });
    }
    expect(forcedMarker(258n, 3)).toBe('0x7371663100000000000001020003');
  });

  test('a count outside 1..64 is refused; wrong magic, wrong length, count 0 or over 64 is an ordinary block', () => {
    expect(() => forcedMarker(0n, 0)).toThrow(new ForcedQueueError('a forced block consumes 1..64 entries, not 0'));
    expect(() => forcedMarker(0n, 65)).toThrow(ForcedQueueError);
    const m = forcedMarker(7n, 2);
    expect(parseForcedMarker(`0x73716632${m.slice(10)}`)).toBeUndefined(); // "sqf2"
    expect(parseForcedMarker(`${m}00`)).toBeUndefined();
    expect(parseForcedMarker(m.slice(0, -2))).toBeUndefined();
    expect(parseForcedMarker(`${m.slice(0, -4)}0000`)).toBeUndefined();
    expect(parseForcedMarker(`${m.slice(0, -4)}0041`)).toBeUndefined(); // 65
    expect(parseForcedMarker(`${m.slice(0, -4)}0040`)).toEqual({ first: 7n, count: 64 });
    expect(parseForcedMarker('0x')).toBeUndefined();
    expect(parseForcedMarker(toHex('seqpool block 12'))).toBeUndefined();
  });
});

describe('the queue on L1 (anvil, BatchInbox)', () => {
  const FEE = 10n ** 15n;
  let chain: Chain;
  let inbox: Address;
  let deployedAt: bigint;
  const txs: Hex[] = ['0x01', toHex('a forced transaction'), toHex(new Uint8Array(16_384).fill(7)), '0x02', toHex('the last one')];
  const included: { block: bigint; timestamp: bigint }[] = [];

  beforeAll(async () => {
    chain = await startChain();
    const key = new PoolKey(4, 3);
    inbox = await chain.deploy('BatchInbox', [chain.accounts[0]!.address, key.groupKey, 1n, FEE, 3_600n, 3_600n]);
    deployedAt = await chain.pub.getBlockNumber({ cacheTime: 0 });
    for (const tx of txs) included.push(await forceInclude(inbox, tx));
  }, 60_000);
  afterAll(async () => chain?.stop());

  async function forceInclude(at: Address, tx: Hex): Promise<{ block: bigint; timestamp: bigint }> {
    const from = chain.accounts[3]!;
    const hash = await chain.wallet(from).writeContract({ abi: FORCED_QUEUE_ABI, address: at, functionName: 'forceInclude', args: [tx], value: FEE, account: from, chain: null });
    const r = await chain.pub.waitForTransactionReceipt({ hash });
    if (r.status !== 'success') throw new Error('forceInclude reverted');
    return { block: r.blockNumber, timestamp: (await chain.pub.getBlock({ blockNumber: r.blockNumber })).timestamp };
  }
  const chainAt = (at: Address, i: bigint) => chain.pub.readContract({ address: at, abi: FORCED_QUEUE_ABI, functionName: 'forcedChainAt', args: [i] });
  const l1 = (): ForcedQueueL1 => chain.pub as unknown as ForcedQueueL1;
  /** An L1 client whose ForcedInclusion events pass through `edit` (a lying or lossy RPC), counting the event reads. */
  function lyingL1(edit: (events: { args: Record<string, unknown>; blockNumber: bigint | null }[]) => { args: Record<string, unknown>; blockNumber: bigint | null }[]) {
    const calls = { events: 0 };
    const client: ForcedQueueL1 = {
      readContract: (a) => l1().readContract(a),
      getBlock: (a) => l1().getBlock(a),
      async getContractEvents(a) {
        calls.events++;
        const evs = (await l1().getContractEvents(a)) as unknown as { args: Record<string, unknown>; blockNumber: bigint | null }[];
        return edit(evs.map((e) => ({ ...e, args: { ...e.args } })));
      },
    };
    return { client, calls };
  }

  test("nextChainHash, applied off chain from zero, is BatchInbox's chain after every entry", async () => {
    let prev = ZERO_CHAIN;
    expect(await chainAt(inbox, 0n)).toBe(ZERO_CHAIN);
    for (const [i, tx] of txs.entries()) {
      prev = nextChainHash(prev, tx, included[i]!.block, included[i]!.timestamp);
      expect(await chainAt(inbox, BigInt(i + 1))).toBe(prev);
    }
    // Each of the hashed fields matters.
    const [t0, b0] = [included[0]!.timestamp, included[0]!.block];
    const first = await chainAt(inbox, 1n);
    for (const other of [nextChainHash(ZERO_CHAIN, '0x02', b0, t0), nextChainHash(ZERO_CHAIN, txs[0]!, b0 + 1n, t0), nextChainHash(ZERO_CHAIN, txs[0]!, b0, t0 + 1n), nextChainHash(keccak256('0x'), txs[0]!, b0, t0)]) {
      expect(other).not.toBe(first);
    }
  });

  test('view reads the entries at the safe block: an entry mined after it is not there yet', async () => {
    let safe = included[2]!.block; // entries 0..2 only
    const reader = new ForcedQueueReader(l1(), inbox, async () => safe);
    const early = await reader.view(0n);
    expect(early).toMatchObject({ at: safe, length: 3n, consumed: 0n });
    expect(early.entries.map((e) => e.tx)).toEqual(txs.slice(0, 3));
    expect((await reader.view(3n)).entries).toEqual([]);
    safe = await chain.pub.getBlockNumber({ cacheTime: 0 });
    const all = await reader.view(0n);
    expect(all.length).toBe(5n);
    for (const [i, e] of all.entries.entries()) {
      expect(e).toEqual({ index: BigInt(i), chainHash: await chainAt(inbox, BigInt(i + 1)), l1Block: included[i]!.block, timestamp: included[i]!.timestamp, tx: txs[i] });
    }
    expect((await reader.view(1n, 2)).entries.map((e) => e.index)).toEqual([1n, 2n]);
    expect((await reader.view(4n, 10)).entries.map((e) => e.index)).toEqual([4n]);
    expect((await reader.view(5n)).entries).toEqual([]);
    expect(await reader.chainAt(0n)).toBe(ZERO_CHAIN);
    for (let i = 1n; i <= 5n; i++) expect(await reader.chainAt(i)).toBe(await chainAt(inbox, i));
  });

  test('an RPC that alters, drops or rewrites an entry is refused with ForcedQueueError, and nothing it said is cached', async () => {
    const safe = async () => chain.pub.getBlockNumber({ cacheTime: 0 });
    const flip = (tx: Hex): Hex => `${tx.slice(0, -2)}${((parseInt(tx.slice(-2), 16) ^ 1) & 0xff).toString(16).padStart(2, '0')}` as Hex;
    let lying = true;
    const altered = lyingL1((evs) => evs.map((e) => (lying && e.args.index === 2n ? { ...e, args: { ...e.args, l2Tx: flip(e.args.l2Tx as Hex) } } : e)));
    const reader = new ForcedQueueReader(altered.client, inbox, safe);
    await expect(reader.view(0n)).rejects.toThrow(new ForcedQueueError("forced entry 2 from the L1 RPC does not continue the queue's hash chain"));
    await expect(reader.view(2n, 1)).rejects.toThrow(ForcedQueueError);
    lying = false; // the same reader, honest answers: it refetches, so nothing of the lie was kept
    expect((await reader.view(0n)).entries[2]!.tx).toBe(txs[2]);

    const dropped = lyingL1((evs) => evs.filter((e) => e.args.index !== 3n));
    await expect(new ForcedQueueReader(dropped.client, inbox, safe).view(0n)).rejects.toThrow(/^the L1 RPC returned no ForcedInclusion event for entry 3 \(L1 blocks \d+\.\.\d+\)$/);

    // The last entry rewritten with a chain hash made to fit it: only the contract's own hash at the end catches it.
    const rewritten = lyingL1((evs) =>
      evs.map((e) => {
        if (e.args.index !== 4n) return e;
        const l2Tx = flip(e.args.l2Tx as Hex);
        return { ...e, args: { ...e.args, l2Tx, chainHash: nextChainHash(evs.find((x) => x.args.index === 3n)!.args.chainHash as Hex, l2Tx, e.args.l1Block as bigint, e.args.timestamp as bigint) } };
      }),
    );
    await expect(new ForcedQueueReader(rewritten.client, inbox, safe).view(0n)).rejects.toThrow(/^forced entries 0\.\.4 from the L1 RPC end on chain hash 0x[0-9a-f]{64}, the contract holds 0x[0-9a-f]{64}$/);
  });

  test('entries read are cached: a view from the same or a later entry reads no event, one from below the last view reads them again', async () => {
    const counted = lyingL1((evs) => evs);
    const reader = new ForcedQueueReader(counted.client, inbox, async () => chain.pub.getBlockNumber({ cacheTime: 0 }));
    const first = await reader.view(0n);
    expect(counted.calls.events).toBe(1);
    expect(await reader.view(0n)).toEqual(first);
    expect((await reader.view(2n, 2)).entries).toEqual(first.entries.slice(2, 4));
    expect(counted.calls.events).toBe(1);
    // Entries below the last `from` were dropped.
    expect((await reader.view(0n, 1)).entries).toEqual(first.entries.slice(0, 1));
    expect(counted.calls.events).toBe(2);
  });

  test('escapes() lists the ForcedBatchAppended batches from a block up to the safe one, with their L1 block and time', async () => {
    const hatch = await chain.deploy('BatchInbox', [chain.accounts[0]!.address, new PoolKey(4, 3).groupKey, 1n, FEE, 1n, 1n]);
    const from = await chain.pub.getBlockNumber({ cacheTime: 0 });
    for (const tx of txs.slice(0, 3)) await forceInclude(hatch, tx);
    await chain.increaseTime(10); // every entry is past forceWindow + escapeDelay
    const escape = async (count: bigint) => (await chain.write(chain.accounts[4]!, hatch, 'BatchInbox', 'appendForcedBatch', [count])).blockNumber;
    const [b0, b1] = [await escape(2n), await escape(1n)];
    let safe = await chain.pub.getBlockNumber({ cacheTime: 0 });
    const reader = new ForcedQueueReader(l1(), hatch, async () => safe);
    const time = async (b: bigint) => (await chain.pub.getBlock({ blockNumber: b })).timestamp;
    expect(await reader.escapes(from)).toEqual([
      { batchIndex: 0n, firstEntry: 0n, count: 2n, l2StartBlock: 1n, l1Block: b0, l1Timestamp: await time(b0) },
      { batchIndex: 1n, firstEntry: 2n, count: 1n, l2StartBlock: 3n, l1Block: b1, l1Timestamp: await time(b1) },
    ]);
    expect((await reader.escapes(b0 + 1n)).map((e) => e.batchIndex)).toEqual([1n]);
    expect(await reader.escapes(safe + 1n)).toEqual([]);
    safe = b0; // the second is not safe yet
    expect((await reader.escapes(from)).map((e) => e.batchIndex)).toEqual([0n]);
    expect((await reader.view(0n)).consumed).toBe(2n);
    expect(await reader.nextL2Block()).toBe(3n);
    expect(await new ForcedQueueReader(l1(), inbox, async () => safe).escapes(deployedAt)).toEqual([]);
  });
});

describe('ForcedQueueReader cache bound (a fake L1 of 600 entries)', () => {
  const COUNT = 600;
  const entries: { index: bigint; chainHash: Hex; l1Block: bigint; timestamp: bigint; l2Tx: Hex }[] = [];
  let prev = ZERO_CHAIN;
  for (let i = 0; i < COUNT; i++) {
    const e = { index: BigInt(i), l1Block: 100n + BigInt(i), timestamp: 1_000n + BigInt(i), l2Tx: toHex(`forced ${i}`) };
    prev = nextChainHash(prev, e.l2Tx, e.l1Block, e.timestamp);
    entries.push({ ...e, chainHash: prev });
  }
  const fetchedFrom: bigint[] = [];
  const fake: ForcedQueueL1 = {
    async readContract({ functionName, args }) {
      const i = (args?.[0] as bigint | undefined) ?? 0n;
      if (functionName === 'forcedQueueLength') return BigInt(COUNT);
      if (functionName === 'forcedCursor') return 0n;
      if (functionName === 'forcedChainAt') return i === 0n ? ZERO_CHAIN : entries[Number(i) - 1]!.chainHash;
      if (functionName === 'forcedEntry') {
        fetchedFrom.push(i);
        const e = entries[Number(i)]!;
        return [e.chainHash, e.l1Block, e.timestamp];
      }
      throw new Error(`unexpected read ${functionName}`);
    },
    async getContractEvents({ fromBlock, toBlock }) {
      return entries.filter((e) => e.l1Block >= fromBlock && e.l1Block <= toBlock).map((e) => ({ args: e, blockNumber: e.l1Block }));
    },
    getBlock: async () => ({ timestamp: 0n }),
  };

  test(`at most MAX_CACHED (${ForcedQueueReader.MAX_CACHED}) entries are kept; the rest are read again`, async () => {
    const reader = new ForcedQueueReader(fake, `0x${'11'.repeat(20)}`, async () => 10_000n);
    const all = await reader.view(0n, COUNT);
    expect(all.entries.map((e) => e.tx)).toEqual(entries.map((e) => e.l2Tx));
    expect(fetchedFrom).toEqual([0n]);
    expect(await reader.view(0n, COUNT)).toEqual(all);
    expect(fetchedFrom).toEqual([0n, BigInt(ForcedQueueReader.MAX_CACHED)]);
  });
});
