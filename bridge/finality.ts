// Which L1 block the bridge may act on (decision 38): the `finalized` block when the L1 serves one
// (Ethereum does: a block there cannot be reorganised without burning a third of the stake; anvil
// does with --slots-in-an-epoch), else K confirmations below the head, for chains without finality.
// Finality costs latency (about 13 minutes on Ethereum against K = 6's 72 s) and buys a view of stake
// and batches that no reorg can take back; K confirmations are a guess about L1.
import { HttpRequestError, TimeoutError, type Hex } from 'viem';
import type { Logger } from '../common/log.js';

export type FinalityMode = 'auto' | 'finalized' | 'confirmations';

/** What reading the finalized block needs of the L1 client. */
export interface FinalizedReader {
  getBlock(args: { blockTag: 'finalized' }): Promise<{ hash: Hex | null; number: bigint | null }>;
}

/** A finality setting that cannot be met (the RPC serves no finalized block but one is required). */
export class FinalityConfigError extends Error {
  override readonly name = 'FinalityConfigError';
}

export class SafeHead {
  /** What the bridge follows, once decided (the first head it saw). */
  inUse: 'finalized' | 'confirmations' | undefined;

  constructor(
    private readonly client: FinalizedReader,
    private readonly mode: FinalityMode,
    private readonly confirmations: bigint,
    private readonly log: Logger,
  ) {}

  /** The highest block the bridge may act on, given the head. */
  async safe(head: bigint): Promise<bigint> {
    if (this.mode !== 'confirmations' && this.inUse !== 'confirmations') {
      const finalized = await this.finalized();
      if (finalized !== undefined) {
        if (this.inUse !== 'finalized') this.log.info({ finalized: finalized.toString(), head: head.toString() }, 'following the L1 finalized block for stake and batches');
        this.inUse = 'finalized';
        return finalized < head ? finalized : head;
      }
      if (this.mode === 'finalized') throw new FinalityConfigError('the L1 RPC serves no finalized block, and l1.finality is "finalized"; use "auto" (K confirmations then) or "confirmations"');
    }
    if (this.inUse !== 'confirmations') this.log.info({ confirmations: Number(this.confirmations) }, this.mode === 'confirmations' ? 'following L1 at K confirmations (l1.finality "confirmations")' : 'the L1 RPC serves no finalized block: following L1 at K confirmations');
    this.inUse = 'confirmations';
    return head - this.confirmations;
  }

  /** The finalized block's number, or undefined when the RPC has none (an RPC that cannot be reached throws). */
  private async finalized(): Promise<bigint | undefined> {
    try {
      const b = await this.client.getBlock({ blockTag: 'finalized' });
      return b.number ?? undefined;
    } catch (e) {
      if (e instanceof HttpRequestError || e instanceof TimeoutError) throw e; // unreachable: try again later
      return undefined; // the RPC answered: it knows no such tag (or no such block yet)
    }
  }
}
