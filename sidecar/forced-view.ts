// The sidecar's view of forced inclusion (decision 46): the L1 queue read from its own L1 RPC at the
// finalized block (or K confirmations), its own L2 node for deriving forced blocks, and from committed
// state the previous batch's cursor and forcedDueSeconds. Nothing here comes from the producer.
import { createPublicClient, http, type Address } from 'viem';
import type { ForcedInclusionDeps } from './approval.js';
import type { ChainClient } from './chain.js';
import type { SidecarConfig } from './config.js';
import { ForcedQueueReader, safeL1Block, type ForcedQueueL1 } from '../protocol/forced-queue.js';
import type { L2PayloadReader } from '../protocol/l2-payload-reader.js';
import { AbciPath, parseBatch, parseParams } from '../protocol/views/index.js';

export function forcedInclusionView(l1: NonNullable<SidecarConfig['l1']>, l2: L2PayloadReader, chain: ChainClient): ForcedInclusionDeps {
  const client = createPublicClient({ transport: http(l1.rpcUrl, { retryCount: 1, timeout: 10_000 }) });
  const queue = new ForcedQueueReader(client as unknown as ForcedQueueL1, l1.batchInbox as Address, () => safeL1Block(client, BigInt(l1.confirmations)));
  let chainId: bigint | undefined;
  return {
    queue,
    l2,
    l2ChainId: async () => (chainId ??= BigInt(await l2.call<string>('eth_chainId', []))),
    prevCursor: async (index) => {
      if (index === 0n) return 0n;
      const a = await chain.query(AbciPath.batch(index - 1n));
      if (!a) throw new Error(`committed state has no batch ${index - 1n}`);
      return BigInt(parseBatch(a.value).forcedCursor);
    },
    dueSeconds: async () => {
      const a = await chain.query(AbciPath.params);
      if (!a) throw new Error('committed state has no params');
      return BigInt(parseParams(a.value).forcedDueSeconds ?? 0);
    },
  };
}
