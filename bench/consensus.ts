// npm run bench:consensus — the consensus benchmark: the same 4-validator localnet settings under one load
// generator against (a) CometBFT's built-in kvstore and (b) seqpool with its cheapest valid signed tx
// (bindPeer); plus in-process ProcessProposal/FinalizeBlock timing with 4, 16 and 64 vote extensions
// and the peak RSS of the `seqpool node` processes. Figures go to docs/BENCHMARKS.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildAppState } from '../app/genesis-state.js';
import { signTx } from '../protocol/tx.js';
import { ed25519Peer } from '../protocol/peer-proof.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createLogger } from '../common/log.js';
import { toHex, utf8 } from '../common/bytes.js';
import { defaultCometbftBin } from '../cometbft-config/config-toml.js';
import { loadValidatorKey } from '../cometbft-config/keys.js';
import { generateNetwork } from '../cometbft-config/network.js';
import { localnetDown, localnetUp } from '../localnet/localnet.js';
import { stopPid, waitForAbci } from '../localnet/processes.js';
import { waitForHeight } from '../localnet/rpc.js';
import { timeFinalize, verifyCostMs, type FinalizeTiming } from './finalize-timing.js';
import { runLoad, type LoadResult, type StreamSpec } from './load.js';
import { markdownTable, writeBenchSection } from './report.js';

const VALIDATORS = 4;
const LOAD_MS = Number(process.env.BENCH_LOAD_MS ?? 25_000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 200); // txs in flight per signer
const BROADCAST = process.env.BENCH_BROADCAST === 'sync' ? 'sync' : 'async';
const KV_PORTS_FROM = 25_000;
const SEQ_PORTS_FROM = 25_200;
const GOALS = { ratio: 0.5, intervalTolerance: 0.1, processFinalizeMs: 25, rssMb: 200 };

const say = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const pass = (ok: boolean) => (ok ? '✅ pass' : '❌ fail');

function machineInfo(): { cpu: string; nproc: number; node: string; date: string } {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    /* not Linux */
  }
  return { cpu, nproc: cpus().length, node: process.version, date: new Date().toISOString() };
}

/** Peak resident set (VmHWM) of a live process in MB, from /proc. */
function peakRssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmHWM:\s*(\d+)\s*kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system) a live process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

export interface CpuShare {
  /** Cores used on average during the load, per process group. */
  [group: string]: number;
}

/** Runs `load` and reports the average cores each group of processes (and this generator) used. */
async function withCpu<T>(groups: Record<string, (number | undefined)[]>, load: () => Promise<T>): Promise<{ result: T; cpu: CpuShare }> {
  const sum = (pids: (number | undefined)[]) => pids.reduce<number>((s, p) => s + cpuSeconds(p), 0);
  const before = Object.fromEntries(Object.entries(groups).map(([g, pids]) => [g, sum(pids)]));
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await load();
  const secs = (performance.now() - t0) / 1000;
  const cpu: CpuShare = {};
  for (const [g, pids] of Object.entries(groups)) cpu[g] = (sum(pids) - before[g]!) / secs;
  const self = process.cpuUsage(self0);
  cpu['load generator'] = (self.user + self.system) / 1e6 / secs;
  return { result, cpu };
}

const cpuText = (c: CpuShare) => Object.entries(c).map(([g, v]) => `${g} ${fmt(v, 2)}`).join(', ');

// Ctrl-C or SIGTERM still stops every process and removes every temp dir of the current run.
const cleanups = new Set<() => Promise<void>>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    say(`${sig}: stopping the localnet(s)...`);
    void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
  });
}
async function guarded<T>(cleanup: () => Promise<void>, body: () => Promise<T>): Promise<T> {
  cleanups.add(cleanup);
  try {
    return await body();
  } finally {
    cleanups.delete(cleanup);
    await cleanup();
  }
}

// ---------- (a) kvstore ----------

/** kvstore in process (`--proxy_app=kvstore`, the goal's anchor) or over the ABCI socket
 * (`abci-cli kvstore`, the same transport seqpool uses), to separate the app from the transport. */
