// bench:forced's section of docs/BENCHMARKS.md: the figures bench/forced.ts measured, each next to its
// goal (issue 16) and its anchors, and where every gas number comes from.
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Hex } from 'viem';
import type { L1BatchRecord } from './forced-observe.js';
import { fmtMs, pct } from './localnet-bench.js';
import { benchmarksPath, markdownTable } from './report.js';

/** A transfer forced through L1: its queue entry and when it was mined. */
export interface Forced {
  user: number;
  index: bigint;
  /** The entry's L1 timestamp (unix s): forceInclude's block. */
  t0: bigint;
  /** Date.now() when the bench saw forceInclude's receipt (polled every 100 ms). */
  wallAt: number;
  l2Tx: Hex;
  /** forceInclude's gasUsed, and the size of the signed transaction it carried. */
  gasUsed: bigint;
  txBytes: number;
}

/** A forced transfer in the L2 and its batch on L1. */
export interface Landed {
  f: Forced;
  l2Block: bigint;
  /** The node that built the block. */
  miner: string;
  /** forceInclude's receipt seen -> the block first seen on the watched geth. */
  l2WallMs: number;
  /** The block's timestamp - t0 (s). */
  l2Secs: number;
  batch: L1BatchRecord;
  /** The batch's L1 block timestamp - t0 (s). */
  batchSecs: number;
}

export interface CensoredRound {
  landed: Landed;
  censor: string;
  /** The honest node whose geth the round was watched on. */
  watched: string;
  /** The censor's last block in the chain -> the first block another producer built, as `watched` saw them. */
  gap: { from: bigint; to: bigint; ms: number; respan: boolean } | undefined;
  missesBefore: number;
  missesAfter: number;
}

export interface ForcedFigures {
  honest: Landed[];
  rounds: CensoredRound[];
  batches: L1BatchRecord[];
  forceWindow: bigint;
  escapeDelay: bigint;
  params: Record<string, string | number>;
  odd: string[];
  trouble: { msg: string; level: number; count: number; nodes: string[] }[];
}

const s = (x: number) => (Number.isNaN(x) ? 'n/a' : `${x} s`);
const median = (xs: number[]) => pct(xs, 50);
const met = (ok: boolean) => (ok ? 'met' : 'not met');

/** bench:gas's forced-inclusion line in docs/BENCHMARKS.md, if it has been run since it measures them. */
function benchGasFigures(): { txBytes: number; first: number; next: number; c0: number; c1: number; c16: number } | undefined {
  const file = benchmarksPath();
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const inc = /forceInclude of a (\d+)-byte signed L2 transfer: (\d+) gas for the first entry, (\d+) for the next ones/.exec(text);
  const app = /consuming 0 entries: (\d+) gas, 1 entry: (\d+), 16 entries: (\d+)/.exec(text);
  if (!inc || !app) return undefined;
  return { txBytes: +inc[1]!, first: +inc[2]!, next: +inc[3]!, c0: +app[1]!, c1: +app[2]!, c16: +app[3]! };
}

/** Seconds between consecutive batches on L1 (their blocks' timestamps), over the honest phase. */
export function batchIntervals(batches: L1BatchRecord[], honest: Landed[]): number[] {
  if (!honest.length) return [];
  const from = honest.reduce((m, l) => (l.f.t0 < m ? l.f.t0 : m), honest[0]!.f.t0);
  const to = honest.reduce((m, l) => (l.batch.l1Time > m ? l.batch.l1Time : m), 0n);
  const inRun = batches.filter((b) => b.l1Time >= from && b.l1Time <= to).sort((a, b) => (a.index < b.index ? -1 : 1));
  return inRun.slice(1).map((b, i) => Number(b.l1Time - inRun[i]!.l1Time));
}

/** Every error message the nodes and sidecars logged, and the most frequent warnings. */
function troubleLine(trouble: ForcedFigures['trouble']): string {
  if (!trouble.length) return 'The nodes and sidecars logged no warning or error.';
  const fmt = (t: ForcedFigures['trouble'][number]) => `${t.count}x "${t.msg}" (${t.nodes.join(', ')})`;
  const errors = trouble.filter((t) => t.level >= 50);
  const warnings = trouble.filter((t) => t.level < 50);
  return [
    errors.length ? `Errors the nodes and sidecars logged: ${errors.map(fmt).join('; ')}.` : 'The nodes and sidecars logged no error.',
    warnings.length ? `Most frequent warnings: ${warnings.slice(0, 6).map(fmt).join('; ')}${warnings.length > 6 ? `; and ${warnings.length - 6} more messages` : ''}.` : '',
  ].join(' ').trim();
}

