// npm run bench:pool: the pool at work (epochs, signing, batches) on a real localnet, for 4, 7 and 10 validators
// (BENCH_POOL_SIZES): genesis DKG wall time; signing latency from the request's commit to the
// aggregate at the coordinator (and its network part), and from the request's block to the
// signature's block; join latency (L1 lock confirmed -> first aggregate signature using the new
// share) and the reshare it causes (blocks from the epoch boundary to the new key); failover time
// (producer node and sidecar killed -> first batch of its replacement on L1). Anchors: Themis polls
// for signatures every 5 s, gives signing 5 minutes and re-spans after 3 minutes of stall.
// Writes the `pool` section of docs/BENCHMARKS.md. BENCH_POOL_KEEP=1 keeps each localnet directory
// (logs of every node and sidecar) for a look after the run.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PoolClient } from '../client/pool-client.js';
import { gatewayUrl } from '../localnet/l1-chains.js';
import { localnetJoin } from '../localnet/join.js';
import { localnetDown, localnetUp, type Localnet } from '../localnet/localnet.js';
import { appendedBatches, owingProducerWithWorkAhead, sidecarLog } from '../localnet/pool-observe.js';
import { markdownTable, writeBenchSection } from './report.js';
import { fmtMs, pct, stopLocalnetProcesses, until as untilFor } from './localnet-bench.js';

const SIZES = (process.env.BENCH_POOL_SIZES ?? '4,7,10').split(',').map(Number);
const BASE = Number(process.env.BENCH_POOL_PORT ?? 20000);
const WARM_MS = Number(process.env.BENCH_POOL_WARM_MS ?? 45_000);
const log = (l: string) => process.stdout.write(`${l}\n`);

const f = fmtMs;

async function blockTimeMs(rpcUrl: string, height: bigint | string): Promise<number> {
  const r = (await (await fetch(`${rpcUrl}/block?height=${height}`)).json()) as { result: { block: { header: { time: string } } } };
  return Date.parse(r.result.block.header.time);
}

const until = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number) => untilFor('bench:pool', what, fn, timeoutMs);

interface Row {
  n: number;
  dkgMs: number;
  dkgBlocks: number;
  /** Attempts the genesis DKG took, and how many of the n validators hold the key it made. */
  dkgAttempts: number;
  dkgMembers: number;
  aggP50: number;
  aggP99: number;
  netP50: number;
  chainP50: number;
  chainP99: number;
  requests: number;
  joinMs: number;
  reshareBlocks: number;
  reshareMs: number;
  failoverMs: number;
}

