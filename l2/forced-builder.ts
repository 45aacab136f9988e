// The producer's side of forced inclusion (issue 16, decision 46): which queue entries its chain has
// not consumed yet, and the forced block that consumes the next of them (protocol/forced-block.ts).
// The driver asks before each block it builds; entries are read from L1 at the finalized block
// (protocol/forced-queue.ts), so an entry it includes can never be reorganised out of L1.
//
// Where the chain is in the queue: a forced block's extraData names the entries it consumes, so the
// next entry is the one after the newest marker in our blocks. Blocks below BatchInbox.nextL2Block
// are batched on L1, whose cursor covers them; only the unbatched blocks above are scanned (after a
// restart or a rewind), and from then on every block this node adopts updates it.
import type { Hex } from 'viem';
import type { Logger } from '../common/log.js';
import { deriveForcedBlock, type ForcedBlock, type ForcedBlockRpc } from '../protocol/forced-block.js';
import { MAX_FORCED_PER_BLOCK, parseForcedMarker, type EscapeBatch, type ForcedEntry, type ForcedQueueView } from '../protocol/forced-queue.js';
import type { L2Payload } from '../protocol/l2-block.js';
import type { L2BlockStore } from './block-store.js';

/** What the builder needs of protocol/forced-queue.ts ForcedQueueReader. */
export interface ForcedQueueSource {
  view(from: bigint, max?: number): Promise<ForcedQueueView>;
  nextL2Block(): Promise<bigint>;
  escapesUpTo?(fromBlock: bigint): Promise<{ at: bigint; batches: EscapeBatch[] }>;
}

export interface ForcedBuilderOptions {
  queue: ForcedQueueSource;
  /** The node's geth (eth_simulateV1 and reads at our parent block). */
  rpc: ForcedBlockRpc;
  chainId: bigint;
  store: L2BlockStore;
  /** L1 block from which escape-hatch batches are looked for (BatchInbox's deployment: l1.startBlock). */
  l1StartBlock?: bigint;
  /** Pool param forcedDueSeconds (committed state). */
  dueSeconds: () => Promise<bigint>;
  logger: Logger;
}

export class ForcedBuilder {
  /** The next queue entry our chain has not consumed (undefined: to be found again). */
  private next: bigint | undefined;

  constructor(private readonly o: ForcedBuilderOptions) {}

  /** Escape-hatch batches seen on L1 so far, in order (at most MAX_ESCAPES, the newest). */
  private escapesSeen: EscapeBatch[] = [];
  private escapesScannedTo: bigint | undefined;
  static readonly MAX_ESCAPES = 64;

  /** Escape-hatch batches on L1 (finalized), oldest first: every node follows them (l2/driver.ts). */
  async escapes(): Promise<EscapeBatch[]> {
    const q = this.o.queue;
    if (!q.escapesUpTo) return [];
    const from = this.escapesScannedTo === undefined ? (this.o.l1StartBlock ?? 0n) : this.escapesScannedTo + 1n;
    const { at, batches } = await q.escapesUpTo(from);
    for (const e of batches) if (!this.escapesSeen.some((s) => s.batchIndex === e.batchIndex)) this.escapesSeen.push(e);
    if (this.escapesSeen.length > ForcedBuilder.MAX_ESCAPES) this.escapesSeen = this.escapesSeen.slice(-ForcedBuilder.MAX_ESCAPES);
    // The queue is read at the finalized block: what lies at or below it is final, so the next scan
    // starts above it (one eth_getLogs of a few blocks every 2 s, not the whole history).
    if (at >= from) this.escapesScannedTo = at;
    return this.escapesSeen;
  }

  /** The entries an escape batch consumes (finalized on L1). */
  async entries(first: bigint, count: number): Promise<ForcedEntry[]> {
    const v = await this.o.queue.view(first, count);
    if (v.entries.length !== count) throw new Error(`forced entries ${first}..${first + BigInt(count) - 1n} are not all in our L1 view (block ${v.at}: ${v.length} entries)`);
    return v.entries;
  }

  get chainId(): bigint {
    return this.o.chainId;
  }

  get rpc(): ForcedBlockRpc {
    return this.o.rpc;
  }

  /** Our chain changed under us (a rewind): find the cursor again. */
  reset(): void {
    this.next = undefined;
  }

