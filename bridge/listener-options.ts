// The L1 listener's settings, checked with zod when it is constructed, and its status report.
import { z } from 'zod';
import type { Logger } from '../common/log.js';
import type { L1Client } from './scan.js';
import type { StakingStateView } from '../protocol/staking-state-view.js';

export const listenerOptionsSchema = z.object({
  rpcUrl: z.string().url().optional(),
  chainId: z.union([z.bigint(), z.number().int()]).transform((v) => BigInt(v)),
  lockingPool: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'lockingPool must be a 0x-prefixed 20-byte address'),
  batchInbox: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'batchInbox must be a 0x-prefixed 20-byte address').optional(),
  startBlock: z.union([z.bigint(), z.number().int()]).transform((v) => BigInt(v)).refine((v) => v >= 0n, 'startBlock must be >= 0'),
  confirmations: z.number().int().min(0).default(6),
  /** 'auto': L1's finalized block when the RPC serves one, else K confirmations (decision 38). */
  finality: z.enum(['auto', 'finalized', 'confirmations']).default('auto'),
  /** How often the pool is compared with L1 when nothing called for it (a self-heal sweep). */
  reconcileIntervalMs: z.number().int().positive().default(300_000),
  /** Corrections are read at multiples of this many blocks, so validators read the same block. */
  checkpointBlocks: z.number().int().positive().default(32),
  pollIntervalMs: z.number().int().positive().default(2_000),
  sweepIntervalMs: z.number().int().positive().default(300_000),
  maxBlockRange: z.number().int().positive().default(1_000),
  hashWindow: z.number().int().positive().optional(),
  maxBackoffMs: z.number().int().positive().default(60_000),
  dbPath: z.string().min(1),
});

export type L1ListenerOptions = z.input<typeof listenerOptionsSchema> & {
  /** Used instead of rpcUrl (tests wrap a real client to drop logs or fail requests). */
  client?: L1Client;
  stateView: StakingStateView;
  logger?: Logger;
};

export interface L1ListenerStatus {
  running: boolean;
  /** Highest block scanned (every block up to it was read once it was safe). */
  cursor: bigint;
  head: bigint | undefined;
  /** What the bridge follows: L1's finalized block, or K confirmations (undefined before the first head). */
  finality: 'finalized' | 'confirmations' | undefined;
  /** The highest block it may act on. */
  safe: bigint | undefined;
  /** The last comparison of the pool with L1 (decision 38): sequencer ids and how many batches disagree. */
  disagreement: { block: bigint; sequencers: bigint[]; batches: bigint } | undefined;
  sweepFrom: bigint;
  storedEvents: number;
  consecutiveFailures: number;
  lastError: string | undefined;
}
