// The safe, unsettled L1 events a listener holds, and which of them it offers to ExtendVote: per
// sequencer the event with the nonce the app expects next, and the BatchAppended the app accepts next
// (the app takes both strictly in order, and would refuse one attested early for good).
import { observationDigest } from '../protocol/observations.js';
import type { Logger } from '../common/log.js';
import type { L1BatchAppended, L1StakingEvent, Observation } from '../proto/seqpool.js';
import { describeBatchAppended, describeEvent } from './decode.js';
import type { StakingStateView } from '../protocol/staking-state-view.js';
import { eventId, located } from './listener-store.js';

export class EventBook {
  /** Staking events and BatchAppended events by (block hash, log index), with their digests. */
  private readonly events = new Map<string, { ev: L1StakingEvent; digest: Uint8Array }>();
  private readonly batches = new Map<string, { ev: L1BatchAppended; digest: Uint8Array }>();
  /** Ids offered at least once (each is logged once). */
  private readonly offered = new Set<string>();

  constructor(
    private readonly view: StakingStateView,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.events.size + this.batches.size;
  }
  has(id: string): boolean {
    return this.events.has(id) || this.batches.has(id);
  }
  stakingEvents(): L1StakingEvent[] {
    return [...this.events.values()].map((e) => e.ev);
  }
  /** Blocks holding a stored event (their hashes are kept). */
  blocks(): bigint[] {
    return [...this.events.values(), ...this.batches.values()].map((e) => e.ev.blockNumber);
  }
  batchBlocks(): bigint[] {
    return [...this.batches.values()].map((e) => e.ev.blockNumber);
  }

  remember(obs: Observation): void {
    if (obs.batchAppended) this.batches.set(eventId(obs.batchAppended), { ev: obs.batchAppended, digest: observationDigest(obs) });
    else if (obs.l1Staking) this.events.set(eventId(obs.l1Staking), { ev: obs.l1Staking, digest: observationDigest(obs) });
  }

  forget(obs: Observation): void {
    const id = eventId(located(obs));
    this.events.delete(id);
    this.batches.delete(id);
    this.offered.delete(id);
  }

  /** Stored events in blocks above `block`, as observations. */
  above(block: bigint): Observation[] {
    return [
      ...[...this.events.values()].filter((e) => e.ev.blockNumber > block).map((e) => ({ l1Staking: e.ev })),
      ...[...this.batches.values()].filter((e) => e.ev.blockNumber > block).map((e) => ({ batchAppended: e.ev })),
    ];
  }

  /** What the app settled (applied or rejected), or moved past under another block hash. */
  settled(): Observation[] {
    const gone: Observation[] = [];
    const finalized = this.view.nextBatchIndex?.();
    for (const { ev, digest } of this.batches.values()) {
      if (this.view.isSettled(digest)) {
        this.log.info(describeBatchAppended(ev), 'L1 BatchAppended settled by the app (applied or rejected); dropped from the bridge store');
        gone.push({ batchAppended: ev });
      } else if (finalized !== undefined && ev.batchIndex < finalized) {
        this.log.warn(describeBatchAppended(ev), 'L1 BatchAppended superseded: the app finalized this batch from another block hash; dropped');
        gone.push({ batchAppended: ev });
      }
    }
    for (const { ev, digest } of this.events.values()) {
      if (this.view.isSettled(digest)) {
        this.log.info(describeEvent(ev), 'L1 event settled by the app (applied or rejected); dropped from the bridge store');
        gone.push({ l1Staking: ev });
      } else if (ev.nonce < this.view.nextNonce(ev.sequencerId)) {
        this.log.warn(describeEvent(ev), 'L1 event superseded: the app settled this nonce from another block hash (this node saw another fork); dropped');
        gone.push({ l1Staking: ev });
      }
    }
    return gone;
  }

  /** ExtendVote's view: per sequencer, the unsettled event with the nonce the app expects next (in L1
   * order); then the BatchAppended the app accepts next. */
  pending(): Observation[] {
    return [...this.pendingStaking(), ...this.pendingBatches()];
  }

  /** The app accepts BatchAppended only in L1 order (the batch BatchMeta.finalized names), so only that
   * one is offered: one attested early would be rejected for good. */
  private pendingBatches(): Observation[] {
    const want = this.view.nextBatchIndex?.();
    let best: { id: string; ev: L1BatchAppended } | undefined;
    for (const [id, { ev, digest }] of this.batches) {
      if (this.view.isSettled(digest)) continue;
      if (want !== undefined ? ev.batchIndex !== want : best && best.ev.batchIndex <= ev.batchIndex) continue;
      best = { id, ev };
    }
    if (!best) return [];
    this.logOffer(best.id, () => this.log.info(describeBatchAppended(best.ev), 'L1 BatchAppended offered for attestation'));
    return [{ batchAppended: best.ev }];
  }

  private pendingStaking(): Observation[] {
    const out: L1StakingEvent[] = [];
    const next = new Map<bigint, bigint>();
    for (const [id, { ev, digest }] of this.events) {
      let want = next.get(ev.sequencerId);
      if (want === undefined) next.set(ev.sequencerId, (want = this.view.nextNonce(ev.sequencerId)));
      if (ev.nonce !== want || this.view.isSettled(digest)) continue;
      out.push(ev);
      this.logOffer(id, () => this.log.info(describeEvent(ev), 'L1 event offered for attestation'));
    }
    out.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
    return out.map((ev) => ({ l1Staking: ev }));
  }

  private logOffer(id: string, log: () => void): void {
    if (this.offered.has(id)) return;
    this.offered.add(id);
    log();
  }
}
