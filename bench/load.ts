// The load generator of bench:consensus: one stream per signer, each sending its txs in order
// (broadcast_tx_async by default, as CometBFT's tm-load-test does, or broadcast_tx_sync; one request
// at a time, so a signer's nonces reach the mempool in order) to its own node while keeping at most `window` txs
// broadcast but not yet committed; one poller reads every block from node 0 and matches tx hashes
// (sha256 of the tx bytes) to stamp the broadcast-to-commit latency.
import { createHash } from 'node:crypto';
import { percentile } from './finalize-timing.js';

export interface StreamSpec {
  rpcUrl: string;
  /** The tx with sequence number `seq` (0, 1, 2, ...) of this stream. */
  makeTx(seq: bigint): Uint8Array;
  /** After a rejection: the seq to continue from (e.g. re-read the committed nonce). */
  resync?(): Promise<bigint>;
}

export interface LoadOptions {
  name: string;
  watchUrl: string;
  streams: StreamSpec[];
  durationMs: number;
  /** async: the RPC answers once the tx is queued for CheckTx (throughput bound by the node, not by
   * the CheckTx round trip); sync: it answers with the CheckTx result. Default async. */
  broadcast?: 'async' | 'sync';
  window: number;
  drainMs?: number;
  /** Idle blocks to wait for (and measure the interval of) before the load starts. */
  idleBlocks?: number;
  say(line: string): void;
}

export interface LoadResult {
  name: string;
  sent: number;
  rejected: number;
  firstReject?: string;
  committed: number;
  uncommitted: number;
  txPerSec: number;
  p50Ms: number;
  p99Ms: number;
  blockIntervalMs: number;
  /** Mean interval of the `idleBlocks` blocks before the load started. */
  idleBlockIntervalMs: number;
  blocks: number;
  maxTxsPerBlock: number;
  /** Mean txs broadcast but not yet committed during the load, of streams × window. */
  meanInFlight: number;
}

interface Pending {
  sentAt: number;
  stream: number;
}

const hashHex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex').toUpperCase();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rpcGet<T>(url: string, timeoutMs = 10_000): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await res.json()) as { result?: T; error?: { message: string; data?: string } };
  if (body.error) throw new Error(`${body.error.message} ${body.error.data ?? ''}`.trim());
  return body.result as T;
}

interface BlockSeen {
  height: number;
  timeMs: number; // header time
  seenAt: number; // local clock when the poller first read it
  ours: number;
}