async function runKvstore(runId: string, transport: 'builtin' | 'socket' = 'builtin'): Promise<{ load: LoadResult; cpu: CpuShare }> {
  const label = transport === 'builtin' ? 'kvstore' : 'kvstore (socket)';
  const dir = mkdtempSync(join(tmpdir(), 'seqpool-bench-kv-'));
  const procs: ChildProcess[] = [];
  const cleanup = async () => {
    await Promise.all(procs.map((p) => stopPid(p.pid)));
    rmSync(dir, { recursive: true, force: true });
  };
  return guarded(cleanup, async () => {
    // Same generator, genesis and consensus settings as `localnetUp`; only the app differs.
    const manifest = await generateNetwork({
      dir,
      validators: VALIDATORS,
      basePort: 'auto',
      portSearchFrom: KV_PORTS_FROM,
      appState: (vals) => buildAppState(vals, {}),
      logger: createLogger('cometbft-config', { level: 'warn' }),
    });
    const apps: ChildProcess[] = [];
    for (const n of manifest.nodes) {
      const fd = openSync(join(n.home, 'cometbft.log'), 'a');
      try {
        if (transport === 'socket') {
          const app = spawn(join(dirname(defaultCometbftBin()), 'abci-cli'), ['kvstore', '--address', n.abciAddress], { stdio: ['ignore', fd, fd], detached: true });
          apps.push(app);
          procs.push(app);
          await waitForAbci(n.abciAddress, 10_000, app);
        }
        const args = transport === 'builtin' ? ['start', '--home', n.home, '--proxy_app=kvstore'] : ['start', '--home', n.home];
        procs.push(spawn(defaultCometbftBin(), args, { stdio: ['ignore', fd, fd], detached: true }));
      } finally {
        closeSync(fd);
      }
      say(`${label} ${n.name}: RPC ${n.rpcUrl}`);
    }
    await Promise.all(manifest.nodes.map((n) => waitForHeight(n.rpcUrl, 2n, 60_000)));
    say('kvstore localnet is committing blocks; starting the load');
    const streams: StreamSpec[] = manifest.nodes.map((n, i) => ({
      rpcUrl: n.rpcUrl,
      makeTx: (seq) => utf8(`b${runId}${transport[0]}s${i}n${seq}=${seq}`),
    }));
    const groups: Record<string, (number | undefined)[]> =
      transport === 'builtin'
        ? { 'cometbft ×4 (kvstore inside)': procs.map((p) => p.pid) }
        : { 'cometbft ×4': procs.filter((p) => !apps.includes(p)).map((p) => p.pid), 'abci-cli kvstore ×4': apps.map((p) => p.pid) };
    const { result, cpu } = await withCpu(groups, () =>
      runLoad({ name: label, watchUrl: manifest.nodes[0]!.rpcUrl, streams, durationMs: LOAD_MS, window: WINDOW, broadcast: BROADCAST, say }),
    );
    return { load: result, cpu };
  });
}

// ---------- (b) seqpool ----------

/** Each signer re-binds one peer key of its own, with its proof of possession (decision 29): the app
 * verifies a given proof once per node (memoised), so the load measures consensus, not Ed25519. */
const benchPeer = (signer: number) => ed25519Peer(sha256(utf8(`seqpool bench peer ${signer}`)));
const bindFor = (signer: number, chainId: string, address: Uint8Array) => {
  const peer = benchPeer(signer);
  return { peerId: peer.peerId, addrs: [`/ip4/127.0.0.1/tcp/${4001 + signer}`], peerProof: peer.prove(chainId, address) };
};

async function committedNonce(rpcUrl: string, addressHex: string): Promise<bigint> {
  const path = encodeURIComponent(JSON.stringify(`/validator/${addressHex}`));
  const res = await fetch(`${rpcUrl}/abci_query?path=${path}`, { signal: AbortSignal.timeout(5000) });
  const r = ((await res.json()) as { result: { response: { value?: string } } }).result.response;
  const v = r.value ? (JSON.parse(Buffer.from(r.value, 'base64').toString('utf8')) as { nonce: string }) : undefined;
  return BigInt(v?.nonce ?? 0);
}

