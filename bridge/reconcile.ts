// Reconciling the pool with L1 (decision 38). The listener waits for L1 finality (or K
// confirmations) before it offers an event, but a reorg may still reach below that. Then the pool
// holds state made from events L1 no longer has, and no later event can repair it. So the listener
// reads what the pool's contracts hold at a checkpoint block (a multiple of `checkpointBlocks`, so
// that every honest validator reads the same block and attests the same digest) and, when the pool
// disagrees with it by the app's own rule (protocol/l1-state.ts), offers it as an L1StateCorrection.
import { batchesDisagreeing, readL1State, sequencerDisagrees, type L1Contracts, type L1StateReader } from '../protocol/l1-state.js';
import { observationDigest } from '../protocol/observations.js';
import { equalBytes } from '../common/bytes.js';
import type { Logger } from '../common/log.js';
import type { L1StateCorrection, Observation } from '../proto/seqpool.js';
import type { StakingStateView } from '../protocol/staking-state-view.js';

/** The checkpoint block a correction is read at: the highest multiple of `every` at or below `safe`. */
export const checkpointAt = (safe: bigint, every: bigint): bigint => safe - (safe % every);

/** Where the pool disagrees with L1's record: the sequencer ids, and how many batches L1 lacks. */
export interface Disagreement {
  sequencers: bigint[];
  batches: bigint;
}

function disagreement(c: L1StateCorrection, pool: Required<Pick<StakingStateView, 'sequencerById' | 'nextBatchIndex' | 'batchL1Block'>>): Disagreement {
  const sequencers = c.sequencers.filter((r) => sequencerDisagrees(pool.sequencerById(r.id), r, c.blockNumber)).map((r) => r.id);
  const batches = batchesDisagreeing(pool.nextBatchIndex(), pool.batchL1Block(c.nextBatchIndex), c);
  return { sequencers, batches };
}

const agrees = (d: Disagreement): boolean => d.sequencers.length === 0 && d.batches === 0n;

export interface ReconcilerOptions {
  reader: L1StateReader;
  contracts: L1Contracts;
  view: StakingStateView;
  /** Checkpoints are multiples of this many blocks (every validator must pick the same one). */
  checkpointBlocks: bigint;
  /** How often the pool is compared with L1 when nothing called for it (a self-heal sweep). */
  intervalMs: number;
  /** The lowest block worth reading (the listener's start block). */
  startBlock: bigint;
  log: Logger;
}

/**
 * Compares the pool with L1 at a checkpoint when called for (after a reorg below the safe head, at
 * start, and every `intervalMs`), and keeps the correction to offer while they disagree. Once the app
 * settles the correction, `check` reports its block: events after it must be read again (the listener
 * may have dropped some as superseded while the pool was wrong).
 */
export class Reconciler {
  private correction: { obs: Observation; digest: Uint8Array; block: bigint } | undefined;
  /** Compare at every step until a checkpoint at or above this block was compared. */
  private dueUntil: bigint | undefined;
  private last = 0;
  /** A disagreement a periodic comparison found: offered only if the next one finds it again (a
   * pool merely behind L1, events not attested yet, is not a reason to correct it). */
  private suspect: string | undefined;
  /** The last comparison's result (undefined before the first). */
  latest: (Disagreement & { block: bigint }) | undefined;

  constructor(private readonly o: ReconcilerOptions) {}

  /** A reorg reached below the safe head, where the pool may have applied events up to block
   * `upTo`: compare at every step until a checkpoint at or above it (one that can judge them all). */
  callFor(upTo: bigint): void {
    this.dueUntil = this.dueUntil === undefined || upTo > this.dueUntil ? upTo : this.dueUntil;
  }

  /** What to offer in ExtendVote. */
  pending(): Observation[] {
    return this.correction && !this.o.view.isSettled(this.correction.digest) ? [this.correction.obs] : [];
  }

  /** One step at safe head `safe`: returns the block of a correction the app just settled, if any. */
  async check(safe: bigint): Promise<bigint | undefined> {
    const v = this.o.view;
    if (!v.sequencerById || !v.maxSequencerId || !v.batchL1Block || !v.nextBatchIndex) return undefined;
    let settled: bigint | undefined;
    if (this.correction && v.isSettled(this.correction.digest)) {
      settled = this.correction.block;
      this.o.log.info({ l1Block: settled.toString() }, 'L1 state correction settled by the app; reading L1 again from its block');
      this.correction = undefined;
      this.callFor(settled);
    }
    if (this.dueUntil === undefined && !this.correction && Date.now() - this.last < this.o.intervalMs) return settled;
    const block = checkpointAt(safe, this.o.checkpointBlocks);
    if (block < this.o.startBlock || block <= 0n) return settled;
    const forced = this.dueUntil !== undefined || this.correction !== undefined;
    if (this.dueUntil !== undefined && block >= this.dueUntil) this.dueUntil = undefined;
    this.last = Date.now();
    const c = await readL1State(this.o.reader, this.o.contracts, block, v.maxSequencerId());
    const d = disagreement(c, { sequencerById: v.sequencerById.bind(v), nextBatchIndex: v.nextBatchIndex.bind(v), batchL1Block: v.batchL1Block.bind(v) });
    this.latest = { ...d, block };
    if (agrees(d)) {
      if (this.correction) this.o.log.info({ l1Block: block.toString() }, 'the pool agrees with L1 again; the correction offered is withdrawn');
      this.correction = undefined;
      this.suspect = undefined;
      return settled;
    }
    const what = `${d.sequencers.join(',')}/${d.batches}`;
    if (!forced && this.suspect !== what) {
      this.suspect = what;
      this.o.log.debug({ l1Block: block.toString(), sequencers: d.sequencers.map(String), batchesL1Lacks: d.batches.toString() }, 'the pool differs from L1 at a checkpoint; checked again at the next comparison before anything is offered');
      return settled;
    }
    const obs: Observation = { l1Correction: c };
    const digest = observationDigest(obs);
    if (!this.correction || !equalBytes(this.correction.digest, digest)) {
      this.o.log.warn(
        { l1Block: block.toString(), sequencers: d.sequencers.map(String), batchesL1Lacks: d.batches.toString() },
        'the pool disagrees with L1 (a reorg deeper than the bridge waited for): offering an L1 state correction for attestation',
      );
    }
    this.correction = { obs, digest, block };
    return settled;
  }
}
