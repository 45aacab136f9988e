// What the bridge's L1 listener needs to know about committed app state: the contract between the app
// (which implements it) and the bridge running in the same node process. The listener only reads it
// (synchronously, from ExtendVote) to decide which event each sequencer needs next.
import type { Sequencer } from '../proto/seqpool.js';

export interface StakingStateView {
  /** The L1 nonce the app expects next for this sequencer (1 for an id it has never seen). */
  nextNonce(sequencerId: bigint): bigint;
  /** True once an observation with this digest has been applied or recorded as rejected. */
  isSettled(digest: Uint8Array): boolean;
  /** BatchMeta.finalized: the batch index whose BatchAppended the app accepts next (L1 order). When
   * absent, the listener offers the lowest unsettled one. */
  nextBatchIndex?(): bigint;
  /** For reconciling with L1 after a reorg deeper than the bridge waited for (decision 38): the
   * committed record of a LockingPool id, the highest id the pool holds, and the L1 block of the
   * BatchAppended that finalized a batch (0 or undefined: not final). Absent: no reconciliation. */
  sequencerById?(sequencerId: bigint): Sequencer | undefined;
  maxSequencerId?(): bigint;
  batchL1Block?(index: bigint): bigint | undefined;
}
