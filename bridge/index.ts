// The bridge: follows L1 (LockingPool events) and feeds confirmed events to the node's vote extension.
export { L1Listener, type L1ListenerOptions, type L1ListenerStatus } from './listener.js';
export type { StakingStateView } from './state-view.js';
export type { L1Client } from './scan.js';
export { ChainMovedError } from './scan.js';
export { lockingPoolEventsAbi, type LockingPoolEventName } from './locking-pool-abi.js';
export { decodeLockingPoolLog, describeEvent, eventKind, isLockingPoolLog, LOCKING_POOL_TOPICS, type DecodeResult, type RawLog } from './decode.js';
export { BridgeStore, eventId } from './store.js';
