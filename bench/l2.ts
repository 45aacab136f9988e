// npm run bench:l2: the L2 on geth (docs/l2.md) on a real localnet, for 4 and 7 validators
// (BENCH_L2_SIZES): transfers pre-signed by one development account per validator are sent at a fixed
// rate, each account's to its validator's geth (not only the producer's: the others gossip them to
// it), and node0's geth
// is watched every 50 ms. Figures: included transfers per second over the load, send -> first seen in
// a block on node0 (p50, p99), the interval between blocks as node0 first sees them, and the
// production gap when the producer's node dies (its last block -> the replacement's first, as node0
// sees them). Anchors: Metis's single sequencer has no failover at all (the gap is the operator's
// reaction time); Themis re-spans after 3 minutes of stall; op-node's default block time is 2 s.
// Writes the `l2` section of docs/BENCHMARKS.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, http, parseGwei, type Hex, type PublicClient } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { PoolClient } from '../client/pool-client.js';
import { gatewayUrl } from '../localnet/l1-chains.js';
import { DEV_MNEMONIC, l2RpcUrl } from '../localnet/l2-chain.js';
import { localnetDown, localnetUp, type Localnet } from '../localnet/localnet.js';
import { owingProducerWithWorkAhead } from '../localnet/pool-observe.js';
import { readNodeConfig } from '../node/node-config.js';
import { markdownTable, writeBenchSection } from './report.js';
import { fmtMs, pct, stopLocalnetProcesses, until as untilFor } from './localnet-bench.js';

const SIZES = (process.env.BENCH_L2_SIZES ?? '4,7').split(',').map(Number);
const BASE = Number(process.env.BENCH_L2_PORT ?? 21000);
const RATE = Number(process.env.BENCH_L2_RATE ?? 100); // transfers per second offered
const SECONDS = Number(process.env.BENCH_L2_SECONDS ?? 20);
const log = (l: string) => process.stdout.write(`${l}\n`);

const f = fmtMs;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const until = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number) => untilFor('bench:l2', what, fn, timeoutMs);

/** node0's view of the chain: when each block was first seen, its miner and its transactions. */
class Watcher {
  readonly seen = new Map<bigint, { at: number; miner: string; txs: Hex[] }>();
  private next = 1n;
  private running = true;
  private loop: Promise<void>;
  constructor(private readonly client: PublicClient) {
    this.loop = this.run();
  }
  private async run(): Promise<void> {
    while (this.running) {
      const head = await this.client.getBlockNumber({ cacheTime: 0 }).catch(() => this.next - 1n);
      for (; this.next <= head; this.next++) {
        const b = await this.client.getBlock({ blockNumber: this.next });
        this.seen.set(this.next, { at: Date.now(), miner: b.miner.toLowerCase(), txs: b.transactions as Hex[] });
      }
      await sleep(50);
    }
  }
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

async function rawSend(url: string, raw: Hex): Promise<Hex> {
  const r = (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [raw] }) })).json()) as { result?: Hex; error?: { message: string } };
  if (!r.result) throw new Error(r.error?.message ?? 'no result');
  return r.result;
}

interface Row {
  n: number;
  sent: number;
  included: number;
  tps: number;
  p50: number;
  p99: number;
  intervalP50: number;
  intervalP99: number;
  gapMs: number;
}

