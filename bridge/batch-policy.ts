// When the producer closes a batch, and what it holds (issue 13, docs/pool.md "Batches"). A batch
// starts at the first unbatched L2 block and may reach the last block it can cover (the attested
// head, the end of the producer's range, maxBatchBlocks). It closes at the first of:
//   - size: the next block would take its data above maxBatchBytes (compressed);
//   - range: it reaches the end of the producer's range (a re-span or the epoch's end);
//   - count: it holds maxBatchBlocks blocks;
//   - age: its oldest block is batchMaxAgeSeconds old (by that block's timestamp).
// Until then it stays open and the producer waits: fewer, fuller batches amortise appendBatch's
// fixed L1 cost over more L2 blocks. Blocks read from the L2 are kept between steps (the open
// batch is re-read only when the L2 under it changed), bounded by the blocks one batch may hold.
import type { L2Payload } from '../protocol/l2-block.js';
import { batchContentOf, compressBody, encodeBatchBody, type L2PayloadSource } from '../protocol/batch-data.js';

export interface BatchBounds {
  /** The first unbatched L2 block. */
  start: bigint;
  /** The last block this batch may cover (attested head, range end, maxBatchBlocks). */
  end: bigint;
  /** True when `end` is the end of the producer's range or the maxBatchBlocks-th block. */
  endIsFinal: boolean;
  maxBatchBytes: number;
  batchMaxAgeSeconds: bigint;
  /** Wall clock, ms. */
  now: number;
}

export type BatchChoice = { close: true; end: bigint; data: Uint8Array; why: 'size' | 'range' | 'age' } | { close: false; why: string };

/** Brotli never grows a body by more than this (a few bytes per 16 MiB meta-block, and the version byte). */
const EXPANSION_SLACK = 64;

export class BatchPolicy {
  private readonly cache = new Map<bigint, L2Payload>();

  constructor(private readonly l2: L2PayloadSource) {}

  /** Blocks [start, end], from the cache where it still chains, else from the L2. */
  private async blocks(start: bigint, end: bigint): Promise<L2Payload[]> {
    for (const n of this.cache.keys()) if (n < start || n > end) this.cache.delete(n);
    const out: L2Payload[] = [];
    for (let n = start; n <= end; n++) {
      let p = this.cache.get(n);
      const prev = out[out.length - 1];
      if (p && prev && p.parentHash !== prev.blockHash) p = undefined; // the L2 under us changed
      if (!p) {
        p = await this.l2.payload(n);
        this.cache.set(n, p);
      }
      out.push(p);
    }
    return out;
  }

  /** Whether to close the batch now, and with which blocks and data. */
  async choose(b: BatchBounds): Promise<BatchChoice> {
    const ps = await this.blocks(b.start, b.end);
    const dataOf = (k: number): Uint8Array => compressBody(encodeBatchBody(batchContentOf(ps.slice(0, k))));
    // All of them fit? (The body's size bounds the data's, so most steps compress nothing.)
    let k = ps.length;
    let data: Uint8Array | undefined;
    if (encodeBatchBody(batchContentOf(ps)).length + EXPANSION_SLACK > b.maxBatchBytes) {
      data = dataOf(k);
      if (data.length > b.maxBatchBytes) {
        // The largest prefix that fits: binary search, each probe one compression.
        let lo = 0;
        let hi = k - 1;
        data = undefined;
        while (lo < hi) {
          const mid = Math.ceil((lo + hi + 1) / 2);
          const d = dataOf(mid);
          if (d.length <= b.maxBatchBytes) {
            lo = mid;
            data = d;
          } else hi = mid - 1;
        }
        if (lo === 0) {
          const alone = dataOf(1).length;
          return { close: false, why: `L2 block ${b.start} alone is ${alone} bytes of batch data, above maxBatchBytes ${b.maxBatchBytes}: it cannot be batched (raise maxBatchBytes in genesis, or bound the L2's block gas so a block compresses below it)` };
        }
        k = lo;
        data ??= dataOf(k);
        return { close: true, end: b.start + BigInt(k - 1), data, why: 'size' };
      }
    }
    const oldest = Number(BigInt(ps[0]!.timestamp)) * 1000;
    const age = b.now - oldest;
    if (b.endIsFinal) return { close: true, end: b.end, data: data ?? dataOf(k), why: 'range' };
    if (age >= Number(b.batchMaxAgeSeconds) * 1000) return { close: true, end: b.end, data: data ?? dataOf(k), why: 'age' };
    return { close: false, why: `batch open: ${k} L2 blocks ${b.start}-${b.end}, oldest ${Math.floor(age / 1000)} s old (closes at ${b.batchMaxAgeSeconds} s, ${b.maxBatchBytes} bytes or the range end)` };
  }
}
