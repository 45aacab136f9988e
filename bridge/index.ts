// The bridge: follows L1 (LockingPool and BatchInbox events) and feeds confirmed events to the node's
// vote extension; reports the L2 head; builds batches and relays what the pool signed to L1 and L2.
export { L1Listener } from './listener.js';
export type { L1ListenerOptions, L1ListenerStatus } from './listener-options.js';
export type { StakingStateView } from '../protocol/staking-state-view.js';
export type { L1Client, FollowedContracts } from './scan.js';
export { ChainMovedError } from './scan.js';
export { lockingPoolEventsAbi } from './locking-pool-abi.js';
export {
  decodeLockingPoolLog,
  decodeBatchAppendedLog,
  describeEvent,
  describeBatchAppended,
  isLockingPoolLog,
  isBatchAppendedLog,
  BATCH_APPENDED_TOPIC,
  batchInboxEventsAbi,
  type DecodeResult,
  type BatchDecodeResult,
  type RawLog,
} from './decode.js';
export { BridgeStore, eventId } from './listener-store.js';
export { L2HeadSource, type L2HeadSourceOptions, type L2HeadClient } from './l2-head-source.js';
export { PoolView, PoolQueryError, appQuery, type PoolQuery, type QueryAnswer } from './pool-view.js';
export { Batcher, type BatcherOptions, type Broadcast } from './batcher.js';
export { BatchPolicy, type BatchBounds, type BatchChoice } from './batch-policy.js';
export { EvmTxSender, FundsError, WouldRevertError, type EvmTxSenderOptions, type JobRecord, type ContractCall } from './evm-tx-sender.js';
export { L1BatchSubmitter, headerOf, type L1BatchSubmitterOptions } from './l1-submitter.js';
export { Relayer, type RelayerOptions } from './relayer.js';
export { Loop } from './loop.js';
