// The RPC side of the listener: read one bounded block range (logs plus the hashes of its blocks) as a
// consistent snapshot, and find where the stored chain and the RPC's chain fork.
import type { Hex } from 'viem';
import { equalBytes, fromHex } from '../common/bytes.js';
import { isBatchAppendedLog, isLockingPoolLog, type RawLog } from './decode.js';

/** The slice of a viem PublicClient the listener uses, so tests can wrap a real client. */
export interface L1Client {
  getChainId(): Promise<number>;
  getBlockNumber(args?: { cacheTime?: number }): Promise<bigint>;
  getBlock(args: { blockNumber: bigint } | { blockTag: 'finalized' }): Promise<{ hash: Hex | null; number: bigint | null }>;
  /** Contract state at a block (reconciling with L1, decision 38); without it the listener never reconciles. */
  readContract?(args: { address: Hex; abi: readonly unknown[]; functionName: string; args?: readonly unknown[]; blockNumber: bigint }): Promise<unknown>;
  getLogs(args: { address: Hex | Hex[]; fromBlock: bigint; toBlock: bigint }): Promise<
    { address: Hex; topics: readonly Hex[] | [] | Hex[]; data: Hex; blockHash: Hex | null; blockNumber: bigint | null; logIndex: number | null; transactionHash: Hex | null; removed?: boolean }[]
  >;
}

/** The chain changed while a range was being read; nothing from it was kept, the next poll retries. */
export class ChainMovedError extends Error {
  override readonly name = 'ChainMovedError';
}

export interface RangeSnapshot {
  /** The followed events' logs (LockingPool staking events from the LockingPool, BatchAppended from the
   * BatchInbox; other topics and addresses filtered out), in chain order. */
  logs: RawLog[];
  /** Hash of the range's last block, of every block holding a log, and of the blocks `hashAll` asked for. */
  hashes: Map<bigint, Uint8Array>;
}

const HASH_FETCH_CONCURRENCY = 8;

export async function blockHash(client: L1Client, n: bigint): Promise<Uint8Array> {
  const b = await client.getBlock({ blockNumber: n });
  if (!b.hash) throw new ChainMovedError(`block ${n} has no hash yet (pending)`);
  return fromHex(b.hash);
}

/** The contracts a listener follows: the LockingPool always, the BatchInbox when configured. */
export interface FollowedContracts {
  lockingPool: Hex;
  batchInbox?: Hex;
}

const followed = (c: FollowedContracts, l: { address: Hex; topics: readonly Hex[] }): boolean => {
  const a = l.address.toLowerCase();
  if (a === c.lockingPool.toLowerCase()) return isLockingPoolLog(l);
  return c.batchInbox !== undefined && a === c.batchInbox.toLowerCase() && isBatchAppendedLog(l);
};

/** Reads [from, to]. Every log's block hash must equal the block's hash read after it, or the range is refused. */
export async function readRange(client: L1Client, contracts: FollowedContracts, from: bigint, to: bigint, hashAll: (n: bigint) => boolean): Promise<RangeSnapshot> {
  const address = contracts.batchInbox ? [contracts.lockingPool, contracts.batchInbox] : contracts.lockingPool;
  const raw = await client.getLogs({ address, fromBlock: from, toBlock: to });
  const logs: RawLog[] = [];
  for (const l of raw) {
    if (!followed(contracts, l)) continue;
    if (l.removed || l.blockHash === null || l.blockNumber === null || l.logIndex === null || l.transactionHash === null) {
      throw new ChainMovedError(`the RPC returned a removed or pending log in blocks ${from}-${to}`);
    }
    logs.push({ address: l.address, topics: l.topics, data: l.data, blockHash: l.blockHash, blockNumber: l.blockNumber, logIndex: l.logIndex, transactionHash: l.transactionHash });
  }
  logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));

  const wanted = new Set<bigint>([to, ...logs.map((l) => l.blockNumber)]);
  for (let n = from; n <= to; n++) if (hashAll(n)) wanted.add(n);
  const hashes = new Map<bigint, Uint8Array>();
  const queue = [...wanted];
  const worker = async (): Promise<void> => {
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) hashes.set(n, await blockHash(client, n));
  };
  await Promise.all(Array.from({ length: Math.min(HASH_FETCH_CONCURRENCY, queue.length) }, worker));

  for (const l of logs) {
    if (!equalBytes(fromHex(l.blockHash), hashes.get(l.blockNumber)!)) {
      throw new ChainMovedError(`block ${l.blockNumber} changed hash between reading its logs and its header`);
    }
  }
  return { logs, hashes };
}

/**
 * Walks the stored (number, hash) pairs from `from` down and returns the highest block whose hash the
 * RPC still agrees with: everything above it is on an orphaned branch. Undefined if none agrees.
 */
export async function findForkPoint(
  client: L1Client,
  stored: AsyncIterable<[bigint, Uint8Array]>,
  head: bigint,
): Promise<{ fork: bigint | undefined; checked: number }> {
  let checked = 0;
  for await (const [n, h] of stored) {
    checked++;
    if (n > head) continue;
    if (equalBytes(await blockHash(client, n), h)) return { fork: n, checked };
  }
  return { fork: undefined, checked };
}