export function forcedReport(x: ForcedFigures): string {
  const cen = x.rounds.map((r) => r.landed);
  const row = (name: string, ls: Landed[]) => {
    const wall = ls.map((l) => l.l2WallMs);
    const l2 = ls.map((l) => l.l2Secs);
    const b = ls.map((l) => l.batchSecs);
    return [name, ls.length, fmtMs(pct(wall, 50)), fmtMs(pct(wall, 99)), fmtMs(Math.max(...wall)), s(pct(l2, 50)), s(Math.max(...l2)), s(pct(b, 50)), s(pct(b, 99)), s(Math.max(...b))];
  };
  const intervals = batchIntervals(x.batches, x.honest);
  const interval = median(intervals);
  const honestBatchP50 = median(x.honest.map((l) => l.batchSecs));
  const window = Number(x.forceWindow);

  // Gas from this run's receipts.
  const all = [...x.honest, ...cen].sort((a, b) => (a.f.index < b.f.index ? -1 : 1));
  const inc = all.map((l) => Number(l.f.gasUsed));
  const steady = x.batches.filter((b) => b.index > 0n && b.execution !== undefined && b.consumed !== undefined);
  const with1 = steady.filter((b) => b.consumed! >= 1).map((b) => b.execution!);
  const with0 = steady.filter((b) => b.consumed === 0).map((b) => b.execution!);
  const floored = x.batches.filter((b) => b.execution === undefined).length;
  const g = benchGasFigures();

  const p = x.params;
  return [
    '## Forced inclusion (`npm run bench:forced`)',
    '',
    `${new Date().toISOString()}, ${cpus()[0]?.model.trim() ?? 'unknown'} x${cpus().length}, Node ${process.version}. One 4-validator localnet with L1 (anvil, a block a second; the pool reads`,
    `the queue at L1's finalized block, ${p.l1Confirmations} behind the head) and one geth per validator: L2 blocks every second, batches closing at \`batchMaxAgeSeconds\` ${p.batchMaxAgeSeconds},`,
    `entries due in L2 blocks \`forcedDueSeconds\` ${p.forcedDueSeconds} after their L1 time, \`l2StallSeconds\` ${p.l2StallSeconds}; BatchInbox \`forceWindow\` ${x.forceWindow} s, \`escapeDelay\` ${x.escapeDelay} s (read from the contract).`,
    'Every node runs `test/entry/byzantine-node.mjs`: the production node (`dist/node/node.js`, started as `seqpool node start` starts it) with one seam,',
    'honest until the bench writes HOME/censor-forced, after which that node as producer builds no forced blocks. Transfers are signed on L2 by the three',
    'funded development accounts (a sender\'s next only once its previous is in the L2) and forced through `BatchInbox.forceInclude` by the L1 deployer,',
    `${x.honest.length} honest ones 3 s apart, then ${x.rounds.length} censored rounds. t0 is the L1 timestamp of forceInclude's block (the entry's). Entry -> L2: the block holding the`,
    'transfer, wall clock from the bench seeing forceInclude\'s receipt (polled every 100 ms) to the geth first showing the block (node0\'s; an honest',
    'node\'s in a censored round), and L2 time (block timestamp - t0, whole seconds). Entry -> batch on L1: the L1 timestamp of the BatchAppended whose',
    'range holds that block, - t0.',
    '',
    markdownTable(
      ['case', 'entries', 'entry -> L2 p50 (wall)', 'p99', 'max', 'entry -> L2 p50 (L2 time)', 'max', 'entry -> batch on L1 p50', 'p99', 'max'],
      [row('honest pool', x.honest), ...(cen.length ? [row('censoring producer', cen)] : [])],
    ),
    '',
    markdownTable(
      ['censored round', 'censor', 'entry', 'entry -> L2 (L2 time, wall)', 'entry -> batch on L1', 'last batch without it on L1', 'failover: censor\'s last block -> next producer\'s first', 'censor\'s misses', 'included by', `goal: forceWindow + failover`],
      x.rounds.map((r, i) => {
        const l = r.landed;
        const bound = r.gap ? window * 1000 + r.gap.ms : NaN;
        const before = x.batches.find((b) => b.index === l.batch.index - 1n);
        return [
          i + 1,
          r.censor,
          `${l.f.index}`,
          `${s(l.l2Secs)}, ${fmtMs(l.l2WallMs)}`,
          s(l.batchSecs),
          before ? `${before.l1Time >= l.f.t0 ? '+' : ''}${before.l1Time - l.f.t0} s (batch ${before.index})` : 'n/a',
          r.gap ? `${fmtMs(r.gap.ms)} (L2 ${r.gap.from} -> ${r.gap.to}${r.gap.respan ? ', re-span' : ', not a re-span'}, seen on ${r.watched})` : 'not seen',
          `${r.missesBefore} -> ${r.missesAfter}`,
          `${l.miner}, L2 block ${l.l2Block}`,
          r.gap ? `${fmtMs(bound)}: ${met(l.l2Secs * 1000 <= bound)}` : 'n/a',
        ];
      }),
    ),
    '',
    `Goals (issue 16). Honest p50 within two L2 batches: batches reached L1 every ${s(interval)} (p50 of ${intervals.length} intervals between consecutive BatchAppended L1`,
    `timestamps in the same run), so two batches are ${s(2 * interval)}; entry -> batch on L1 p50 ${s(honestBatchP50)}: ${met(honestBatchP50 <= 2 * interval)}.`,
    `Censored within \`forceWindow\` (${window} s) plus the failover time (each round's gap above): ${x.rounds.length ? x.rounds.map((r, i) => `round ${i + 1} ${s(r.landed.l2Secs)} into the L2 (${r.gap ? met(r.landed.l2Secs * 1000 <= window * 1000 + r.gap.ms) : 'no failover seen'})`).join(', ') : 'no round ran'}.`,
    'The floor under the honest figure is the L1 finality the pool waits for (the queue is read at the finalized block, so an entry it consumed can',
    'never be reorganised away) plus a batch\'s age; under the censored one, `forcedDueSeconds` (when followers start refusing the censor\'s blocks) plus',
    'the stall clock and the re-span. L1 refuses a batch that leaves an entry out past `forceWindow`, not one that consumes it late: what must reach',
    'L1 within the window is the last batch without the entry (the column before the failover), which a slower re-span would push past it.',
    '',
    `Gas. \`forceInclude\` of a signed ${[...new Set(all.map((l) => l.f.txBytes))].join(' or ')}-byte L2 transfer, from this run's receipts: ` +
      `${inc[0] ?? 'n/a'} gas for the queue's first entry, ${median(inc.slice(1))} (median of ${Math.max(0, inc.length - 1)}) for the next ones.`,
    `\`appendBatch\`'s extra L1 gas per consumed entry, from this run's receipts: the execution part of a batch's gas (gasUsed - 21,000 - 4 per calldata`,
    `token; ${floored ? `${x.batches.length - floored} of ${x.batches.length} receipts paid standard pricing, the rest the EIP-7623 floor, which hides it` : `all ${x.batches.length} receipts paid standard pricing, not the EIP-7623 floor, which would hide it`}), median ${median(with1)} over the ${with1.length} batches`,
    `consuming one or more entries against ${median(with0)} over the ${with0.length} consuming none (first batch left out: it writes cold slots): ~${with1.length && with0.length ? median(with1) - median(with0) : 'n/a'} gas, approximate`,
    'since batches differ in data size (hashing and copying the data costs ~9 gas per 32 bytes). ' +
      (g
        ? `Exact, from bench:gas (one anvil, the same 1 KB of data in each batch, its section above): 0 entries ${g.c0} gas, 1 entry ${g.c1} (+${g.c1 - g.c0}), 16 entries ${g.c16} (+${g.c16 - g.c0}): the check is O(1), one cursor write; forceInclude of a ${g.txBytes}-byte transfer ${g.first} gas first, ${g.next} next.`
        : 'bench:gas measures the exact 0/1/16-entry figures; its section here does not have them yet (run `npm run bench:gas`).'),
    '',
    'Anchors. Arbitrum One: a delayed-inbox message can be force-included only after the SequencerInbox\'s `maxTimeVariation` delay, `delayBlocks`',
    '5,760 L1 blocks and `delaySeconds` 86,400 s, about 24 h (SequencerInbox 0x1c47…82B6 as OffchainLabs/arbitrum-orbit-sdk\'s',
    '`publicActionsParentChain` test reads it from mainnet; nitro-contracts\' `scripts/config.ts.example` uses 7,200 blocks and 86,400 s), and it binds one',
    'sequencer. Metis (`CanonicalTransactionChain.enqueue`) and Polygon PoS: users enqueue on L1, nothing makes the sequencers consume the queue, so',
    'no bound. Taiko: `ForcedInclusionStore` (taiko-mono `packages/protocol/contracts/layer1/forced-inclusion/`) counts its `inclusionDelay` in batches,',
    'a deployment parameter; no figure in seconds was found: not measured here. Ours, on mainnet-style parameters (`forceWindow` 10 minutes,',
    '`escapeDelay` 1 day) bounds a censoring producer by `forceWindow` and the whole pool by `forceWindow + escapeDelay`.',
    '',
    x.odd.length ? `Seen during the run: ${x.odd.join('; ')}.` : 'Seen during the run: every entry was included, each in a forced block consuming it, and no watched geth replaced a block.',
    troubleLine(x.trouble),
  ].join('\n');
}
