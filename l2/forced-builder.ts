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
import { MAX_FORCED_PER_BLOCK, parseForcedMarker, type ForcedEntry, type ForcedQueueView } from '../protocol/forced-queue.js';
import type { L2Payload } from '../protocol/l2-block.js';
import type { L2BlockStore } from './block-store.js';

/** What the builder needs of protocol/forced-queue.ts ForcedQueueReader. */
export interface ForcedQueueSource {
  view(from: bigint, max?: number): Promise<ForcedQueueView>;
  nextL2Block(): Promise<bigint>;
}

export interface ForcedBuilderOptions {
  queue: ForcedQueueSource;
  /** The node's geth (eth_simulateV1 and reads at our parent block). */
  rpc: ForcedBlockRpc;
  chainId: bigint;
  store: L2BlockStore;
  logger: Logger;
}

export class ForcedBuilder {
  /** The next queue entry our chain has not consumed (undefined: to be found again). */
  private next: bigint | undefined;

  constructor(private readonly o: ForcedBuilderOptions) {}

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

  /** The forced block on `parent` consuming `entries` from the first. */
  derive(parent: Hex, entries: ForcedEntry[], timestamp: bigint, feeRecipient: Hex, prevRandao: Hex): Promise<ForcedBlock> {
    return deriveForcedBlock(this.o.rpc, this.o.chainId, parent, entries, { timestamp, feeRecipient, prevRandao });
  }

  private async find(tip: bigint): Promise<bigint> {
    const [floor, batchedBelow] = await Promise.all([this.o.queue.view(0n, 0).then((v) => v.consumed), this.o.queue.nextL2Block()]);
    for (let h = tip; h >= batchedBelow && h > 0n; h--) {
      const b = await this.o.store.get(h);
      const m = b && parseForcedMarker(b.payload.extraData);
      if (m) return m.first + BigInt(m.count) > floor ? m.first + BigInt(m.count) : floor;
    }
    this.o.logger.debug({ cursor: floor.toString(), scannedFrom: tip.toString() }, 'forced queue: our chain continues from L1\'s cursor');
    return floor;
  }
}