/** Parses an RFC 3339 time with nanoseconds into fractional milliseconds. */
function headerTimeMs(t: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.(\d+))?Z$/.exec(t);
  if (!m) return Date.parse(t);
  const frac = (m[3] ?? '').padEnd(9, '0').slice(0, 9);
  return Date.parse(`${m[1]}Z`) + Number(frac) / 1e6;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const pending = new Map<string, Pending>();
  const inflight = o.streams.map(() => 0);
  const latencies: number[] = [];
  const blocks: BlockSeen[] = [];
  let sent = 0;
  let rejected = 0;
  let firstReject: string | undefined;
  let stopSending = false;
  let stopPolling = false;

  const idleBlocks = o.idleBlocks ?? 6;
  let height = 0;
  o.say(`  [${o.name}] measuring the idle block interval over ${idleBlocks} blocks before the load`);
  for (;;) {
    const status = await rpcGet<{ sync_info: { latest_block_height: string } }>(`${o.watchUrl}/status`);
    height = Number(status.sync_info.latest_block_height);
    if (height >= 2 + idleBlocks) break;
    await sleep(100);
  }
  let next = height + 1;
  const startHeight = height;
  const idleFrom = startHeight - idleBlocks;
  const idleTimes = await Promise.all(
    Array.from({ length: startHeight - idleFrom + 1 }, (_, k) =>
      rpcGet<{ block: { header: { time: string } } }>(`${o.watchUrl}/block?height=${idleFrom + k}`).then((b) => headerTimeMs(b.block.header.time)),
    ),
  );
  const idleBlockIntervalMs = idleTimes.length > 1 ? (idleTimes[idleTimes.length - 1]! - idleTimes[0]!) / (idleTimes.length - 1) : NaN;

  const poller = (async () => {
    while (!stopPolling) {
      let blk: { block: { header: { time: string }; data: { txs: string[] | null } } };
      try {
        blk = await rpcGet(`${o.watchUrl}/block?height=${next}`);
      } catch {
        await sleep(15);
        continue;
      }
      const seenAt = performance.now();
      let ours = 0;
      for (const b64 of blk.block.data.txs ?? []) {
        const h = hashHex(Buffer.from(b64, 'base64'));
        const p = pending.get(h);
        if (!p) continue;
        pending.delete(h);
        inflight[p.stream]!--;
        latencies.push(seenAt - p.sentAt);
        ours++;
      }
      blocks.push({ height: next, timeMs: headerTimeMs(blk.block.header.time), seenAt, ours });
      next++;
    }
  })();

  const sender = async (spec: StreamSpec, idx: number) => {
    let seq = 0n;
    while (!stopSending) {
      if (inflight[idx]! >= o.window) {
        await sleep(5);
        continue;
      }
      const tx = spec.makeTx(seq);
      const hash = hashHex(tx);
      const sentAt = performance.now();
      pending.set(hash, { sentAt, stream: idx });
      inflight[idx]!++;
      let r: { code: number; log: string };
      try {
        r = await rpcGet(`${spec.rpcUrl}/broadcast_tx_${o.broadcast ?? 'async'}?tx=0x${Buffer.from(tx).toString('hex')}`);
      } catch (e) {
        r = { code: -1, log: (e as Error).message };
      }
      sent++;
      if (r.code === 0) {
        seq++;
        continue;
      }
      if (pending.delete(hash)) inflight[idx]!--;
      rejected++;
      firstReject ??= `stream ${idx} seq ${seq}: code ${r.code} ${r.log.slice(0, 160)}`;
      if (spec.resync) {
        const until = performance.now() + 5000;
        while (inflight[idx]! > 0 && performance.now() < until && !stopSending) await sleep(20);
        seq = await spec.resync().catch(() => seq);
      } else {
        seq++;
      }
    }
  };

  const t0 = performance.now();
  const ticker = setInterval(() => {
    const secs = (performance.now() - t0) / 1000;
    o.say(`  [${o.name}] ${secs.toFixed(0)}s: sent ${sent}, committed ${latencies.length}, in flight ${pending.size}, rejected ${rejected}, height ${next - 1}`);
  }, 5000);
  let inFlightSum = 0;
  let inFlightSamples = 0;
  const sampler = setInterval(() => {
    inFlightSum += pending.size;
    inFlightSamples++;
  }, 100);
  const senders = o.streams.map((s, i) => sender(s, i));
  let loadEndHeight = startHeight;
  try {
    await sleep(o.durationMs);
    stopSending = true;
    clearInterval(sampler);
    loadEndHeight = next - 1;
    await Promise.all(senders);
    const drainUntil = performance.now() + (o.drainMs ?? 8000);
    while (pending.size > 0 && performance.now() < drainUntil) await sleep(50);
  } finally {
    stopSending = true;
    stopPolling = true;
    clearInterval(ticker);
    clearInterval(sampler);
    await poller;
  }

  // Throughput and block interval from header times of the blocks committed during the load.
  const window = blocks.filter((b) => b.height > startHeight && b.height <= loadEndHeight);
  const base = blocks.find((b) => b.height === startHeight + 1);
  const end = window[window.length - 1];
  const measured = window.filter((b) => b.height > startHeight + 1);
  const spanMs = base && end && end !== base ? end.timeMs - base.timeMs : NaN;
  const committedInWindow = measured.reduce((s, b) => s + b.ours, 0);
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    name: o.name,
    sent,
    rejected,
    ...(firstReject !== undefined && { firstReject }),
    committed: latencies.length,
    uncommitted: pending.size,
    txPerSec: (committedInWindow / spanMs) * 1000,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    blockIntervalMs: spanMs / Math.max(1, measured.length),
    idleBlockIntervalMs,
    blocks: measured.length,
    maxTxsPerBlock: Math.max(0, ...blocks.map((b) => b.ours)),
    meanInFlight: inFlightSamples ? inFlightSum / inFlightSamples : NaN,
  };
}
