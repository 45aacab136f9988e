// The payloads the pool threshold-signs, encoded and decoded in one place: the app encodes them into
// sign requests, the sidecars decode an appendBatch to check it before signing, the bridge decodes
// what was signed to call the contract with it, and the contracts in contracts/src re-encode the same
// bytes (SequencerSet, BatchInbox, LockingPool) to verify the signature (docs/contracts.md). The FROST
// message is l1Digest(chain, verifier, purpose, payload) (mpc/l1.ts). Pure functions over viem's ABI
// coder: deterministic, no I/O. Addresses and hashes are bytes, as the app keeps them.
import { decodeAbiParameters, encodeAbiParameters, keccak256, parseAbiParameters, type Hex } from 'viem';
import { fromHex, toHex } from '../common/bytes.js';

const hex = (b: Uint8Array): Hex => `0x${toHex(b)}`;
const bytes = (h: Hex): Uint8Array => fromHex(h.slice(2));

/** What a signature authorises, hashed into its digest: one signature cannot serve another purpose. */
export type Purpose = 'appendBatch' | 'commitEpoch' | 'recommitEpoch' | 'distributeRewards' | 'slash' | 'rotateGroupKey';

// ---------- SequencerSet (L2) ----------

const COMMIT_EPOCH = parseAbiParameters('uint256 epochId, uint256 startBlock, uint256 endBlock, address signer');
const RECOMMIT_EPOCH = parseAbiParameters('uint256 oldEpochId, uint256 newEpochId, uint256 startBlock, uint256 endBlock, address signer');

export interface CommitEpoch {
  epochId: bigint;
  startBlock: bigint;
  endBlock: bigint;
  /** 20-byte address of the epoch's producer. */
  signer: Uint8Array;
}
export interface RecommitEpoch {
  oldEpochId: bigint;
  newEpochId: bigint;
  startBlock: bigint;
  endBlock: bigint;
  signer: Uint8Array;
}

/** SequencerSet.commitEpoch: abi.encode(uint256 epochId, uint256 startBlock, uint256 endBlock, address signer). */
export function encodeCommitEpoch(epochId: bigint, startBlock: bigint, endBlock: bigint, signer: Uint8Array): Uint8Array {
  return bytes(encodeAbiParameters(COMMIT_EPOCH, [epochId, startBlock, endBlock, hex(signer)]));
}
export function decodeCommitEpoch(payload: Uint8Array): CommitEpoch {
  const [epochId, startBlock, endBlock, signer] = decodeAbiParameters(COMMIT_EPOCH, hex(payload));
  return { epochId, startBlock, endBlock, signer: bytes(signer) };
}

/** SequencerSet.recommitEpoch: abi.encode(oldEpochId, newEpochId, startBlock, endBlock, signer). */
export function encodeRecommitEpoch(oldEpochId: bigint, newEpochId: bigint, startBlock: bigint, endBlock: bigint, signer: Uint8Array): Uint8Array {
  return bytes(encodeAbiParameters(RECOMMIT_EPOCH, [oldEpochId, newEpochId, startBlock, endBlock, hex(signer)]));
}
export function decodeRecommitEpoch(payload: Uint8Array): RecommitEpoch {
  const [oldEpochId, newEpochId, startBlock, endBlock, signer] = decodeAbiParameters(RECOMMIT_EPOCH, hex(payload));
  return { oldEpochId, newEpochId, startBlock, endBlock, signer: bytes(signer) };
}

// ---------- BatchInbox (L1) ----------

/** BatchInbox.BatchHeader. */
export interface BatchHeader {
  batchIndex: bigint;
  prevBatchHash: Uint8Array; // 32 bytes
  l2StartBlock: bigint;
  l2EndBlock: bigint;
  dataHash: Uint8Array; // 32 bytes (protocol/batch-data.ts)
  producer: Uint8Array; // 20-byte L1 address (zero for a forced-only batch, the escape hatch)
  /** Forced-inclusion queue entries consumed by this batch and every one before it (decision 46). */
  forcedCursor: bigint;
  /** The queue's hash chain after entry forcedCursor - 1 (zero when forcedCursor is 0): binds the
   * signature to exactly the entries consumed, so an L1 reorg that changes them voids it. */
  forcedChainHash: Uint8Array; // 32 bytes
}

/** BatchInbox's BatchHeader as an ABI tuple (appendBatch's first argument). */
export const BATCH_HEADER_ABI = [
  {
    type: 'tuple',
    components: [
      { name: 'batchIndex', type: 'uint256' },
      { name: 'prevBatchHash', type: 'bytes32' },
      { name: 'l2StartBlock', type: 'uint256' },
      { name: 'l2EndBlock', type: 'uint256' },
      { name: 'dataHash', type: 'bytes32' },
      { name: 'producer', type: 'address' },
      { name: 'forcedCursor', type: 'uint256' },
      { name: 'forcedChainHash', type: 'bytes32' },
    ],
  },
] as const;

