// ABI encodings of the payloads the pool threshold-signs, byte for byte what the contracts in
// contracts/src re-encode (SequencerSet, BatchInbox, LockingPool). Pure functions over viem's
// encoder: deterministic, no I/O.
import { encodeAbiParameters, keccak256, type Hex } from 'viem';
import { fromHex, toHex } from '../common/bytes.js';

const hex = (b: Uint8Array): Hex => `0x${toHex(b)}`;
const bytes = (h: Hex): Uint8Array => fromHex(h.slice(2));

/** SequencerSet.commitEpoch: abi.encode(uint256 epochId, uint256 startBlock, uint256 endBlock, address signer). */
export function encodeCommitEpoch(epochId: bigint, startBlock: bigint, endBlock: bigint, signer: Uint8Array): Uint8Array {
  return bytes(encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'address' }], [epochId, startBlock, endBlock, hex(signer)]));
}

/** SequencerSet.recommitEpoch: abi.encode(oldEpochId, newEpochId, startBlock, endBlock, signer). */
export function encodeRecommitEpoch(oldEpochId: bigint, newEpochId: bigint, startBlock: bigint, endBlock: bigint, signer: Uint8Array): Uint8Array {
  return bytes(
    encodeAbiParameters(
      [{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'address' }],
      [oldEpochId, newEpochId, startBlock, endBlock, hex(signer)],
    ),
  );
}

/** BatchInbox.BatchHeader. */
export interface BatchHeader {
  batchIndex: bigint;
  prevBatchHash: Uint8Array; // 32 bytes
  l2StartBlock: bigint;
  l2EndBlock: bigint;
  dataHash: Uint8Array; // 32 bytes
  producer: Uint8Array; // 20-byte L1 address
}

/** BatchInbox's BatchHeader as an ABI tuple: the one definition app, bridge and sidecars share. */
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
    ],
  },
] as const;

/** abi.encode(header): the appendBatch payload (a static tuple, so the same as its fields in a row). */
export function encodeBatchHeader(h: BatchHeader): Uint8Array {
  return bytes(
    encodeAbiParameters(BATCH_HEADER_ABI, [
      { batchIndex: h.batchIndex, prevBatchHash: hex(h.prevBatchHash), l2StartBlock: h.l2StartBlock, l2EndBlock: h.l2EndBlock, dataHash: hex(h.dataHash), producer: hex(h.producer) },
    ]),
  );
}

/** keccak256(abi.encode(header)): BatchInbox.batchHash, the next header's prevBatchHash. */
export function batchHeaderHash(h: BatchHeader): Uint8Array {
  return bytes(keccak256(encodeBatchHeader(h)));
}

/** LockingPool.distributeRewards: abi.encode(uint256[] sequencerIds, uint256[] amounts, uint256 authNonce). */
export function encodeDistributeRewards(sequencerIds: bigint[], amounts: bigint[], authNonce: bigint): Uint8Array {
  return bytes(encodeAbiParameters([{ type: 'uint256[]' }, { type: 'uint256[]' }, { type: 'uint256' }], [sequencerIds, amounts, authNonce]));
}

/** LockingPool.slash: abi.encode(uint256 sequencerId, uint256 amount, uint256 authNonce). */
export function encodeSlash(sequencerId: bigint, amount: bigint, authNonce: bigint): Uint8Array {
  return bytes(encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }], [sequencerId, amount, authNonce]));
}
