// bench:forced reads its figures from outside the pool, so what it reads must be right: the watcher
// keeps a geth's canonical chain through a reorg (a censoring producer's own geth drops the blocks the
// pool replaces), the L1 batch reader takes each batch's consumed entries from its signed header's
// cursor and appendBatch's execution only from receipts not priced at the EIP-7623 floor, and the
// report's goals compare what they say they compare.
import { encodeFunctionData, keccak256, toHex, type Address, type Hex, type PublicClient } from 'viem';
import { abiOf } from '../../contracts/artifacts.js';
import { ChainWatcher, L1Batches, type L1BatchRecord } from '../../bench/forced-observe.js';
import { batchIntervals, forcedReport, type Landed } from '../../bench/forced-report.js';

const h32 = (s: string): Hex => keccak256(toHex(s));
const waitFor = async (what: string, ok: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

interface FakeBlock {
  hash: Hex;
  miner: Address;
  timestamp: bigint;
  extraData: Hex;
  transactions: Hex[];
}
const block = (tag: string, n: number, txs: string[] = []): FakeBlock => ({ hash: h32(`${tag}${n}`), miner: '0x00000000000000000000000000000000000000aa', timestamp: BigInt(n), extraData: '0x', transactions: txs.map(h32) });

test('the chain watcher follows a reorg: replaced blocks move to dropped, their transactions are no longer found, the new branch is recorded', async () => {
  let chain: FakeBlock[] = [block('a', 1), block('a', 2, ['t2']), block('a', 3, ['t3'])];
  const client = {
    getBlockNumber: async () => BigInt(chain.length),
    getBlock: async ({ blockNumber }: { blockNumber: bigint }) => {
      const b = chain[Number(blockNumber) - 1];
      if (!b) throw new Error(`no block ${blockNumber}`);
      return b;
    },
  } as unknown as PublicClient;
  const w = new ChainWatcher(client, 1n);
  try {
    await waitFor('three blocks', () => w.seen.size === 3);
    expect(w.blockOf(h32('t3'))).toBe(3n);
    // Forkchoice moves to a branch from block 1 that is shorter at first, then grows past the old head.
    chain = [chain[0]!, block('b', 2, ['t2b'])];
    await waitFor('the shorter branch', () => w.seen.get(2n)?.hash === h32('b2') && !w.seen.has(3n));
    chain = [...chain, block('b', 3), block('b', 4, ['t4b'])];
    await waitFor('the branch grown', () => w.seen.size === 4);
  } finally {
    await w.stop();
  }
  expect(w.dropped.map((d) => [d.number, d.block.hash])).toEqual([
    [3n, h32('a3')],
    [2n, h32('a2')],
  ]);
  expect(w.blockOf(h32('t2'))).toBeUndefined();
  expect(w.blockOf(h32('t3'))).toBeUndefined();
  expect(w.blockOf(h32('t2b'))).toBe(2n);
  expect(w.blockOf(h32('t4b'))).toBe(4n);
  expect(w.seen.get(1n)!.hash).toBe(h32('a1'));
});

test('L1 batches: consumed entries are the header cursor minus the previous batch\'s, execution is read only from standard-priced receipts', async () => {
  const inbox: Address = '0x00000000000000000000000000000000000000bb';
  const header = (i: number, cursor: bigint) => ({ batchIndex: BigInt(i), prevBatchHash: h32(`p${i}`), l2StartBlock: BigInt(1 + 5 * i), l2EndBlock: BigInt(5 + 5 * i), dataHash: h32(`d${i}`), producer: inbox, forcedCursor: cursor, forcedChainHash: h32(`c${cursor}`) });
  const input = (i: number, cursor: bigint) => encodeFunctionData({ abi: abiOf('BatchInbox'), functionName: 'appendBatch', args: [header(i, cursor), '0x01', `0x${'11'.repeat(96)}`] });
  const calls = [input(0, 0n), input(1, 2n), input(2, 2n), input(3, 3n)];
  const tokensOf = (h: Hex) => [...Buffer.from(h.slice(2), 'hex')].reduce((n, b) => n + (b === 0 ? 1 : 4), 0);
  // Batch 2 paid the floor (10 per token); the others 60,000 of execution on top of standard calldata.
  const gas = calls.map((c, i) => (i === 2 ? BigInt(21_000 + 10 * tokensOf(c)) : BigInt(21_000 + 4 * tokensOf(c) + 60_000 + i)));
  let head = 2n; // the first refresh sees batches 0 and 1 only
  const logs = calls.map((_, i) => ({ args: { batchIndex: BigInt(i), l2StartBlock: BigInt(1 + 5 * i), l2EndBlock: BigInt(5 + 5 * i), producer: inbox }, blockNumber: BigInt(i + 1), transactionHash: h32(`tx${i}`) }));
  const idx = (hash: Hex) => logs.findIndex((l) => l.transactionHash === hash);
  const l1 = {
    getBlockNumber: async () => head,
    getContractEvents: async ({ fromBlock, toBlock }: { fromBlock: bigint; toBlock: bigint }) => logs.filter((l) => l.blockNumber >= fromBlock && l.blockNumber <= toBlock),
    getTransaction: async ({ hash }: { hash: Hex }) => ({ input: calls[idx(hash)] }),
    getTransactionReceipt: async ({ hash }: { hash: Hex }) => ({ gasUsed: gas[idx(hash)] }),
    getBlock: async ({ blockNumber }: { blockNumber: bigint }) => ({ timestamp: 1000n + 6n * blockNumber }),
  } as unknown as PublicClient;
  const b = new L1Batches(l1, inbox);
  expect((await b.refresh()).map((r) => r.index)).toEqual([0n, 1n]);
  head = 4n;
  const rs = await b.refresh();
  expect(rs.map((r) => r.index)).toEqual([0n, 1n, 2n, 3n]);
  expect(rs.map((r) => r.consumed)).toEqual([0, 2, 0, 1]);
  expect(rs.map((r) => r.execution)).toEqual([60_000, 60_001, undefined, 60_003]);
  expect(rs.map((r) => r.l1Time)).toEqual([1006n, 1012n, 1018n, 1024n]);
  expect(b.covering(12n)?.index).toBe(2n);
});

const batch = (index: number, l1Time: number, consumed: number, execution?: number): L1BatchRecord => ({ index: BigInt(index), l2Start: BigInt(index * 5 + 1), l2End: BigInt(index * 5 + 5), producer: '0x00000000000000000000000000000000000000cc', l1Block: BigInt(l1Time), l1Time: BigInt(l1Time), txHash: h32(`b${index}`), forcedCursor: 0n, consumed, gasUsed: 0n, execution });
const landed = (index: number, t0: number, batchSecs: number, b: L1BatchRecord, l2Secs = 3): Landed => ({ f: { user: 0, index: BigInt(index), t0: BigInt(t0), wallAt: 0, l2Tx: h32(`l${index}`), gasUsed: 80_000n, txBytes: 116 }, l2Block: b.l2Start, miner: 'node1', l2WallMs: l2Secs * 1000, l2Secs, batch: b, batchSecs });
const params = { l1Confirmations: 2, batchMaxAgeSeconds: 5, forcedDueSeconds: 8, l2StallSeconds: 5 };

test('the batch interval is measured between consecutive batches inside the honest phase only', () => {
  const bs = [batch(0, 90, 0), batch(1, 100, 0), batch(2, 106, 1), batch(3, 112, 0), batch(4, 200, 0)];
  const honest = [landed(0, 101, 5, bs[2]!), landed(1, 104, 8, bs[3]!)];
  // Batches 2 (106) and 3 (112) fall between the first t0 (101) and the last batch holding an entry (112).
  expect(batchIntervals(bs, honest)).toEqual([6]);
});

test('the report calls the honest goal against two measured batch intervals and each censored round against forceWindow plus its own failover', () => {
  const bs = [batch(0, 100, 0), batch(1, 105, 0, 50_000), batch(2, 110, 1, 52_900), batch(3, 115, 0, 50_010)];
  const report = (batchSecs: number, gapMs: number) =>
    forcedReport({
      honest: [landed(0, 101, batchSecs, bs[2]!), landed(1, 102, batchSecs, bs[3]!)],
      rounds: [{ landed: landed(2, 100, 15, bs[3]!, 24), censor: 'node2', watched: 'node0', gap: { from: 40n, to: 41n, ms: gapMs, respan: true }, missesBefore: 0, missesAfter: 1 }],
      batches: bs,
      forceWindow: 20n,
      escapeDelay: 60n,
      params,
      odd: [],
      trouble: [
        { msg: 'often', level: 40, count: 9, nodes: ['node0'] },
        { msg: 'L1 tx reverted on chain', level: 50, count: 1, nodes: ['node1'] },
      ],
    });
  // Intervals 5 s: two batches are 10 s.
  expect(report(9, 6_000)).toContain('entry -> batch on L1 p50 9 s: met');
  expect(report(11, 6_000)).toContain('entry -> batch on L1 p50 11 s: not met');
  // 24 s into the L2 against 20 s + the gap.
  expect(report(9, 6_000)).toContain('round 1 24 s into the L2 (met)');
  expect(report(9, 3_000)).toContain('round 1 24 s into the L2 (not met)');
  // The last batch that left the entry out reached L1 at 110, 10 s after the entry's 100.
  expect(report(9, 6_000)).toContain('| +10 s (batch 2) |');
  // Errors are named before the most frequent warnings.
  expect(report(9, 6_000)).toContain('Errors the nodes and sidecars logged: 1x "L1 tx reverted on chain" (node1). Most frequent warnings: 9x "often" (node0).');
  // appendBatch execution: the batch consuming an entry against the others (nearest-rank median, the upper of
  // two), the first batch left out.
  expect(report(9, 6_000)).toMatch(/median 52900 over the 1 batches\s+consuming one or more entries against 50010 over the 2 consuming none .*~2890 gas/s);
});
