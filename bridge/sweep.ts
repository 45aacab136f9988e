// The self-heal sweep (Heimdall operators report missed L1 events that need one): every interval it
// reads again from the oldest block that may still matter up to the cursor, so an event an RPC left out
// of a getLogs answer is found on a later pass. Reading is idempotent: the store is keyed by
// (block hash, log index) and settled events are skipped.
import type { Logger } from '../common/log.js';
import type { L1StakingEvent } from '../proto/seqpool.js';
import type { StakingStateView } from '../protocol/staking-state-view.js';
import type { BridgeStore } from './listener-store.js';

/** Ranges one poll step may sweep, so a long pass never holds back following the head. */
const RANGES_PER_STEP = 8;

export interface SweeperDeps {
  startBlock: bigint;
  intervalMs: number;
  maxBlockRange: bigint;
  log: Logger;
  stateView: StakingStateView;
  store: BridgeStore;
  cursor(): bigint;
  events(): L1StakingEvent[];
  /** Blocks of other unsettled events (BatchAppended): the next pass starts no later than them. */
  otherBlocks(): bigint[];
  /** Reads [from, to] again and stores what was missing; returns how many events were new. */
  ingest(from: bigint, to: bigint): Promise<number>;
}

export class Sweeper {
  /** Where the next pass starts (persisted). */
  from = 0n;
  private pass: { next: bigint; to: bigint; start: bigint; found: number } | undefined;
  private nextAt = 0;
  /** (sequencer, nonce) gaps that already triggered a re-scan from the start block. */
  private readonly gapRescans = new Set<string>();

  constructor(private readonly d: SweeperDeps) {}

  load(from: bigint): void {
    this.from = from;
    this.nextAt = Date.now() + this.d.intervalMs;
  }

  /** A reorg rewound the cursor to `fork`: the sweep must not skip the re-read blocks. Returns the new start. */
  rewound(fork: bigint): bigint {
    if (this.from > fork + 1n) this.from = fork + 1n;
    if (this.pass && this.pass.next > fork + 1n) this.pass.next = fork + 1n;
    return this.from;
  }

  /** Advances the current pass (starting one when due, or when forced); a forced run finishes it. */
  async run(force: boolean): Promise<void> {
    if (!this.pass) {
      if (!force && Date.now() < this.nextAt) return;
      if (this.from > this.d.cursor()) return this.schedule();
      this.pass = { next: this.from, to: this.d.cursor(), start: this.from, found: 0 };
      this.d.log.info({ from: this.from.toString(), to: this.pass.to.toString() }, 'L1 sweep started: re-reading confirmed blocks for missed events');
    }
    const p = this.pass;
    for (let ranges = 0; force || ranges < RANGES_PER_STEP; ranges++) {
      const end = p.to < this.d.cursor() ? p.to : this.d.cursor();
      if (p.next > end) return this.finish(p);
      const to = p.next + this.d.maxBlockRange - 1n < end ? p.next + this.d.maxBlockRange - 1n : end;
      p.found += await this.d.ingest(p.next, to);
      p.next = to + 1n;
    }
  }

  private async finish(p: { to: bigint; start: bigint; found: number }): Promise<void> {
    this.pass = undefined;
    // Next pass: from the oldest block still holding an unsettled event, else just after this pass.
    let next = p.to + 1n;
    const events = this.d.events();
    for (const ev of events) if (ev.blockNumber < next) next = ev.blockNumber;
    for (const b of this.d.otherBlocks()) if (b < next) next = b;
    // A stored nonce above the one the app expects, with the expected one absent, means a log was
    // missed somewhere before it: re-read from the start block once for that gap.
    const lowest = new Map<bigint, L1StakingEvent>();
    for (const ev of events) {
      const cur = lowest.get(ev.sequencerId);
      if (!cur || ev.nonce < cur.nonce) lowest.set(ev.sequencerId, ev);
    }
    for (const [id, ev] of lowest) {
      const want = this.d.stateView.nextNonce(id);
      if (ev.nonce <= want) continue;
      const key = `${id}:${want}`;
      const fields = { sequencerId: id.toString(), expectedNonce: want.toString(), lowestStoredNonce: ev.nonce.toString(), atBlock: ev.blockNumber.toString() };
      if (!this.gapRescans.has(key)) {
        this.gapRescans.add(key);
        next = this.d.startBlock;
        this.d.log.warn({ ...fields, rescanFrom: next.toString() }, 'L1 nonce gap: the expected event was never seen; the next sweep re-reads from the start block');
      } else {
        this.d.log.warn(fields, 'L1 nonce gap persists after a full re-read: the expected log is missing or malformed on L1 (see earlier warnings); later events of this sequencer wait');
      }
    }
    this.from = next;
    await this.d.store.setSweepFrom(next);
    this.d.log.info({ from: p.start.toString(), to: p.to.toString(), found: p.found, nextFrom: next.toString() }, 'L1 sweep finished');
    this.schedule();
  }

  private schedule(): void {
    this.nextAt = Date.now() + this.d.intervalMs;
  }
}
