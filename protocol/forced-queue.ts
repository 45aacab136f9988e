// Forced inclusion (issue 16, decision 46): BatchInbox's L1 queue of L2 transactions as every process
// reads it. Anyone pays BatchInbox.forceFee to append a signed L2 transaction; the contract keeps a
// hash chain over the entries (chain[i+1] = keccak256(abi.encode(chain[i], keccak256(tx), l1Block,
// timestamp))) and every batch header names the cursor it consumed up to and the chain hash there, so
// a signature covers exactly the entries consumed. The producer puts them into "forced blocks"
// (protocol/forced-block.ts), marked in extraData with the range of entries they consume.
//
// The reader reads at the L1 block the caller deems safe (finalized, like the bridge: decision 38):
// an entry the pool acts on can then never vanish in a reorg, which would leave a batch that claims it
// unappendable. It checks the entries the RPC returns against the contract's own chain hashes, so an
// RPC that drops or alters an entry is caught, not believed.
import { encodeAbiParameters, keccak256, parseAbi, type Address, type Hex } from 'viem';

/** BatchInbox.MAX_FORCED_TX_BYTES: the largest forced L2 transaction. */
export const MAX_FORCED_TX_BYTES = 16_384;
/** Entries one forced block may consume (bounds the work of deriving or checking one). */
export const MAX_FORCED_PER_BLOCK = 16;
/** BatchInbox.MAX_FORCED_PER_BATCH: entries one escape-hatch batch may consume. */
export const MAX_FORCED_PER_ESCAPE = 64;

export const FORCED_QUEUE_ABI = parseAbi([
  'function forceInclude(bytes l2Tx) payable returns (uint256)',
  'function forceFee() view returns (uint256)',
  'function forceWindow() view returns (uint256)',
  'function escapeDelay() view returns (uint256)',
  'function forcedQueueLength() view returns (uint256)',
  'function forcedCursor() view returns (uint256)',
  'function nextL2Block() view returns (uint256)',
  'function forcedChainAt(uint256 cursor) view returns (bytes32)',
  'function forcedEntry(uint256 index) view returns (bytes32 chainHash, uint64 l1Block, uint64 timestamp)',
  'function appendForcedBatch(uint256 count) returns (uint256)',
  'event ForcedInclusion(uint256 indexed index, bytes32 chainHash, uint64 l1Block, uint64 timestamp, bytes l2Tx)',
  'event ForcedBatchAppended(uint256 indexed batchIndex, uint256 firstEntry, uint256 count, uint256 l2StartBlock)',
]);

export interface ForcedEntry {
  index: bigint;
  /** The chain hash after this entry. */
  chainHash: Hex;
  l1Block: bigint;
  /** L1 block timestamp (unix s): the entry is overdue on L1 after timestamp + forceWindow. */
  timestamp: bigint;
  /** The signed L2 transaction, as forced. */
  tx: Hex;
}

/** L1 blocks per eth_getLogs when scanning for escape-hatch batches. */
export const ESCAPE_LOG_CHUNK = 2_000n;

export const ZERO_CHAIN: Hex = `0x${'00'.repeat(32)}`;

export class ForcedQueueError extends Error {
  override readonly name = 'ForcedQueueError';
}

/** The chain hash after appending `tx` (mined in `l1Block` at `timestamp`) to a queue whose chain is `prev`. */
export function nextChainHash(prev: Hex, tx: Hex, l1Block: bigint, timestamp: bigint): Hex {
  return keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'uint64' }, { type: 'uint64' }], [prev, keccak256(tx), l1Block, timestamp]));
}

// ---------- the forced-block marker (extraData) ----------

/** "sqf1": extraData of a forced block is this, the first entry (uint64) and the count (uint16). */
const MARKER_MAGIC = '73716631';

