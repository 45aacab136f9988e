// What a batch consumes of the forced-inclusion queue, and whether that is right (issue 16, decision
// 46). The producer's batcher reads the consumption from its blocks' markers (forcedConsumption); every
// sidecar, before it signs, checks from its own L2 and its own view of L1 (checkForcedBatch) that
//   - the batch's forced blocks consume the queue in order from the previous batch's cursor, each
//     derived exactly as protocol/forced-block.ts derives it (so every valid entry is in, and every
//     entry left out is invalid by the rule), and the header's cursor and chain hash are where they end;
//   - no entry is left out that was mined on L1 `dueSeconds` or more before the batch's last block:
//     a producer that censors gets no signature, stalls, and the failover replaces it.
import type { Hex } from 'viem';
import type { L2Payload } from './l2-block.js';
import { deriveForcedBlock, type ForcedBlockRpc } from './forced-block.js';
import { MAX_FORCED_PER_BLOCK, parseForcedMarker, type ForcedQueueReader } from './forced-queue.js';

/** What checking needs of the queue (ForcedQueueReader; a fake in unit tests). */
export type ForcedQueueLookup = Pick<ForcedQueueReader, 'view' | 'chainAt'>;

export interface ForcedConsumption {
  /** The cursor after the batch. */
  cursor: bigint;
  /** Forced blocks in the batch: L2 block, first entry, entries consumed. */
  blocks: { number: bigint; first: bigint; count: number }[];
}

/** The forced blocks among `payloads` and the cursor they leave, continuing from `prevCursor`;
 * a string when they do not continue it entry by entry. */
export function forcedConsumption(payloads: readonly Pick<L2Payload, 'blockNumber' | 'extraData'>[], prevCursor: bigint): ForcedConsumption | string {
  let cursor = prevCursor;
  const blocks: ForcedConsumption['blocks'] = [];
  for (const p of payloads) {
    const m = parseForcedMarker(p.extraData);
    if (!m) continue;
    const number = BigInt(p.blockNumber);
    if (m.first !== cursor) return `L2 block ${number} consumes forced entries from ${m.first}, but the queue cursor there is ${cursor}`;
    // The marker can say up to 64 (an escape batch's bound); a block the rule derives never holds more
    // than MAX_FORCED_PER_BLOCK, the bound on the work of checking it.
    if (m.count > MAX_FORCED_PER_BLOCK) return `L2 block ${number} consumes ${m.count} forced entries; a forced block consumes at most ${MAX_FORCED_PER_BLOCK}`;
    blocks.push({ number, first: m.first, count: m.count });
    cursor += BigInt(m.count);
  }
  return { cursor, blocks };
}

export interface ForcedBatchCheck {
  l2: ForcedBlockRpc;
  chainId: bigint;
  queue: ForcedQueueLookup;
  /** The batch's blocks, from our own L2. */
  payloads: readonly L2Payload[];
  /** The cursor after the previous batch (0 before the first). */
  prevCursor: bigint;
  header: { forcedCursor: bigint; forcedChainHash: Hex };
  /** Pool param forcedDueSeconds. */
  dueSeconds: bigint;
}

/** Why the batch must not be signed, or undefined when its forced inclusion is right. */
export async function forcedBatchProblem(c: ForcedBatchCheck): Promise<string | undefined> {
  const used = forcedConsumption(c.payloads, c.prevCursor);
  if (typeof used === 'string') return used;
  const byNumber = new Map(c.payloads.map((p) => [BigInt(p.blockNumber), p]));
  for (const b of used.blocks) {
    const p = byNumber.get(b.number)!;
    const view = await c.queue.view(b.first, b.count);
    if (view.entries.length < b.count) return `L2 block ${b.number} consumes forced entries ${b.first}..${b.first + BigInt(b.count) - 1n}, but our L1 view (block ${view.at}) holds ${view.length} entries`;
    const d = await deriveForcedBlock(c.l2, c.chainId, p.parentHash as Hex, view.entries, { timestamp: BigInt(p.timestamp), feeRecipient: p.feeRecipient as Hex, prevRandao: p.prevRandao as Hex }, b.count);
    if (d.consumed !== b.count || d.payload.blockHash !== p.blockHash) {
      const got = d.verdicts.map((v) => `${v.index}:${v.valid ? 'in' : 'invalid'}`).join(' ');
      return `forced block ${b.number} is not the derivation of entries ${b.first}..${b.first + BigInt(b.count) - 1n} (derived ${d.payload.blockHash} consuming ${d.consumed} [${got}], the block is ${p.blockHash} with ${p.transactions.length} txs)`;
    }
  }
  if (used.cursor !== c.header.forcedCursor) return `the header's forced cursor ${c.header.forcedCursor} is not where the batch's forced blocks end (${used.cursor})`;
  const chain = await c.queue.chainAt(used.cursor);
  if (chain.toLowerCase() !== c.header.forcedChainHash.toLowerCase()) return `the header's forced chain hash ${c.header.forcedChainHash} is not L1's at cursor ${used.cursor} (${chain})`;
  const last = c.payloads[c.payloads.length - 1];
  if (!last) return undefined;
  const next = (await c.queue.view(used.cursor, 1)).entries[0];
  if (next && next.timestamp + c.dueSeconds <= BigInt(last.timestamp)) {
    return `censoring: forced entry ${next.index} (mined on L1 at ${next.timestamp}) was due by ${next.timestamp + c.dueSeconds}, and the batch ends at L2 block ${BigInt(last.blockNumber)} (timestamp ${BigInt(last.timestamp)}) without it`;
  }
  return undefined;
}