  /** A block became part of our chain. */
  adopted(p: Pick<L2Payload, 'extraData'>): void {
    const m = parseForcedMarker(p.extraData);
    if (m && this.next !== undefined) this.next = m.first + BigInt(m.count);
  }

  /** Entries our chain has yet to consume, as far as L1 has finalized them (at most one block's worth). */
  async pending(tip: bigint): Promise<ForcedEntry[]> {
    const next = this.next ?? (this.next = await this.find(tip));
    return (await this.o.queue.view(next, MAX_FORCED_PER_BLOCK)).entries;
  }

  /**
   * Why a follower must not import `p` (the producer's block at our tip + 1), or undefined. A forced
   * block must consume the next entries and be their derivation; any other block must not leave out
   * an entry due by its timestamp (mined forcedDueSeconds before it), except the first block of a
   * re-span, which must carry the recommitEpoch and so cannot be the forced block. Honest followers
   * refusing a censoring producer's blocks stall the attested L2 head, and the L2 failover replaces
   * it from the last block before the entry was due.
   */
  async refusal(p: L2Payload, tip: bigint, firstOfRespan: boolean): Promise<string | undefined> {
    const next = this.next ?? (this.next = await this.find(tip));
    const m = parseForcedMarker(p.extraData);
    if (m) {
      const last = m.first + BigInt(m.count) - 1n;
      if (m.first !== next) return `it consumes forced entries ${m.first}..${last}, but our chain's next entry is ${next}`;
      // The marker can say up to 64 (an escape batch's bound); the rule never derives more than this.
      if (m.count > MAX_FORCED_PER_BLOCK) return `it consumes ${m.count} forced entries; a forced block consumes at most ${MAX_FORCED_PER_BLOCK}`;
      const view = await this.o.queue.view(m.first, m.count);
      if (view.entries.length < m.count) return `it consumes forced entries ${m.first}..${last}, which our L1 view (block ${view.at}) does not hold yet`;
      const d = await deriveForcedBlock(this.o.rpc, this.o.chainId, p.parentHash as Hex, view.entries, { timestamp: BigInt(p.timestamp), feeRecipient: p.feeRecipient as Hex, prevRandao: p.prevRandao as Hex }, m.count);
      if (d.consumed !== m.count || d.payload.blockHash !== p.blockHash) return `it is not the forced block of entries ${m.first}..${last} (derived ${d.payload.blockHash}, consuming ${d.consumed})`;
      return undefined;
    }
    if (firstOfRespan) return undefined;
    const e = (await this.o.queue.view(next, 1)).entries[0];
    if (!e) return undefined;
    const due = e.timestamp + (await this.o.dueSeconds());
    if (due <= BigInt(p.timestamp)) return `censoring: it leaves out forced entry ${e.index} (mined on L1 at ${e.timestamp}, due in L2 blocks from timestamp ${due}; this block's is ${BigInt(p.timestamp)})`;
    return undefined;
  }

  /** The forced block on `parent` consuming `entries` from the first. */
  derive(parent: Hex, entries: ForcedEntry[], timestamp: bigint, feeRecipient: Hex, prevRandao: Hex): Promise<ForcedBlock> {
    return deriveForcedBlock(this.o.rpc, this.o.chainId, parent, entries, { timestamp, feeRecipient, prevRandao });
  }

  private async find(tip: bigint): Promise<bigint> {
    // nextL2Block first, then the cursor: each read is at the safe block of its moment, and a cursor
    // read at an older block than nextL2Block would miss a batch appended in between, whose forced
    // blocks are then neither scanned (below nextL2Block) nor counted (above the cursor), and we
    // would consume their entries again. The other way round, such a batch's blocks are scanned.
    const batchedBelow = await this.o.queue.nextL2Block();
    const floor = (await this.o.queue.view(0n, 0)).consumed;
    for (let h = tip; h >= batchedBelow && h > 0n; h--) {
      const b = await this.o.store.get(h);
      const m = b && parseForcedMarker(b.payload.extraData);
      if (m) return m.first + BigInt(m.count) > floor ? m.first + BigInt(m.count) : floor;
    }
    this.o.logger.debug({ cursor: floor.toString(), scannedFrom: tip.toString() }, 'forced queue: our chain continues from L1\'s cursor');
    return floor;
  }
}
