// npm run bench:join: join latency on the localnet (DESIGN.md flow 1), from the moment a Locked event
// has K = 2 confirmations on L1 to the new validator appearing in CometBFT's /validators, in L1 blocks,
// CometBFT blocks and seconds. A real 4-validator localnet with L1/L2 anvils (1 s L1 blocks, ~0.3 s
// CometBFT blocks); JOINS nodes join one after another, each locking 20,000 tokens. Writes the `join`
// section of docs/BENCHMARKS.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { localnetDown, localnetUp } from '../localnet/localnet.js';
import { localnetJoin, type JoinResult } from '../localnet/join.js';
import { markdownTable, writeBenchSection } from './report.js';

const JOINS = Number(process.env.BENCH_JOINS ?? 3);
const BASE = Number(process.env.BENCH_JOIN_PORT ?? 23000);

const secs = (ms: number) => (ms / 1000).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'seqpool-bench-join-'));
  const log = (l: string) => process.stdout.write(`${l}\n`);
  const results: JoinResult[] = [];
  try {
    await localnetUp({ dir, validators: 4, l1: true, basePort: BASE, anvilPorts: { l1: BASE + 100, l2: BASE + 101 }, onProgress: log, readyTimeoutMs: 90_000 });
    for (let i = 0; i < JOINS; i++) results.push(await localnetJoin({ dir, onProgress: (l) => log(`join ${i + 1}: ${l}`) }));
  } finally {
    await localnetDown(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = results.map((r, i) => [
    i + 1,
    (r.validator.l1Block - r.confirmed.l1Block).toString(),
    (r.validator.cometHeight - r.confirmed.cometHeight).toString(),
    secs(r.validator.atMs - r.confirmed.atMs),
    (r.attested.cometHeight - r.confirmed.cometHeight).toString(),
    secs(r.attested.atMs - r.confirmed.atMs),
  ]);
  const cpu = cpus()[0]?.model.trim() ?? 'unknown';
  const md = [
    '## Join latency (`npm run bench:join`)',
    '',
    `${new Date().toISOString()}, ${cpu} x${cpus().length}, Node ${process.version}. A 4-validator localnet with L1 and L2 anvils (L1: one block per second, K = 2`,
    'confirmations; CometBFT localnet timeouts, about 3 blocks a second); nodes join one after another with 20,000 tokens.',
    'From the L1 block that gives the Locked event its K-th confirmation to the validator in CometBFT `/validators` (applied in app state on the way):',
    '',
    markdownTable(['join', 'L1 blocks', 'CometBFT blocks', 'seconds', 'blocks to applied', 's to applied'], rows),
    '',
    `Median: ${median(results.map((r) => Number(r.validator.cometHeight - r.confirmed.cometHeight)))} CometBFT blocks, ` +
      `${secs(median(results.map((r) => r.validator.atMs - r.confirmed.atMs)))} s. The bridge polls every 500 ms; after the event is applied at height h,` +
      ' CometBFT uses the new set from h + 2 (ABCI ValidatorUpdates), so the last two blocks are fixed cost.',
  ].join('\n');
  log(md);
  log(`wrote ${writeBenchSection('join', md)}`);
}

await main();
