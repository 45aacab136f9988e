// What a node process sees of its own CometBFT and health, as its gateway answers (/health, /node/...):
// the typed views and their declared shapes (parser and JSON Schema, shape.ts). Not app state: the
// node renders these from CometBFT's RPC (node/chain-watch.ts, node/gateway.ts; decision 37).
import { ADDRESS, count, flag, listOf, nullable, object, optional, text, u64, u64Or0, type ViewOf } from './shape.js';

/** The gateway's /health answer (HTTP 200 when ok, 503 when not). */
export interface HealthView {
  ok: boolean;
  height: bigint | null;
  catchingUp?: boolean;
  reason?: string;
  [field: string]: unknown;
}

/** /health: the app's status plus whatever the node's health callback adds (open). */
export const HEALTH = object(
  'health',
  { ok: flag, height: optional(nullable(u64)), chainId: optional(text()), appHash: optional(text()), catchingUp: optional(flag), reason: optional(text()) },
  { name: 'Health', open: true },
);

const VOTE_RECORD = object('missed votes entry', { address: text(ADDRESS), missed: count, signed: count, lastMissed: u64Or0 }, { name: 'MissedVotesEntry' });
/** Absent votes per validator in the commits the node watched (node/chain-watch.ts), [fromHeight, toHeight]. */
export const MISSED_VOTES = object(
  'missed votes',
  { fromHeight: u64, toHeight: u64, blocks: count, validators: listOf(VOTE_RECORD) },
  { name: 'MissedVotes', description: "absent votes per validator in the commits of the last blocks this node's CometBFT served" },
);
export type MissedVotesView = ViewOf<typeof MISSED_VOTES>;
export const parseMissedVotes = (v: unknown): MissedVotesView => MISSED_VOTES.parse(v);

const BLOCK_TIME = object('block time', { height: u64, timeMs: u64 }, { name: 'BlockTime' });
/** Block times (unix ms) of the heights asked for that the node's CometBFT knows. */
export const BLOCK_TIMES = object('block times', { blocks: listOf(BLOCK_TIME) }, { name: 'BlockTimes' });
export type BlockTimesView = ViewOf<typeof BLOCK_TIMES>;
export const parseBlockTimes = (v: unknown): BlockTimesView => BLOCK_TIMES.parse(v);

/** The node's CometBFT as it reports itself; watchedFrom: the first height whose commit the node has read (0: none yet). */
export const NODE_STATUS = object(
  'node status',
  { moniker: text(), network: text(), latestHeight: u64, latestBlockTimeMs: u64, catchingUp: flag, peers: count, votingPower: u64, watchedFrom: u64Or0 },
  { name: 'NodeStatus' },
);
export type NodeStatusView = ViewOf<typeof NODE_STATUS>;
export const parseNodeStatus = (v: unknown): NodeStatusView => NODE_STATUS.parse(v);

export const parseHealth = (v: unknown): HealthView => {

  const h = HEALTH.parse(v);
  return { ...h, height: h.height ?? null };
};