async function measure(n: number, basePort: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), `seqpool-bench-l2-${n}-`));
  let net: Localnet | undefined;
  let watcher: Watcher | undefined;
  try {
    net = await localnetUp({ dir, validators: n, l1: true, basePort: 'auto', portSearchFrom: basePort, onProgress: (l) => log(`[${n}] ${l}`), readyTimeoutMs: 120_000, dkgTimeoutMs: 240_000, logLevel: 'info' });
    const nodes = net.manifest.nodes;
    const chainId = readNodeConfig(nodes[0]!.home).l2!.chainId;
    const node0 = createPublicClient({ transport: http(l2RpcUrl(nodes[0]!)) }) as PublicClient;
    const client = new PoolClient(gatewayUrl(nodes[0]!));
    await until('L2 blocks', async () => ((await client.currentEpoch()).l2Head >= 5n ? true : undefined), 120_000);
    watcher = new Watcher(node0);

    // One user per validator, each sending to that validator's geth (a user's txs to one node, as a
    // wallet does: geth gossips only executable txs, so one account's nonces spread over several nodes
    // would wait on each other). The genesis funds three development accounts; the rest are funded
    // from the first. Pre-signed, so the figures measure the chain and not the sender's signing.
    const accounts = nodes.map((_, i) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }));
    const gas = { chainId, type: 'eip1559' as const, gas: 21_000n, maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1') };
    let funderNonce = await node0.getTransactionCount({ address: accounts[0]!.address, blockTag: 'pending' });
    const funding: Hex[] = [];
    for (const a of accounts.slice(3)) funding.push(await rawSend(l2RpcUrl(nodes[0]!), await accounts[0]!.signTransaction({ ...gas, to: a.address, value: 10n ** 20n, nonce: funderNonce++ })));
    for (const hash of funding) await node0.waitForTransactionReceipt({ hash, timeout: 60_000 });
    const nonces = await Promise.all(accounts.map((a) => node0.getTransactionCount({ address: a.address, blockTag: 'pending' })));
    const total = RATE * SECONDS;
    log(`[${n}] signing ${total} transfers`);
    const raws: Hex[] = [];
    for (let k = 0; k < total; k++) {
      const a = k % accounts.length;
      raws.push(await accounts[a]!.signTransaction({ ...gas, to: '0x000000000000000000000000000000000000dEaD', value: 1n, nonce: nonces[a]! + Math.floor(k / accounts.length) }));
    }
    log(`[${n}] sending ${RATE} transfers/s for ${SECONDS} s, user i to validator i's geth`);
    const sentAt = new Map<Hex, number>();
    const start = Date.now();
    for (let k = 0; k < total; k++) {
      const due = start + (k * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      const hash = await rawSend(l2RpcUrl(nodes[k % accounts.length]!), raws[k]!).catch((e: Error) => (log(`[${n}] send failed: ${e.message}`), undefined));
      if (hash) sentAt.set(hash, Date.now());
    }
    await until('every transfer in a block', async () => {
      const inBlocks = [...watcher!.seen.values()].reduce((c, b) => c + b.txs.filter((t) => sentAt.has(t)).length, 0);
      return inBlocks >= sentAt.size ? true : undefined;
    }, 60_000).catch(() => log(`[${n}] not every transfer was included within 60 s`));
    const latencies: number[] = [];
    let first = Infinity;
    let last = 0;
    for (const b of watcher.seen.values()) {
      const mine = b.txs.filter((t) => sentAt.has(t));
      for (const t of mine) latencies.push(b.at - sentAt.get(t)!);
      if (mine.length) {
        first = Math.min(first, b.at);
        last = Math.max(last, b.at);
      }
    }
    const firstSend = Math.min(...sentAt.values());
    const tps = latencies.length / ((last - firstSend) / 1000);
    const heights = [...watcher.seen.keys()].sort((a, b) => (a < b ? -1 : 1));
    const intervals = heights.slice(1).map((h) => watcher!.seen.get(h)!.at - watcher!.seen.get(h - 1n)!.at).slice(-SECONDS * 2);
    log(`[${n}] ${latencies.length}/${sentAt.size} included, ${tps.toFixed(0)} tx/s, send -> block p50 ${f(pct(latencies, 50))} p99 ${f(pct(latencies, 99))}`);

    // The producer's node dies (its geth stays, undriven): the gap in production as node0 sees it.
    log(`[${n}] killing the producer`);
    const { owing } = await until('a producer with L2 blocks of its epoch still to build', () => owingProducerWithWorkAhead(client, 8n), 60_000);
    const i = nodes.findIndex((x) => x.validatorAddress === owing.producer);
    const victim = net.processes[i]!;
    const signer = owing.signer.toLowerCase();
    const killedAt = Date.now();
    for (const c of [victim.sidecar, victim.cometbft, victim.node]) c?.kill('SIGKILL');
    const taken = await until('a block by another producer', async () => {
      for (const [h, b] of watcher!.seen) if (b.at > killedAt && b.miner !== signer) return h;
      return undefined;
    }, 120_000);
    // The last block before the handover as node0 saw it (the victim's, or an earlier one).
    const gapMs = watcher.seen.get(taken)!.at - watcher.seen.get(taken - 1n)!.at;
    log(`[${n}] production gap ${f(gapMs)} (block ${taken - 1n} -> ${taken})`);
    return { n, sent: sentAt.size, included: latencies.length, tps, p50: pct(latencies, 50), p99: pct(latencies, 99), intervalP50: pct(intervals, 50), intervalP99: pct(intervals, 99), gapMs };
  } finally {
    await watcher?.stop();
    if (net) await stopLocalnetProcesses(net);
    await localnetDown(dir).catch(() => 0);
    if (process.env.BENCH_L2_KEEP) log(`[${n}] kept ${dir} (BENCH_L2_KEEP)`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const [k, n] of SIZES.entries()) rows.push(await measure(n, BASE + k * 500));
  const cpu = cpus()[0]?.model.trim() ?? 'unknown';
  const md = [
    '## The L2 on geth (`npm run bench:l2`)',
    '',
    `${new Date().toISOString()}, ${cpu} x${cpus().length}, Node ${process.version}. Real localnets: one geth per validator driven over the Engine API,`,
    `blocks every second, \`l2StallSeconds\` 5. ${RATE} transfers/s offered for ${SECONDS} s, pre-signed, by one development account per validator, each`,
    'to its validator\'s geth; node0\'s geth watched every 50 ms. Latency: send to the block first seen on node0. Interval: between blocks as node0',
    'first sees them. Gap: the producer\'s node, CometBFT and sidecar SIGKILLed; the last block before its replacement\'s first, to that first.',
    '',
    markdownTable(
      ['validators', 'included / sent', 'tx/s', 'latency p50', 'latency p99', 'interval p50', 'interval p99', 'production gap'],
      rows.map((r) => [r.n, `${r.included} / ${r.sent}`, r.tps.toFixed(0), f(r.p50), f(r.p99), f(r.intervalP50), f(r.intervalP99), f(r.gapMs)]),
    ),
    '',
    'Anchors: op-node\'s default L2 block time is 2 s (ours 1 s); Metis\'s single sequencer has no failover (a dead sequencer stops the L2 until its',
    'operator acts); Themis re-spans after 3 minutes of stall (180 s). The gap is the stall clock (5 s) plus signing the recommitEpoch, relaying it',
    'and the replacement\'s first block.',
    `Goals (issue 12): the gap under 5 s, the block interval held at 1 s under the load. ${rows.map((r) => `${r.n} validators: gap ${f(r.gapMs)} (${r.gapMs < 5_000 ? 'met' : 'not met'}), interval p50 ${f(r.intervalP50)} (${r.intervalP50 <= 1_100 ? 'met' : 'not met'})`).join('; ')}.`,
    'The gap cannot go under the stall clock (5 s on the localnet, which a 1 s block time leaves room for on this loaded 2-core machine); a shorter clock was not measured.',
  ].join('\n');
  log(md);
  log(`wrote ${writeBenchSection('l2', md)}`);
}

await main();
