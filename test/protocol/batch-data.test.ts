// The batch data rule the batcher and every sidecar share: keccak256 of the L2 block hashes in order,
// whatever order the concurrent reads complete in.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes } from '../../common/bytes.js';
import { batchDataHash, MAX_BATCH_RANGE, type L2Reader } from '../../protocol/batch-data.js';

const hashOf = (n: bigint) => keccak_256(new TextEncoder().encode(`block ${n}`));
/** Answers later blocks sooner, so reads complete out of order. */
const l2: L2Reader = { blockHash: (n) => new Promise((resolve) => setTimeout(() => resolve(hashOf(n)), Number(40n - n))) };

test('dataHash = keccak256(blockHash(start) || ... || blockHash(end)), in block order', async () => {
  const want = keccak_256(concatBytes(...[3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n, 12n, 13n, 14n, 15n, 16n, 17n, 18n, 19n, 20n].map(hashOf)));
  expect(await batchDataHash(l2, 3n, 20n)).toEqual(want);
  expect(await batchDataHash(l2, 5n, 5n)).toEqual(keccak_256(hashOf(5n)));
});

test('an empty or oversized range is refused before any read', async () => {
  const never: L2Reader = { blockHash: () => Promise.reject(new Error('read')) };
  await expect(batchDataHash(never, 5n, 4n)).rejects.toThrow('bad L2 range 5..4');
  await expect(batchDataHash(never, 1n, MAX_BATCH_RANGE + 1n)).rejects.toThrow(/bad L2 range/);
});