/** extraData of a forced block consuming entries first .. first + count - 1. */
export function forcedMarker(first: bigint, count: number): Hex {
  if (count < 1 || count > MAX_FORCED_PER_ESCAPE) throw new ForcedQueueError(`a forced block consumes 1..${MAX_FORCED_PER_ESCAPE} entries, not ${count}`);
  return `0x${MARKER_MAGIC}${first.toString(16).padStart(16, '0')}${count.toString(16).padStart(4, '0')}`;
}

/** The entries a block's extraData says it consumes, or undefined for an ordinary block. */
export function parseForcedMarker(extraData: string): { first: bigint; count: number } | undefined {
  const x = extraData.toLowerCase();
  if (x.length !== 2 + 28 || !x.startsWith(`0x${MARKER_MAGIC}`)) return undefined;
  const count = parseInt(x.slice(26), 16);
  if (count < 1 || count > MAX_FORCED_PER_ESCAPE) return undefined;
  return { first: BigInt(`0x${x.slice(10, 26)}`), count };
}

// ---------- reading the queue from L1 ----------

/** What the reader needs of a viem PublicClient. */
export interface ForcedQueueL1 {
  readContract(args: { address: Address; abi: typeof FORCED_QUEUE_ABI; functionName: string; args?: readonly unknown[]; blockNumber?: bigint }): Promise<unknown>;
  getContractEvents(args: { address: Address; abi: typeof FORCED_QUEUE_ABI; eventName: 'ForcedInclusion' | 'ForcedBatchAppended'; fromBlock: bigint; toBlock: bigint }): Promise<readonly { args: unknown; blockNumber: bigint | null; transactionHash?: Hex | null }[]>;
  getBlock(args: { blockNumber: bigint }): Promise<{ timestamp: bigint }>;
}

/** An escape-hatch batch on L1 (BatchInbox.appendForcedBatch): one L2 block per entry consumed. */
export interface EscapeBatch {
  batchIndex: bigint;
  firstEntry: bigint;
  count: bigint;
  l2StartBlock: bigint;
  l1Block: bigint;
  /** The L1 block's timestamp: the derived blocks' timestamps start there (protocol/forced-escape.ts). */
  l1Timestamp: bigint;
}

export interface ForcedQueueView {
  /** The L1 block read at. */
  at: bigint;
  /** Entries in the queue. */
  length: bigint;
  /** Entries consumed by appended batches (BatchInbox.forcedCursor). */
  consumed: bigint;
  /** Entries from the index asked for, in order (at most the number asked for). */
  entries: ForcedEntry[];
}

/** BatchInbox's forced-inclusion parameters (immutables: read once). */
export interface ForcedQueueSettings {
  /** Wei per forceInclude. */
  forceFee: bigint;
  /** Seconds after an entry's L1 timestamp by which a batch must have consumed it. */
  forceWindow: bigint;
  /** Seconds after that deadline from which anyone may append a forced-only batch. */
  escapeDelay: bigint;
}

/** The queue at the safe block without its transactions: what an operator or a user watches. */
export interface ForcedQueueSummary {
  /** The L1 block read at. */
  at: bigint;
  length: bigint;
  /** Entries consumed by appended batches (BatchInbox.forcedCursor). */
  consumed: bigint;
  /** The first unconsumed entry (the only one that can be overdue: entries are in L1 time order). */
  oldest: { index: bigint; l1Block: bigint; timestamp: bigint } | null;
}

/** What safeL1Block needs of a viem PublicClient. */
export interface SafeBlockL1 {
  getBlock(args: { blockTag: 'finalized' | 'latest' }): Promise<{ number: bigint | null }>;
}

/**
 * The L1 block the forced queue is read at: the finalized block when the RPC serves one (decision
 * 38), else `confirmations` below the head. Processes that are not the bridge (the sidecar, the L2
 * adapter, the CLI) read the queue with this.
 */
export async function safeL1Block(l1: SafeBlockL1, confirmations: bigint): Promise<bigint> {
  try {
    const f = await l1.getBlock({ blockTag: 'finalized' });
    if (f.number !== null) return f.number;
  } catch {
    /* no finalized tag on this RPC: K confirmations below */
  }
  const head = (await l1.getBlock({ blockTag: 'latest' })).number ?? 0n;
  return head > confirmations ? head - confirmations : 0n;
}

