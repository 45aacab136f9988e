// The L2 adapter's questions (l2/schedule.ts) answered from this node's committed app state, through
// the same query paths an L2 client uses: /producer/{h}, /epoch/current, /batch/meta, /batch/{i}.
// Answers are cached per committed height (a follower asks about the same heights every tick).
// L2 finality: safe = the L2 blocks of batches the pool saw appended to L1; finalized = those of
// batches whose L1 block is final by L1's own `finalized` tag (read here at most every few seconds).
import type { Hex } from 'viem';
import type { PoolView } from '../bridge/pool-view.js';
import type { L2Schedule, L2Settled, L2Slot } from '../l2/schedule.js';

export interface PoolL2ScheduleOptions {
  pool: PoolView;
  /** The app's committed height. */
  height: () => bigint;
  /** The block time of that height (unix seconds, 0 before the first commit of this process). */
  time: () => bigint;
  /** L1's finalized block number (undefined: unknown, then nothing is finalized beyond what was). */
  l1Finalized?: () => Promise<bigint | undefined>;
  /** How long an L1 finalized-block answer is reused (default 4 s). */
  l1FinalizedTtlMs?: number;
}

const MAX_CACHED_SLOTS = 4096;
/** Batches examined back from the newest finalized one when looking for the last final on L1. */
const FINALITY_LOOKBACK = 64n;

export class PoolL2Schedule implements L2Schedule {
  private cachedAt = -1n;
  private readonly slots = new Map<bigint, L2Slot | undefined>();
  private head: bigint | undefined;
  private settledCache: L2Settled | undefined;
  private l1Final: { at: number; block: bigint | undefined } = { at: 0, block: undefined };
  private finalizedFloor = 0n;

  constructor(private readonly o: PoolL2ScheduleOptions) {}

  poolHeight(): bigint {
    return this.o.height();
  }

  poolTime(): bigint {
    return this.o.time();
  }

  private fresh(): void {
    const h = this.o.height();
    if (h === this.cachedAt) return;
    this.cachedAt = h;
    this.slots.clear();
    this.head = undefined;
    this.settledCache = undefined;
  }

  async slot(l2Height: bigint): Promise<L2Slot | undefined> {
    this.fresh();
    if (this.slots.has(l2Height)) return this.slots.get(l2Height);
    const p = await this.o.pool.producer(l2Height);
    const slot = p && { signer: p.signer.toLowerCase() as Hex, epochId: p.epochId, mustRecommit: p.mustRecommit };
    if (this.slots.size >= MAX_CACHED_SLOTS) this.slots.clear();
    this.slots.set(l2Height, slot);
    return slot;
  }

  async attestedHead(): Promise<bigint> {
    this.fresh();
    this.head ??= (await this.o.pool.currentEpoch())?.l2Head ?? 0n;
    return this.head;
  }

  async settled(): Promise<L2Settled> {
    this.fresh();
    if (this.settledCache && !(await this.l1FinalMoved())) return this.settledCache;
    const meta = await this.o.pool.batchMeta();
    if (!meta || meta.finalized === 0n) return (this.settledCache = { safe: 0n, finalized: this.finalizedFloor });
    const last = await this.o.pool.batch(meta.finalized - 1n);
    const safe = last?.l2End ?? 0n;
    const l1 = await this.l1FinalizedBlock();
    let finalized = this.finalizedFloor;
    if (l1 !== undefined) {
      for (let i = meta.finalized - 1n; i >= 0n && i + FINALITY_LOOKBACK >= meta.finalized; i--) {
        const b = i === meta.finalized - 1n ? last : await this.o.pool.batch(i);
        if (!b) break;
        if (b.l1Block > 0n && b.l1Block <= l1) {
          if (b.l2End > finalized) finalized = b.l2End;
          break;
        }
      }
    }
    // Final never goes back (a deeper-than-finality L1 reorg is the pool's to correct, decision 38).
    this.finalizedFloor = finalized;
    return (this.settledCache = { safe: safe > finalized ? safe : finalized, finalized });
  }

  private async l1FinalMoved(): Promise<boolean> {
    const before = this.l1Final.block;
    return (await this.l1FinalizedBlock()) !== before;
  }

  private async l1FinalizedBlock(): Promise<bigint | undefined> {
    if (!this.o.l1Finalized) return undefined;
    if (Date.now() - this.l1Final.at < (this.o.l1FinalizedTtlMs ?? 4_000)) return this.l1Final.block;
    const block = await this.o.l1Finalized().catch(() => this.l1Final.block);
    this.l1Final = { at: Date.now(), block };
    return block;
  }
}
