// Every threshold-signed payload decodes to what it was encoded from (the relayer and the sidecar act
// on the decoded fields), and the header hash is keccak256 of the encoding, as BatchInbox computes it.
import { keccak_256 } from '@noble/hashes/sha3.js';
import {
  batchHeaderHash,
  decodeBatchHeader,
  decodeCommitEpoch,
  decodeDistributeRewards,
  decodeRecommitEpoch,
  decodeRotateGroupKey,
  decodeSlash,
  encodeBatchHeader,
  encodeCommitEpoch,
  encodeDistributeRewards,
  encodeRecommitEpoch,
  encodeRotateGroupKey,
  encodeSlash,
} from '../../protocol/signed-payloads.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
/** A uint256 ABI word. */
const word = (v: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((v >> BigInt(8 * (31 - i))) & 0xffn));

test('each payload decodes to the fields it was encoded from', () => {
  const signer = bytes(20, 0xab);
  expect(decodeCommitEpoch(encodeCommitEpoch(7n, 121n, 140n, signer))).toEqual({ epochId: 7n, startBlock: 121n, endBlock: 140n, signer });
  expect(decodeRecommitEpoch(encodeRecommitEpoch(7n, 8n, 125n, 140n, signer))).toEqual({ oldEpochId: 7n, newEpochId: 8n, startBlock: 125n, endBlock: 140n, signer });
  expect(decodeDistributeRewards(encodeDistributeRewards([1n, 3n], [10n, 2n ** 200n], 4n))).toEqual({ sequencerIds: [1n, 3n], amounts: [10n, 2n ** 200n], authNonce: 4n });
  expect(decodeSlash(encodeSlash(2n, 5n, 9n))).toEqual({ sequencerId: 2n, amount: 5n, authNonce: 9n });
  expect(decodeRotateGroupKey(encodeRotateGroupKey(bytes(64, 7), 3n))).toEqual({ newGroupKey: bytes(64, 7), authNonce: 3n });
  const header = { batchIndex: 3n, prevBatchHash: bytes(32, 1), l2StartBlock: 10n, l2EndBlock: 19n, dataHash: bytes(32, 2), producer: bytes(20, 3), forcedCursor: 5n, forcedChainHash: bytes(32, 4) };
  const encoded = encodeBatchHeader(header);
  expect(decodeBatchHeader(encoded)).toEqual(header);
  expect(encoded.length).toBe(8 * 32); // a static tuple: its fields in a row
  expect(encoded.slice(6 * 32, 7 * 32)).toEqual(word(5n)); // forcedCursor after producer, then forcedChainHash
  expect(encoded.slice(7 * 32)).toEqual(bytes(32, 4));
  expect(batchHeaderHash(header)).toEqual(keccak_256(encoded));
});

test('a payload of another shape does not decode', () => {
  expect(() => decodeBatchHeader(encodeSlash(1n, 2n, 3n))).toThrow();
  expect(() => decodeDistributeRewards(encodeSlash(1n, 2n, 3n))).toThrow();
});