async function runSeqpool(): Promise<{ load: LoadResult; cpu: CpuShare; rssMb: number[]; cometRssMb: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'seqpool-bench-sp-'));
  const cleanup = async () => {
    await localnetDown(dir).catch(() => {}); // no localnet.json yet: nothing was started
    rmSync(dir, { recursive: true, force: true });
  };
  return guarded(cleanup, async () => {
    const net = await localnetUp({
      dir,
      validators: VALIDATORS,
      basePort: 'auto',
      portSearchFrom: SEQ_PORTS_FROM,
      logLevel: 'warn',
      readyTimeoutMs: 60_000,
      onProgress: (l) => say(`seqpool ${l}`),
    });
    say('seqpool localnet is committing blocks; starting the load');
    const chainId = net.manifest.chainId;
    const streams: StreamSpec[] = net.manifest.nodes.map((n, i) => {
      const key = loadValidatorKey(n.home);
      const addr = toHex(key.address);
      // seq s carries nonce base + s; after a rejection, continue from the committed nonce.
      let base = 1n;
      const bindPeer = bindFor(i, chainId, key.address);
      return {
        rpcUrl: n.rpcUrl,
        makeTx: (seq) => {
          const nonce = base + seq;
          return signTx(key.privKey, { chainId, signer: key.pubKey, nonce, bindPeer });
        },
        resync: async () => {
          base = (await committedNonce(n.rpcUrl, addr)) + 1n;
          return 0n;
        },
      };
    });
    const { result: load, cpu } = await withCpu(
      { 'cometbft ×4': net.record.nodes.map((n) => n.pids.cometbft), 'seqpool node ×4': net.record.nodes.map((n) => n.pids.node) },
      () => runLoad({ name: 'seqpool', watchUrl: net.manifest.nodes[0]!.rpcUrl, streams, durationMs: LOAD_MS, window: WINDOW, broadcast: BROADCAST, say }),
    );
    const rssMb = net.record.nodes.map((n) => peakRssMb(n.pids.node));
    const cometRssMb = net.record.nodes.map((n) => peakRssMb(n.pids.cometbft));
    return { load, cpu, rssMb, cometRssMb };
  });
}

// ---------- report ----------

