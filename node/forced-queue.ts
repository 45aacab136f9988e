// The node's reader of BatchInbox's forced-inclusion queue (decision 46), shared by the L2 adapter
// (which puts due entries into forced blocks), the batcher (which names the chain hash in a header)
// and the gateway (GET /forced-queue). Read at the finalized L1 block, or l1.confirmations below the
// head where L1 has none, like the bridge (decision 38).
import { createPublicClient, http, type Address } from 'viem';
import { ForcedQueueReader, safeL1Block, type ForcedQueueL1 } from '../protocol/forced-queue.js';
import type { NodeConfig } from './node-config.js';

export function forcedQueueOf(config: NodeConfig): ForcedQueueReader | undefined {
  const l1 = config.l1;
  if (!l1?.batchInbox) return undefined;
  const client = createPublicClient({ transport: http(l1.rpcUrl, { retryCount: 1, timeout: 10_000 }) });
  return new ForcedQueueReader(client as unknown as ForcedQueueL1, l1.batchInbox as Address, () => safeL1Block(client, BigInt(l1.confirmations ?? 6)));
}
