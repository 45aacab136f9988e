// Which L2 blocks a batch covers and the data hash its header carries (docs/pool.md "Batches"): the
// producer's batcher derives it from its own L2 RPC to request the batch, and every sidecar derives
// it again from ITS OWN L2 RPC before it signs (decision 8). One function, so the two cannot drift
// apart: if they did, no batch would ever be signed.
//
//   dataHash = keccak256(blockHash(l2Start) || blockHash(l2Start + 1) || ... || blockHash(l2End))
import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes } from '../common/bytes.js';

/** Block hashes of the L2 chain, as one reader (an L2 RPC) serves them. */
export interface L2Reader {
  /** 32-byte hash of block `n`; throws when the block is not available (yet). */
  blockHash(n: bigint): Promise<Uint8Array>;
}

/** Largest L2 range whose data hash is derived for one batch (far above maxBatchBlocks). */
export const MAX_BATCH_RANGE = 100_000n;

/**
 * How many batches a producer may have requested and not yet seen finalized from L1 (the bridge's
 * pipeline depth). With that many awaiting L1 the producer waits on the pool and on L1
 * confirmations, so the app's failover does not count that time against it.
 */
export const MAX_BATCHES_IN_FLIGHT = 4;

/** The data hash of L2 blocks [start, end] read from `l2`, 16 reads in flight. */
export async function batchDataHash(l2: L2Reader, start: bigint, end: bigint): Promise<Uint8Array> {
  if (end < start || end - start + 1n > MAX_BATCH_RANGE) throw new Error(`bad L2 range ${start}..${end}`);
  const n = Number(end - start + 1n);
  const hashes: Uint8Array[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      hashes[i] = await l2.blockHash(start + BigInt(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, n) }, worker));
  return keccak_256(concatBytes(...hashes));
}
