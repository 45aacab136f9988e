// Waiting for a forced transaction (issue 16): first its receipt on the L2 (the L2 block the pool, or
// an escape-hatch batch, put it in), then a BatchAppended event on L1 whose L2 range covers that
// block. An entry the pool consumed as invalid never gets a receipt: once BatchInbox's cursor is past
// the entry and the L2 still has no receipt after a grace period, that is reported instead of
// waiting for the timeout. The sources are small interfaces so the polling logic is tested with
// fakes (test/client/forced-wait.test.ts); viemWaitSources adapts real L1 and L2 RPCs.
import { parseAbiItem, TransactionReceiptNotFoundError, type Address, type Hex, type PublicClient } from 'viem';
import { FORCED_QUEUE_ABI } from '../protocol/forced-queue.js';
import { viemLine } from './forced-inclusion.js';

export interface WaitL2 {
  /** The transaction's receipt, or null while the L2 has none. Throws when the L2 does not answer. */
  receipt(hash: Hex): Promise<{ blockNumber: bigint; status: 'success' | 'reverted' } | null>;
}

export interface BatchEvent {
  batchIndex: bigint;
  l2StartBlock: bigint;
  l2EndBlock: bigint;
  l1Block: bigint;
  l1TxHash: Hex;
}

export interface WaitL1 {
  head(): Promise<bigint>;
  /** BatchInbox.forcedCursor at the latest block: entries below it are consumed. */
  forcedCursor(): Promise<bigint>;
  /** BatchAppended events in [from, to]. */
  batches(from: bigint, to: bigint): Promise<BatchEvent[]>;
}

export interface WaitOptions {
  l1: WaitL1;
  l2: WaitL2;
  /** keccak256 of the raw forced transaction. */
  txHash: Hex;
  /** The queue entry holding it. */
  entry: bigint;
  /** The L1 block of the forceInclude: no batch before it can hold the forced block. */
  fromL1Block: bigint;
  timeoutMs: number;
  /** Called once with the L2 block (before the batch is found). */
  onL2Block?: (block: bigint, status: 'success' | 'reverted') => void;
  progress?: (line: string) => void;
  pollMs?: number;
  /** How long the L2 may lack a receipt after L1 says the entry is consumed; default 15 s. */
  invalidGraceMs?: number;
  /** Most L1 blocks one eth_getLogs spans. */
  logChunk?: bigint;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface WaitResult {
  l2Block: bigint;
  status: 'success' | 'reverted';
  batch: BatchEvent;
}

export class ForcedWaitError extends Error {
  override readonly name = 'ForcedWaitError';
  constructor(
    readonly kind: 'timeout' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

const PROGRESS_EVERY_MS = 5_000;

export async function waitForForcedTx(o: WaitOptions): Promise<WaitResult> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = o.pollMs ?? 1_000;
  const grace = o.invalidGraceMs ?? 15_000;
  const chunk = o.logChunk ?? 2_000n;
  const say = o.progress ?? (() => undefined);
  const start = now();
  let lastSaid = start;
  let found: { block: bigint; status: 'success' | 'reverted' } | undefined;
  let consumedSeenAt: number | undefined;
  let scanned = o.fromL1Block - 1n;
  let trouble = '';
  const elapsed = () => `${((now() - start) / 1000).toFixed(0)} s`;

  for (;;) {
    try {
      if (!found) {
        const r = await o.l2.receipt(o.txHash);
        if (r) {
          found = { block: r.blockNumber, status: r.status };
          o.onL2Block?.(r.blockNumber, r.status);
        } else if ((await o.l1.forcedCursor()) > o.entry) {
          // L1 says a batch consumed the entry; the L2 node we ask may lag a block or two behind it.
          consumedSeenAt ??= now();
          if (now() - consumedSeenAt >= grace)
            throw new ForcedWaitError(
              'invalid',
              `entry ${o.entry} is consumed on L1 (BatchInbox.forcedCursor is past it), but the L2 has no receipt for ${o.txHash} after ${grace / 1000} s more: the pool consumed it as invalid (a nonce already used, too little balance for value + gas, or a fee cap below the base fee when it was included)`,
            );
        }
      }
      if (found) {
        const head = await o.l1.head();
        while (scanned < head) {
          const to = scanned + chunk < head ? scanned + chunk : head;
          const hit = (await o.l1.batches(scanned + 1n, to)).find((b) => b.l2StartBlock <= found!.block && found!.block <= b.l2EndBlock);
          scanned = to;
          if (hit) return { l2Block: found.block, status: found.status, batch: hit };
        }
      }
      trouble = '';
    } catch (e) {
      if (e instanceof ForcedWaitError) throw e;
      trouble = viemLine(e).replace(/\.$/, ''); // a node restarting is not a failure: retried until the timeout
    }
    if (now() - start >= o.timeoutMs) {
      const waitingFor = found ? `a batch on L1 covering L2 block ${found.block} (BatchAppended events read up to L1 block ${scanned})` : `transaction ${o.txHash} on the L2`;
      throw new ForcedWaitError('timeout', `no ${found ? 'batch' : 'L2 block'} after ${o.timeoutMs / 1000} s: still waiting for ${waitingFor}${trouble ? `; last error: ${trouble}` : ''}. Raise --timeout, or check the pool (GET /forced-queue on a node's gateway)`);
    }
    if (now() - lastSaid >= PROGRESS_EVERY_MS) {
      lastSaid = now();
      say(`[${elapsed()}] ${found ? `L2 block ${found.block}: waiting for its batch on L1 (read up to L1 block ${scanned})` : `waiting for the L2 to include entry ${o.entry}`}${trouble ? ` (${trouble}; retrying)` : ''}`);
    }
    await sleep(pollMs);
  }
}

const BATCH_APPENDED = parseAbiItem('event BatchAppended(uint256 indexed batchIndex, bytes32 batchHash, uint256 l2StartBlock, uint256 l2EndBlock, bytes32 dataHash, address indexed producer)');

/** The wait's sources over viem clients of L1 (BatchInbox at `inbox`) and the L2. */
export function viemWaitSources(l1: PublicClient, l2: PublicClient, inbox: Address): { l1: WaitL1; l2: WaitL2 } {
  return {
    l1: {
      head: () => l1.getBlockNumber({ cacheTime: 0 }),
      forcedCursor: () => l1.readContract({ address: inbox, abi: FORCED_QUEUE_ABI, functionName: 'forcedCursor' }),
      batches: async (fromBlock, toBlock) =>
        (await l1.getLogs({ address: inbox, event: BATCH_APPENDED, fromBlock, toBlock })).map((l) => ({
          batchIndex: l.args.batchIndex!,
          l2StartBlock: l.args.l2StartBlock!,
          l2EndBlock: l.args.l2EndBlock!,
          l1Block: l.blockNumber,
          l1TxHash: l.transactionHash,
        })),
    },
    l2: {
      receipt: async (hash) => {
        try {
          const r = await l2.getTransactionReceipt({ hash });
          return { blockNumber: r.blockNumber, status: r.status };
        } catch (e) {
          if (e instanceof TransactionReceiptNotFoundError) return null;
          // geth answers an unknown hash so while its transaction index is still being built (a
          // fresh or restarted node): not found yet, as far as waiting goes.
          if (/transaction indexing is in progress/i.test(`${(e as { details?: string }).details ?? ''} ${(e as Error).message}`)) return null;
          throw e;
        }
      },
    },
  };
}
