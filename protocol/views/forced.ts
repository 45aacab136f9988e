// GET /forced-queue (issue 16, decision 46): BatchInbox's forced-inclusion queue as a node reads it,
// at the safe L1 block (finalized, or l1.confirmations below the head) like the L2 adapter and the
// sidecars, so an operator sees what the pool acts on. Not app state: the node reads L1 itself
// (node/forced-queue.ts) and the answer's `height` is null. The deadline and escape times are the
// contract's (an entry is overdue once an L1 block is later than timestamp + forceWindow; the escape
// hatch opens after deadline + escapeDelay); `ageSeconds` and `overdue` use the gateway's clock, so
// they say how late the pool is now, which L1 only says at its next block.
import { flag, nested, nullable, object, u64, type ViewOf } from './shape.js';

const FORCED_ENTRY = object(
  'forced entry',
  {
    index: u64,
    l1Block: u64,
    /** L1 block timestamp (unix s). */
    timestamp: u64,
    ageSeconds: u64,
    /** timestamp + forceWindow: a batch appended after it must have consumed the entry. */
    deadline: u64,
    /** deadline + escapeDelay: after it anyone may append the entry with appendForcedBatch. */
    escapeAt: u64,
    overdue: flag,
  },
  { name: 'ForcedEntry', description: 'the oldest entry no appended batch has consumed yet' },
);

export const FORCED_QUEUE = object(
  'forced queue',
  {
    l1Block: u64,
    length: u64,
    cursor: u64,
    pending: u64,
    forceFee: u64,
    forceWindow: u64,
    escapeDelay: u64,
    oldest: nullable(nested(FORCED_ENTRY)),
  },
  { name: 'ForcedQueue', description: "BatchInbox's forced-inclusion queue at the L1 block the node reads it at (finalized, or confirmations below the head)" },
);
export type ForcedQueueStatusView = ViewOf<typeof FORCED_QUEUE>;
export const parseForcedQueue = (v: unknown): ForcedQueueStatusView => FORCED_QUEUE.parse(v);

/** Inputs of renderForcedQueue: ForcedQueueReader's summary() and settings() (protocol/forced-queue.ts). */
export interface ForcedQueueFacts {
  at: bigint;
  length: bigint;
  consumed: bigint;
  oldest: { index: bigint; l1Block: bigint; timestamp: bigint } | null;
  forceFee: bigint;
  forceWindow: bigint;
  escapeDelay: bigint;
}

/** The answer of /forced-queue at `nowSeconds` (unix s, the gateway's clock). */
export function renderForcedQueue(f: ForcedQueueFacts, nowSeconds: bigint): ForcedQueueStatusView {
  const o = f.oldest;
  const deadline = o ? o.timestamp + f.forceWindow : 0n;
  return {
    l1Block: f.at,
    length: f.length,
    cursor: f.consumed,
    pending: f.length > f.consumed ? f.length - f.consumed : 0n,
    forceFee: f.forceFee,
    forceWindow: f.forceWindow,
    escapeDelay: f.escapeDelay,
    // A gateway clock behind L1's block time would give a negative age: 0 then.
    oldest: o
      ? { index: o.index, l1Block: o.l1Block, timestamp: o.timestamp, ageSeconds: nowSeconds > o.timestamp ? nowSeconds - o.timestamp : 0n, deadline, escapeAt: deadline + f.escapeDelay, overdue: nowSeconds > deadline }
      : null,
  };
}
