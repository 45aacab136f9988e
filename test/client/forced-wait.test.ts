// The --wait logic of `seqpool l2 force-include` (client/forced-wait.ts) on fake L1 and L2 sources and
// a fake clock: the L2 block once the receipt appears, then the first BatchAppended covering it, read
// in bounded chunks from the forceInclude's L1 block and never twice; an entry L1 says is consumed
// while the L2 has no receipt is reported as consumed-as-invalid after the grace period, not before;
// a dead node is retried until the timeout, which names what was awaited and the last error.
import type { Hex } from 'viem';
import { ForcedWaitError, waitForForcedTx, type BatchEvent, type WaitL1, type WaitL2, type WaitOptions } from '../../client/forced-wait.js';

const HASH = `0x${'ab'.repeat(32)}` as Hex;

function clock() {
  let t = 1_000_000;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), advance: (ms: number) => (t += ms) };
}

function batch(index: bigint, start: bigint, end: bigint, l1Block: bigint): BatchEvent {
  return { batchIndex: index, l2StartBlock: start, l2EndBlock: end, l1Block, l1TxHash: `0x${index.toString(16).padStart(64, '0')}` as Hex };
}

function fakes(o: { receiptAfterPolls?: number; l2Block?: bigint; cursor?: bigint; head?: bigint; events?: BatchEvent[]; l2Down?: boolean }) {
  let polls = 0;
  const ranges: [bigint, bigint][] = [];
  const l2: WaitL2 = {
    receipt: async () => {
      if (o.l2Down) throw Object.assign(new Error('fetch failed'), { shortMessage: 'HTTP request failed.' });
      polls++;
      return o.receiptAfterPolls !== undefined && polls > o.receiptAfterPolls ? { blockNumber: o.l2Block ?? 57n, status: 'success' } : null;
    },
  };
  const l1: WaitL1 = {
    head: async () => o.head ?? 140n,
    forcedCursor: async () => o.cursor ?? 0n,
    batches: async (from, to) => {
      ranges.push([from, to]);
      return (o.events ?? []).filter((e) => e.l1Block >= from && e.l1Block <= to);
    },
  };
  return { l1, l2, ranges, polls: () => polls };
}

const base = (c: ReturnType<typeof clock>, f: ReturnType<typeof fakes>, more: Partial<WaitOptions> = {}): WaitOptions => ({
  l1: f.l1,
  l2: f.l2,
  txHash: HASH,
  entry: 4n,
  fromL1Block: 100n,
  timeoutMs: 60_000,
  now: c.now,
  sleep: c.sleep,
  ...more,
});

test('the L2 block once its receipt appears, then the first batch covering it, scanned in chunks from the entry', async () => {
  const c = clock();
  const f = fakes({ receiptAfterPolls: 3, l2Block: 57n, head: 140n, events: [batch(11n, 50n, 56n, 118n), batch(12n, 57n, 60n, 131n), batch(13n, 57n, 57n, 135n)] });
  const seen: bigint[] = [];
  const r = await waitForForcedTx(base(c, f, { logChunk: 10n, onL2Block: (n) => seen.push(n) }));
  expect(r).toEqual({ l2Block: 57n, status: 'success', batch: batch(12n, 57n, 60n, 131n) });
  expect(seen).toEqual([57n]);
  expect(f.polls()).toBe(4);
  // From the forceInclude's block, contiguous, at most 10 blocks each, stopping at the hit.
  expect(f.ranges).toEqual([
    [100n, 109n],
    [110n, 119n],
    [120n, 129n],
    [130n, 139n],
  ]);
});

test('a batch not yet on L1: waits, reads only new L1 blocks, and finds it when it lands', async () => {
  const c = clock();
  const events: BatchEvent[] = [];
  let head = 105n;
  const f = fakes({ receiptAfterPolls: 0, l2Block: 9n, events });
  f.l1.head = async () => head;
  const p = waitForForcedTx(base(c, f, { sleep: async (ms) => {
    c.advance(ms);
    head += 1n;
    if (head === 110n) events.push(batch(2n, 5n, 12n, 110n));
  } }));
  expect((await p).batch.batchIndex).toBe(2n);
  const read = f.ranges.flatMap(([a, b]) => Array.from({ length: Number(b - a + 1n) }, (_, i) => a + BigInt(i)));
  expect(read).toEqual([100n, 101n, 102n, 103n, 104n, 105n, 106n, 107n, 108n, 109n, 110n]); // each L1 block once
});

test('consumed on L1 without a receipt on the L2: consumed as invalid, reported after the grace period', async () => {
  const c = clock();
  const f = fakes({ cursor: 5n });
  const start = c.now();
  const err = (await waitForForcedTx(base(c, f, { invalidGraceMs: 15_000 })).catch((e: unknown) => e)) as ForcedWaitError;
  expect(err).toBeInstanceOf(ForcedWaitError);
  expect(err.kind).toBe('invalid');
  expect(err.message).toMatch(/^entry 4 is consumed on L1 \(BatchInbox\.forcedCursor is past it\), but the L2 has no receipt for 0xabab.* after 15 s more: the pool consumed it as invalid/);
  expect(c.now() - start).toBeGreaterThanOrEqual(15_000);
  expect(c.now() - start).toBeLessThan(17_000);
  // A cursor at the entry (not past it) is not consumption: the timeout ends that wait.
  const c2 = clock();
  const notYet = (await waitForForcedTx(base(c2, fakes({ cursor: 4n }), { timeoutMs: 30_000 })).catch((e: unknown) => e)) as ForcedWaitError;
  expect(notYet.kind).toBe('timeout');
});

test('a dead L2 is retried until the timeout, which names what it waited for and the last error; progress every 5 s', async () => {
  const c = clock();
  const lines: string[] = [];
  const err = (await waitForForcedTx(base(c, fakes({ l2Down: true }), { timeoutMs: 20_000, progress: (l) => lines.push(l) })).catch((e: unknown) => e)) as ForcedWaitError;
  expect(err.kind).toBe('timeout');
  expect(err.message).toBe(`no L2 block after 20 s: still waiting for transaction ${HASH} on the L2; last error: HTTP request failed. Raise --timeout, or check the pool (GET /forced-queue on a node's gateway)`);
  expect(lines).toEqual([
    '[5 s] waiting for the L2 to include entry 4 (HTTP request failed; retrying)',
    '[10 s] waiting for the L2 to include entry 4 (HTTP request failed; retrying)',
    '[15 s] waiting for the L2 to include entry 4 (HTTP request failed; retrying)',
  ]);

  const c2 = clock();
  const noBatch = (await waitForForcedTx(base(c2, fakes({ receiptAfterPolls: 0, l2Block: 70n, head: 150n }), { timeoutMs: 10_000 })).catch((e: unknown) => e)) as ForcedWaitError;
  expect(noBatch.message).toBe("no batch after 10 s: still waiting for a batch on L1 covering L2 block 70 (BatchAppended events read up to L1 block 150). Raise --timeout, or check the pool (GET /forced-queue on a node's gateway)");
});