function report(verifyMs: number, kvRun: { load: LoadResult; cpu: CpuShare }, kvSocketRun: { load: LoadResult; cpu: CpuShare }, spRun: { load: LoadResult; cpu: CpuShare; rssMb: number[]; cometRssMb: number[] }, timings: FinalizeTiming[]): string {
  const [kv, sp, rssMb, cometRssMb] = [kvRun.load, spRun.load, spRun.rssMb, spRun.cometRssMb];
  const m = machineInfo();
  const ratio = sp.txPerSec / kv.txPerSec;
  const intervalDev = sp.blockIntervalMs / kv.blockIntervalMs - 1;
  const t64 = timings.find((t) => t.extensions === 64 && t.mode === 'live')!;
  const t64cold = timings.find((t) => t.extensions === 64 && t.mode === 'cold');
  const peak = Math.max(...rssMb);
  const loadRow = (r: LoadResult) => [r.name, fmt(r.txPerSec), fmt(r.p50Ms, 0), fmt(r.p99Ms, 0), fmt(r.blockIntervalMs, 0), fmt(r.idleBlockIntervalMs, 0), r.blocks, r.maxTxsPerBlock, r.sent, r.committed, r.rejected, r.uncommitted];
  const lines = [
    '## Consensus (issue 2)',
    '',
    `${m.date} · ${m.nproc} × ${m.cpu} · node ${m.node} · CometBFT ${readVersion()} · ${VALIDATORS} validators on loopback, localnet timeouts (timeout_commit 300ms)`,
    '',
    `Load: one generator, one stream per validator key sending to its own node's RPC in order (\`broadcast_tx_${BROADCAST}\`, one request at a time, as CometBFT's tm-load-test does by default), at most ${WINDOW} txs in flight per stream, ${LOAD_MS / 1000} s per app. kvstore txs are \`key=value\` with unique keys; seqpool txs are signed \`bindPeer\` txs (about ${sampleTxSize()} bytes) with sequential nonces. Latency is broadcast to the moment node0's RPC serves the block containing the tx (polled); tx/s and block interval come from block header times of the blocks committed during the load.`,
    '',
    markdownTable(['app', 'committed tx/s', 'p50 latency ms', 'p99 latency ms', 'mean block interval ms', 'idle block interval ms (before load)', 'blocks', 'max txs/block', 'sent', 'committed', 'rejected', 'not committed'], [loadRow(kv), loadRow(kvSocketRun.load), loadRow(sp)]),
    '',
    `CPU during the load (average cores in use, of ${m.nproc}): kvstore run: ${cpuText(kvRun.cpu)}; kvstore over the socket: ${cpuText(kvSocketRun.cpu)}; seqpool run: ${cpuText(spRun.cpu)}.`,
    '',
    `The goal compares with the built-in kvstore, which runs inside cometbft. \`kvstore (socket)\` is the same kvstore served by \`abci-cli kvstore\` over the ABCI socket, the transport seqpool uses: seqpool reaches ${fmt(sp.txPerSec / kvSocketRun.load.txPerSec, 2)} of it.`,
    '',
    `In-process (one \`SeqpoolApp\`, memory persistence): per block, every validator's extension carries ${timings[0]?.observationsPerExtension ?? 4} synthetic observations, all attested and applied; median over ${timings[0]?.blocks ?? 50} blocks after a warm-up. Signing the extensions is CometBFT's work and is not timed. *live*: as on a running node, CometBFT verified each precommit's extension signature and called VerifyVoteExtension before the next proposal; *cold*: a node replaying or catching up. ProcessProposal checks every signature against the block in both (what a node remembers must not decide a block's validity, decision 25); FinalizeBlock reuses ProcessProposal's verdict.`,
    '',
    `One secp256k1 signature check through the app's verifier (OpenSSL via node:crypto, low-S checked first) costs ${fmt(verifyMs * 1000, 0)} µs here, so 64 extensions need at least ${fmt(64 * verifyMs, 1)} ms of verification alone.`,
    '',
    markdownTable(
      ['extensions', 'mode', 'ProcessProposal p50 ms', 'FinalizeBlock p50 ms', 'together p50 ms', 'together p99 ms', 'together max ms'],
      timings.map((t) => [t.extensions, t.mode, fmt(t.processP50, 2), fmt(t.finalizeP50, 2), fmt(t.totalP50, 2), fmt(t.totalP99, 2), fmt(t.totalMax, 2)]),
    ),
    '',
    markdownTable(
      ['goal', 'target', 'measured', 'result'],
      [
        ['throughput ratio seqpool/kvstore', `≥ ${GOALS.ratio}`, `${fmt(ratio, 2)} (${fmt(sp.txPerSec)} / ${fmt(kv.txPerSec)} tx/s)`, pass(ratio >= GOALS.ratio)],
        ['block interval vs kvstore', `within ±${GOALS.intervalTolerance * 100}%`, `${fmt(sp.blockIntervalMs, 0)} vs ${fmt(kv.blockIntervalMs, 0)} ms (${intervalDev >= 0 ? '+' : ''}${fmt(intervalDev * 100)}%)`, pass(Math.abs(intervalDev) <= GOALS.intervalTolerance)],
        ['ProcessProposal + FinalizeBlock, 64 extensions (p50, live)', `< ${GOALS.processFinalizeMs} ms`, `${fmt(t64.totalP50, 2)} ms (p99 ${fmt(t64.totalP99, 2)} ms; cold ${fmt(t64cold?.totalP50 ?? NaN, 2)} ms)`, pass(t64.totalP50 < GOALS.processFinalizeMs)],
        ['peak RSS of a `seqpool node` under load', `< ${GOALS.rssMb} MB`, `${fmt(peak)} MB (nodes: ${rssMb.map((x) => fmt(x, 0)).join(', ')}; cometbft: ${cometRssMb.map((x) => fmt(x, 0)).join(', ')})`, pass(peak < GOALS.rssMb)],
      ],
    ),
  ];
  const spPerTxMs = ((spRun.cpu['seqpool node ×4'] ?? NaN) * 1000) / sp.txPerSec / VALIDATORS;
  lines.push(
    '',
    'Notes:',
    '',
    `- On average ${fmt(kv.meanInFlight, 0)} kvstore and ${fmt(sp.meanInFlight, 0)} seqpool txs were in flight of the ${VALIDATORS * WINDOW} allowed. With \`BENCH_BROADCAST=sync\` each stream waits for its CheckTx answer, and seqpool's answers queue behind the app's single queue (ProcessProposal, FinalizeBlock, Commit, the mempool's re-check): the earlier sync run measured 0.15-0.24 of kvstore that way.`,
    `- Each seqpool node spent about ${fmt(spPerTxMs, 2)} ms of CPU per committed tx. A tx signature is checked once per node (${fmt(verifyMs * 1000, 0)} µs here): ReCheckTx and FinalizeBlock find it in the app's verified-signature cache.`,
    `- Before the load, seqpool's block interval (${fmt(sp.idleBlockIntervalMs, 0)} ms) was ${fmt(Math.abs(sp.idleBlockIntervalMs / kv.idleBlockIntervalMs - 1) * 100, 0)}% from kvstore's (${fmt(kv.idleBlockIntervalMs, 0)} ms); what the load adds comes from the app's work per block under contention (${m.nproc} cores shared by 8 node processes and the generator).`,
    `- ProcessProposal with 64 extensions is dominated by 64 signature checks (${fmt(64 * verifyMs, 1)} ms at ${fmt(verifyMs * 1000, 0)} µs each on this CPU), live or cold: since decision 25 a signature CometBFT already checked is checked again against the block.`,
  );
  if (sp.firstReject || kv.firstReject) lines.push('', `First rejection: ${[kv.firstReject, sp.firstReject].filter(Boolean).join('; ')}`);
  return lines.join('\n');
}