async function measure(n: number, basePort: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), `seqpool-bench-pool-${n}-`));
  let net: Localnet | undefined;
  try {
    // Ports are searched from basePort, below Linux's ephemeral range (32768-60999): a port in it can be
    // taken by an outgoing connection between the free check and the bind (a 7-node run lost node6 so).
    net = await localnetUp({ dir, validators: n, l1: true, basePort: 'auto', portSearchFrom: basePort, onProgress: (l) => log(`[${n}] ${l}`), readyTimeoutMs: 120_000, dkgTimeoutMs: 240_000, logLevel: 'info' });
    const rpc = net.manifest.nodes[0]!.rpcUrl;
    const client = new PoolClient(gatewayUrl(net.manifest.nodes[0]!));
    const key = await client.mpcKey();
    const dkg = await client.mpcSession(key.session);
    // From the first attempt: the genesis DKG opens at the first block, a retry right where the
    // previous attempt failed, so the last attempt alone would hide the failed ones.
    const dkgFrom = 1n;
    const dkgMs = (await blockTimeMs(rpc, dkg.closedHeight)) - (await blockTimeMs(rpc, dkgFrom));
    log(`[${n}] DKG: ${f(dkgMs)} over ${dkg.closedHeight - dkgFrom} blocks in ${dkg.attempt + 1} attempt(s), ${key.members.length} of ${n} validators hold the key; running ${WARM_MS / 1000} s for signing figures`);
    await new Promise((r) => setTimeout(r, WARM_MS));

    const homes = net.manifest.nodes.map((x) => x.home);
    const agg = homes.flatMap((h) => sidecarLog(h, 'signature aggregated')).filter((l) => (l.attempts as number) <= 1);
    const aggMs = agg.map((l) => l.ms as number);
    const netMs = agg.map((l) => l.networkMs as number);
    // Chain view: the request's block to the block that recorded the signature.
    const chain: number[] = [];
    for (let id = 1n; ; id++) {
      const r = await client.signRequest(id).catch(() => undefined);
      if (!r) break;
      if (r.status !== 'signed' || r.signedHeight === 0n) continue;
      chain.push((await blockTimeMs(rpc, r.signedHeight)) - (await blockTimeMs(rpc, r.createdHeight)));
    }

    log(`[${n}] joining a validator`);
    const joined = await localnetJoin({ dir, timeoutMs: 240_000, onProgress: (l) => log(`[${n}] join: ${l}`) });
    net.processes.push(joined.processes);
    const k2 = await client.mpcKey();
    const mine = k2.members.find((m) => m.address === joined.node.validatorAddress)!.index;
    // Indices are reassigned by address at a reshare: before the new key, `mine` was someone else's.
    const keyAt = joined.share!.atMs;
    const firstUse = await until('a signature with the new share', async () => {
      const lines = [...homes, joined.node.home].flatMap((h) => sidecarLog(h, 'signature aggregated'));
      const hit = lines.filter((l) => (l.time as number) > keyAt && (l.signers as number[]).includes(mine)).map((l) => l.time as number);
      return hit.length ? Math.min(...hit) : undefined;
    }, 120_000);
    const reshare = await client.mpcSession(k2.session);
    const reshareMs = (await blockTimeMs(rpc, reshare.closedHeight)) - (await blockTimeMs(rpc, reshare.openedHeight));

    log(`[${n}] killing the producer`);
    const { meta, owing } = await until('a producer with L2 blocks of its epoch still to produce', () => owingProducerWithWorkAhead(client, 6n), 60_000);
    // The joined validator may be the producer: it is the last node and the last process.
    const nodes = [...net.manifest.nodes, joined.node];
    const i = nodes.findIndex((x) => x.validatorAddress === owing.producer);
    if (i < 0) throw new Error(`bench:pool: producer ${owing.producer} is not a node of this localnet`);
    const victim = net.processes[i]!;
    const before = (await appendedBatches(dir)).length;
    const killedAt = Date.now();
    for (const c of [victim.sidecar, victim.cometbft, victim.node]) c?.kill('SIGKILL');
    // Blocks from nextL2Start on were not yet requested when the producer died, so the first batch
    // on L1 that starts there can only come from its replacement (batches the dead producer had in
    // flight may still land after its death, relayed by others, and do not count).
    await until('a batch by the replacement on L1', async () => {
      const b = await appendedBatches(dir);
      return b.slice(before).find((x) => x.l2StartBlock >= meta.nextL2Start && x.producer.toLowerCase() !== owing.signer.toLowerCase());
    }, 240_000);
    const failoverMs = Date.now() - killedAt;
    log(`[${n}] failover ${f(failoverMs)}`);
    return {
      n,
      dkgMs,
      dkgBlocks: Number(dkg.closedHeight - dkgFrom),
      dkgAttempts: dkg.attempt + 1,
      dkgMembers: key.members.length,
      aggP50: pct(aggMs, 50),
      aggP99: pct(aggMs, 99),
      netP50: pct(netMs, 50),
      chainP50: pct(chain, 50),
      chainP99: pct(chain, 99),
      requests: agg.length,
      joinMs: firstUse - joined.confirmed.atMs,
      reshareBlocks: Number(reshare.closedHeight - reshare.openedHeight),
      reshareMs,
      failoverMs,
    };
  } finally {
    if (net) await stopLocalnetProcesses(net);
    await localnetDown(dir).catch(() => 0);
    if (process.env.BENCH_POOL_KEEP) log(`[${n}] kept ${dir} (BENCH_POOL_KEEP)`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const [k, n] of SIZES.entries()) rows.push(await measure(n, BASE + k * 500));
  const cpu = cpus()[0]?.model.trim() ?? 'unknown';
  const seven = rows.find((r) => r.n === 7);
  const md = [
    '## The pool at work (`npm run bench:pool`)',
    '',
    `${new Date().toISOString()}, ${cpu} x${cpus().length}, Node ${process.version}. Real localnets (cometbft, seqpool node, sidecar per validator on`,
    'libp2p over loopback; L1 on anvil and L2 on one geth per validator, a block a second each; CometBFT about 3 blocks a second; `respanTimeoutSeconds` 5, epochs of 20 L2 blocks).',
    'DKG: from the first block to the block that installed the genesis key, every attempt included (a sidecar that starts too late to deal',
    'in time is left out of the key and taken in by the reshare at the next epoch boundary).',
    'Signing: `aggregate` is from the moment a sidecar sees the block committing a request to the aggregate signature at the coordinator',
    '(first-attempt runs; `network` is the part spent waiting for other sidecars); `chain` is from the request\'s block to the block recording',
    'the signature (adds the SubmitSignature tx\'s inclusion). Join: L1 lock confirmed (K = 2) to the first aggregate using the new share',
    '(includes waiting for the next epoch boundary). Reshare: from the boundary block that opened it to the block that installed the key.',
    'Failover: producer\'s node and sidecar SIGKILLed to the first batch of its replacement on L1.',
    '',
    markdownTable(
      ['validators', 'DKG', 'aggregate p50', 'aggregate p99', 'network p50', 'chain p50', 'chain p99', 'signatures', 'join', 'reshare', 'failover'],
      rows.map((r) => [r.n, `${f(r.dkgMs)} (${r.dkgBlocks} blocks${r.dkgAttempts > 1 ? `, ${r.dkgAttempts} attempts, key held by ${r.dkgMembers} of ${r.n}` : ''})`, f(r.aggP50), f(r.aggP99), f(r.netP50), f(r.chainP50), f(r.chainP99), r.requests, f(r.joinMs), `${r.reshareBlocks} blocks (${f(r.reshareMs)})`, f(r.failoverMs)]),
    ),
    '',
    'Anchors (Themis, measured by its design constants, not run here): signatures polled every 5 s, signing given 5 minutes, re-span after 3 minutes',
    'of stall. Goals: with 7 validators, aggregate p50 under 50 ms; failover under 15 s with `respanTimeout` 5 s; reshare within 3 blocks of the boundary.',
    seven
      ? `Against the goals at 7 validators: aggregate p50 ${f(seven.aggP50)} (${seven.aggP50 < 50 ? 'met' : 'not met'}), failover ${f(seven.failoverMs)} (${seven.failoverMs < 15_000 ? 'met' : 'not met'}), reshare ${seven.reshareBlocks} blocks (${seven.reshareBlocks <= 3 ? 'met' : 'not met'}).`
      : '',
  ].join('\n');
  log(md);
  log(`wrote ${writeBenchSection('pool', md)}`);
}

await main();
