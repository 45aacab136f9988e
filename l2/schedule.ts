// What the L2 adapter needs to know from the pool's committed state (docs/l2.md): who may build each
// L2 height, how far the validators attested the L2, and which L2 blocks L1 made safe or final. The
// node answers from its app's committed state (node/l2-wiring.ts); the same questions a Metis-layer
// client asks over the query RPC (/producer/{h}, /epoch/current, /batch/...). Every follower asks
// them of the same committed state, so every honest follower accepts the same blocks.
import type { Hex } from 'viem';

/** Who the pool elected to build one L2 height. */
export interface L2Slot {
  /** The producer's Ethereum address (epoch signer), 0x lower hex: the only valid block signer. */
  signer: Hex;
  epochId: bigint;
  /**
   * The height is the first a re-span builds and the pool asked for its recommitEpoch: the block
   * must carry recommitEpoch(…, epochId, …) to SequencerSet, which refuses a start block in the past,
   * so L2's record of producers agrees with the pool's.
   */
  mustRecommit: boolean;
}

export interface L2Settled {
  /** Highest L2 block covered by a batch the pool saw appended to L1 (0: none). */
  safe: bigint;
  /** Highest L2 block covered by a batch whose L1 block is final (0: none). */
  finalized: bigint;
}

export interface L2Schedule {
  /** The pool's committed height: answers change only when it does. */
  poolHeight(): bigint;
  /**
   * The block time (unix seconds) of that committed height; 0 when unknown. A node whose pool state
   * is old (catching up after a restart) does not build: its schedule may be one the pool re-spanned.
   */
  poolTime(): bigint;
  /** The producer of `l2Height` in committed state, or undefined when no epoch covers it yet. */
  slot(l2Height: bigint): Promise<L2Slot | undefined>;
  /** The L2 head validators with more than 2/3 of the power attested (it never decreases). */
  attestedHead(): Promise<bigint>;
  settled(): Promise<L2Settled>;
}