function readVersion(): string {
  try {
    return readFileSync(new URL('../../cometbft.version', import.meta.url), 'utf8').trim();
  } catch {
    return 'v0.38';
  }
}

let sampleSize = 0;
function sampleTxSize(): number {
  if (!sampleSize) {
    const k = new Uint8Array(32).fill(7);
    sampleSize = signTx(k, { chainId: 'seqpool-localnet', signer: new Uint8Array(33).fill(2), nonce: 1000n, bindPeer: bindFor(0, 'seqpool-localnet', new Uint8Array(20)) }).length;
  }
  return sampleSize;
}

async function main(): Promise<void> {
  const m = machineInfo();
  say(`bench:consensus on ${m.nproc} × ${m.cpu}, node ${m.node}; ${LOAD_MS / 1000}s of load per app, window ${WINDOW} per signer`);
  const verifyMs = verifyCostMs();
  say(`one secp256k1 verify: ${fmt(verifyMs * 1000, 0)} µs`);
  const timings: FinalizeTiming[] = [];
  for (const mode of ['live', 'cold'] as const) {
    for (const n of [4, 16, 64]) {
      say(`in-process ProcessProposal + FinalizeBlock with ${n} vote extensions (${mode})...`);
      const t = await timeFinalize(n, { mode });
      timings.push(t);
      say(`  ${n} extensions, ${mode}: process ${fmt(t.processP50, 2)} ms + finalize ${fmt(t.finalizeP50, 2)} ms = ${fmt(t.totalP50, 2)} ms (p50), p99 ${fmt(t.totalP99, 2)} ms`);
    }
  }
  const runId = Date.now().toString(36);
  say('(a) kvstore: starting a 4-validator localnet with --proxy_app=kvstore');
  const kv = await runKvstore(runId);
  say('(a2) kvstore over the ABCI socket (abci-cli kvstore)');
  const kvSocket = await runKvstore(runId, 'socket');
  say(`  kvstore (socket): ${fmt(kvSocket.load.txPerSec)} tx/s, block interval ${fmt(kvSocket.load.blockIntervalMs, 0)} ms; cores: ${cpuText(kvSocket.cpu)}`);
  say(`  kvstore: ${fmt(kv.load.txPerSec)} tx/s, p50 ${fmt(kv.load.p50Ms, 0)} ms, p99 ${fmt(kv.load.p99Ms, 0)} ms, block interval ${fmt(kv.load.blockIntervalMs, 0)} ms; cores: ${cpuText(kv.cpu)}`);
  say('(b) seqpool: starting a 4-validator seqpool localnet');
  const sp = await runSeqpool();
  say(`  seqpool: ${fmt(sp.load.txPerSec)} tx/s, p50 ${fmt(sp.load.p50Ms, 0)} ms, p99 ${fmt(sp.load.p99Ms, 0)} ms, block interval ${fmt(sp.load.blockIntervalMs, 0)} ms, peak RSS ${sp.rssMb.map((x) => fmt(x, 0)).join('/')} MB; cores: ${cpuText(sp.cpu)}`);
  const md = report(verifyMs, kv, kvSocket, sp, timings);
  const file = writeBenchSection('consensus', md);
  console.log('\n' + md + '\n');
  say(`written to ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