/** The header as the ABI tuple's value, for encoding or for a contract call's argument. */
export function batchHeaderTuple(h: BatchHeader) {
  return { batchIndex: h.batchIndex, prevBatchHash: hex(h.prevBatchHash), l2StartBlock: h.l2StartBlock, l2EndBlock: h.l2EndBlock, dataHash: hex(h.dataHash), producer: hex(h.producer), forcedCursor: h.forcedCursor, forcedChainHash: hex(h.forcedChainHash) };
}

/** abi.encode(header): the appendBatch payload (a static tuple, so the same as its fields in a row). */
export function encodeBatchHeader(h: BatchHeader): Uint8Array {
  return bytes(encodeAbiParameters(BATCH_HEADER_ABI, [batchHeaderTuple(h)]));
}
export function decodeBatchHeader(payload: Uint8Array): BatchHeader {
  const [h] = decodeAbiParameters(BATCH_HEADER_ABI, hex(payload));
  return { batchIndex: h.batchIndex, prevBatchHash: bytes(h.prevBatchHash), l2StartBlock: h.l2StartBlock, l2EndBlock: h.l2EndBlock, dataHash: bytes(h.dataHash), producer: bytes(h.producer), forcedCursor: h.forcedCursor, forcedChainHash: bytes(h.forcedChainHash) };
}

/** keccak256(abi.encode(header)): BatchInbox.batchHash, the next header's prevBatchHash. */
export function batchHeaderHash(h: BatchHeader): Uint8Array {
  return bytes(keccak256(encodeBatchHeader(h)));
}

// ---------- LockingPool (L1); rotateGroupKey on every FrostAuthorized contract ----------

const DISTRIBUTE_REWARDS = parseAbiParameters('uint256[] sequencerIds, uint256[] amounts, uint256 authNonce');
const SLASH = parseAbiParameters('uint256 sequencerId, uint256 amount, uint256 authNonce');
const ROTATE_GROUP_KEY = parseAbiParameters('bytes newGroupKey, uint256 authNonce');

export interface DistributeRewards {
  sequencerIds: bigint[];
  amounts: bigint[];
  authNonce: bigint;
}
export interface Slash {
  sequencerId: bigint;
  amount: bigint;
  authNonce: bigint;
}
export interface RotateGroupKey {
  /** 64-byte Px || Py (mpc/l1.ts encodeL1GroupKey). */
  newGroupKey: Uint8Array;
  authNonce: bigint;
}

/** LockingPool.distributeRewards: abi.encode(uint256[] sequencerIds, uint256[] amounts, uint256 authNonce). */
export function encodeDistributeRewards(sequencerIds: bigint[], amounts: bigint[], authNonce: bigint): Uint8Array {
  return bytes(encodeAbiParameters(DISTRIBUTE_REWARDS, [sequencerIds, amounts, authNonce]));
}
export function decodeDistributeRewards(payload: Uint8Array): DistributeRewards {
  const [sequencerIds, amounts, authNonce] = decodeAbiParameters(DISTRIBUTE_REWARDS, hex(payload));
  return { sequencerIds: [...sequencerIds], amounts: [...amounts], authNonce };
}

/** LockingPool.slash: abi.encode(uint256 sequencerId, uint256 amount, uint256 authNonce). */
export function encodeSlash(sequencerId: bigint, amount: bigint, authNonce: bigint): Uint8Array {
  return bytes(encodeAbiParameters(SLASH, [sequencerId, amount, authNonce]));
}
export function decodeSlash(payload: Uint8Array): Slash {
  const [sequencerId, amount, authNonce] = decodeAbiParameters(SLASH, hex(payload));
  return { sequencerId, amount, authNonce };
}

/** FrostAuthorized.rotateGroupKey: abi.encode(bytes newGroupKey, uint256 authNonce). The pool keeps one
 * group key through reshares, so the app never asks for this; an operator rotating the contracts'
 * key to a new DKG's would. */
export function encodeRotateGroupKey(newGroupKey: Uint8Array, authNonce: bigint): Uint8Array {
  return bytes(encodeAbiParameters(ROTATE_GROUP_KEY, [hex(newGroupKey), authNonce]));
}
export function decodeRotateGroupKey(payload: Uint8Array): RotateGroupKey {
  const [newGroupKey, authNonce] = decodeAbiParameters(ROTATE_GROUP_KEY, hex(payload));
  return { newGroupKey: bytes(newGroupKey), authNonce };
}
