// What the localnet benchmarks (bench:pool, bench:l2) share: percentiles, a duration as people read
// it, a bounded wait, and stopping every process a localnet started.
import { stopPid } from '../localnet/processes.js';
import type { Localnet } from '../localnet/localnet.js';

/** The p-th percentile of `xs` (nearest rank); NaN for none. */
export const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** Milliseconds as "850 ms" or "12.3 s". */
export const fmtMs = (ms: number) => (Number.isNaN(ms) ? 'n/a' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

/** Polls `fn` every 200 ms until it returns a value (errors count as not yet); throws after `timeoutMs`. */
export async function until<T>(bench: string, what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${bench}: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stops the processes of `net` (the live ones, restarts included), sidecars first. */
export async function stopLocalnetProcesses(net: Localnet): Promise<void> {
  await Promise.all(net.processes.flatMap((p) => [p.sidecar?.pid, p.cometbft.pid, p.node.pid, p.geth?.pid]).map((pid) => stopPid(pid)));
}