export class ForcedQueueReader {
  /** Entries read so far, by index: final (read at a finalized block), so never stale. Bounded:
   * entries below the last `from` are dropped, and at most MAX_CACHED are kept. */
  readonly #cache = new Map<bigint, ForcedEntry>();
  static readonly MAX_CACHED = 512;

  constructor(
    private readonly l1: ForcedQueueL1,
    readonly inbox: Address,
    /** The L1 block the queue is read at (the finalized block, or K below the head). */
    private readonly safeBlock: () => Promise<bigint>,
  ) {}

  private read<T>(functionName: string, at: bigint, args: readonly unknown[] = []): Promise<T> {
    return this.l1.readContract({ address: this.inbox, abi: FORCED_QUEUE_ABI, functionName, args, blockNumber: at }) as Promise<T>;
  }

  /** The queue at the safe block: its length, the L1 cursor and up to `max` entries from `from`. */
  async view(from: bigint, max: number = MAX_FORCED_PER_ESCAPE): Promise<ForcedQueueView> {
    const at = await this.safeBlock();
    const [length, consumed] = await Promise.all([this.read<bigint>('forcedQueueLength', at), this.read<bigint>('forcedCursor', at)]);
    for (const k of this.#cache.keys()) if (k < from) this.#cache.delete(k);
    const want = length - from < BigInt(max) ? length - from : BigInt(max);
    if (want <= 0n) return { at, length, consumed, entries: [] };
    let missing = from;
    while (missing < from + want && this.#cache.has(missing)) missing++;
    const fetched = missing < from + want ? await this.fetch(missing, from + want - 1n, at) : new Map<bigint, ForcedEntry>();
    const entries: ForcedEntry[] = [];
    for (let i = from; i < from + want; i++) entries.push(this.#cache.get(i) ?? fetched.get(i)!);
    return { at, length, consumed, entries };
  }

  #settings: Promise<ForcedQueueSettings> | undefined;

  /** forceFee, forceWindow and escapeDelay, read once at the latest block (immutables: the same at
   * every block since deployment, also one the safe block may not reach yet); a failed read is retried. */
  settings(): Promise<ForcedQueueSettings> {
    if (this.#settings) return this.#settings;
    const read = (fn: string) => this.l1.readContract({ address: this.inbox, abi: FORCED_QUEUE_ABI, functionName: fn }) as Promise<bigint>;
    const p = Promise.all([read('forceFee'), read('forceWindow'), read('escapeDelay')]).then(([forceFee, forceWindow, escapeDelay]) => ({ forceFee, forceWindow, escapeDelay }));
    this.#settings = p;
    p.catch(() => {
      if (this.#settings === p) this.#settings = undefined;
    });
    return p;
  }

  /** Length, cursor and the oldest unconsumed entry, all at one safe block (reads no event, touches no cache). */
  async summary(): Promise<ForcedQueueSummary> {
    const at = await this.safeBlock();
    const [length, consumed] = await Promise.all([this.read<bigint>('forcedQueueLength', at), this.read<bigint>('forcedCursor', at)]);
    if (consumed >= length) return { at, length, consumed, oldest: null };
    const [, l1Block, timestamp] = await this.read<readonly [Hex, bigint, bigint]>('forcedEntry', at, [consumed]);
    return { at, length, consumed, oldest: { index: consumed, l1Block, timestamp } };
  }

  /** Escape-hatch batches appended in L1 blocks fromBlock..the safe block, in order. */
  async escapes(fromBlock: bigint): Promise<EscapeBatch[]> {
    return (await this.escapesUpTo(fromBlock)).batches;
  }

  /** Escape-hatch batches in L1 blocks fromBlock..the safe block, and that block: a follower scans on
   * from there. eth_getLogs in ranges of ESCAPE_LOG_CHUNK blocks (RPCs cap a range). */
  async escapesUpTo(fromBlock: bigint): Promise<{ at: bigint; batches: EscapeBatch[] }> {
    const at = await this.safeBlock();
    const logs: Awaited<ReturnType<ForcedQueueL1['getContractEvents']>>[number][] = [];
    for (let from = fromBlock; from <= at; from += ESCAPE_LOG_CHUNK) {
      const to = from + ESCAPE_LOG_CHUNK - 1n < at ? from + ESCAPE_LOG_CHUNK - 1n : at;
      logs.push(...(await this.l1.getContractEvents({ address: this.inbox, abi: FORCED_QUEUE_ABI, eventName: 'ForcedBatchAppended', fromBlock: from, toBlock: to })));
    }
    const out: EscapeBatch[] = [];
    for (const l of logs) {
      const a = l.args as { batchIndex: bigint; firstEntry: bigint; count: bigint; l2StartBlock: bigint };
      const l1Block = l.blockNumber ?? 0n;
      out.push({ batchIndex: a.batchIndex, firstEntry: a.firstEntry, count: a.count, l2StartBlock: a.l2StartBlock, l1Block, l1Timestamp: (await this.l1.getBlock({ blockNumber: l1Block })).timestamp });
    }
    return { at, batches: out.sort((x, y) => (x.batchIndex < y.batchIndex ? -1 : 1)) };
  }

  /** BatchInbox.nextL2Block at the safe block: every L2 block below it is in an appended batch. */
  async nextL2Block(): Promise<bigint> {
    return this.read<bigint>('nextL2Block', await this.safeBlock());
  }

  /** The chain hash after entry cursor - 1 (zero for 0), as the contract holds it at the safe block. */
  async chainAt(cursor: bigint): Promise<Hex> {
    if (cursor === 0n) return ZERO_CHAIN;
    const cached = this.#cache.get(cursor - 1n);
    if (cached) return cached.chainHash;
    return this.read<Hex>('forcedChainAt', await this.safeBlock(), [cursor]);
  }

  /** Reads entries first..last from their ForcedInclusion events and checks them against the chain. */
  private async fetch(first: bigint, last: bigint, at: bigint): Promise<Map<bigint, ForcedEntry>> {
    const [, fromBlock] = await this.read<readonly [Hex, bigint, bigint]>('forcedEntry', at, [first]);
    let prev = await this.read<Hex>('forcedChainAt', at, [first]);
    const logs = await this.l1.getContractEvents({ address: this.inbox, abi: FORCED_QUEUE_ABI, eventName: 'ForcedInclusion', fromBlock, toBlock: at });
    const byIndex = new Map<bigint, ForcedEntry>();
    for (const l of logs) {
      const a = l.args as { index: bigint; chainHash: Hex; l1Block: bigint; timestamp: bigint; l2Tx: Hex };
      if (a.index >= first && a.index <= last) byIndex.set(a.index, { index: a.index, chainHash: a.chainHash, l1Block: a.l1Block, timestamp: a.timestamp, tx: a.l2Tx });
    }
    for (let i = first; i <= last; i++) {
      const e = byIndex.get(i);
      if (!e) throw new ForcedQueueError(`the L1 RPC returned no ForcedInclusion event for entry ${i} (L1 blocks ${fromBlock}..${at})`);
      if (nextChainHash(prev, e.tx, e.l1Block, e.timestamp) !== e.chainHash) throw new ForcedQueueError(`forced entry ${i} from the L1 RPC does not continue the queue's hash chain`);
      prev = e.chainHash;
    }
    const expected = await this.read<Hex>('forcedChainAt', at, [last + 1n]);
    if (prev !== expected) throw new ForcedQueueError(`forced entries ${first}..${last} from the L1 RPC end on chain hash ${prev}, the contract holds ${expected}`);
    for (let i = first; i <= last; i++) {
      if (this.#cache.size >= ForcedQueueReader.MAX_CACHED) break;
      this.#cache.set(i, byIndex.get(i)!);
    }
    return byIndex;
  }
}
