// The escape hatch's L2 blocks (issue 16, decision 46). When no batch consumed an overdue entry for
// escapeDelay, anyone may append a forced-only batch on L1 (BatchInbox.appendForcedBatch): count
// entries, one L2 block each, right after the last batched block. Its blocks are a pure function of
// L1: every node, and the verifier, derives them the same way and they need nobody's signature.
//   - block k (0-based) consumes entry firstEntry + k (protocol/forced-block.ts, at most one entry);
//   - timestamp: max(parent's + 1, the timestamp of the L1 block that appended the batch);
//   - fee recipient: the zero address (nobody earns the fees of a batch nobody produced);
//   - prevRandao: the parent's hash, as every block of this L2 (l2/driver.ts).
import type { Hex } from 'viem';
import { deriveForcedBlock, ForcedBlockError, type ForcedBlock, type ForcedBlockRpc } from './forced-block.js';
import type { ForcedEntry } from './forced-queue.js';
import type { L2Payload } from './l2-block.js';

export const ESCAPE_FEE_RECIPIENT: Hex = `0x${'00'.repeat(20)}`;
/** What a node stores as the "signature" of an escape block it derived from L1 itself (nobody signs
 * one): it recovers no key, so a peer that is sent such a block refuses it and derives its own. */
export const ESCAPE_SIGNATURE: Hex = `0x${'00'.repeat(65)}`;

export interface EscapeParent {
  hash: Hex;
  timestamp: bigint;
}

/**
 * Derives the escape batch's blocks on `parent`, one per entry, calling `adopt` on each before the
 * next (deriving a block simulates on its parent's state, so geth must hold the previous one).
 */
export async function deriveEscapeBlocks(rpc: ForcedBlockRpc, chainId: bigint, parent: EscapeParent, entries: readonly ForcedEntry[], l1Timestamp: bigint, adopt: (p: L2Payload) => Promise<void>): Promise<ForcedBlock[]> {
  const out: ForcedBlock[] = [];
  let at = parent;
  for (const e of entries) {
    const timestamp = at.timestamp + 1n > l1Timestamp ? at.timestamp + 1n : l1Timestamp;
    const d = await deriveForcedBlock(rpc, chainId, at.hash, [e], { timestamp, feeRecipient: ESCAPE_FEE_RECIPIENT, prevRandao: at.hash }, 1);
    if (d.consumed !== 1) throw new ForcedBlockError(`escape block for entry ${e.index} consumed ${d.consumed} entries`);
    await adopt(d.payload);
    out.push(d);
    at = { hash: d.payload.blockHash as Hex, timestamp };
  }
  return out;
}
