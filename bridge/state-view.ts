// What the listener needs to know about committed app state. The app implements it; the listener
// only reads it (synchronously, from ExtendVote) to decide which event each sequencer needs next.
export interface StakingStateView {
  /** The L1 nonce the app expects next for this sequencer (1 for an id it has never seen). */
  nextNonce(sequencerId: bigint): bigint;
  /** True once an observation with this digest has been applied or recorded as rejected. */
  isSettled(digest: Uint8Array): boolean;
  /** BatchMeta.finalized: the batch index whose BatchAppended the app accepts next (L1 order). When
   * absent, the listener offers the lowest unsettled one. */
  nextBatchIndex?(): bigint;
}
