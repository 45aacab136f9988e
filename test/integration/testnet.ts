// Shared by the integration tests: a real localnet (real cometbft, real seqpool node processes,
// real LevelDB) in a temp dir, plus polling helpers with bounded waits.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localnetDown, localnetUp, type Localnet, type UpOptions } from '../../localnet/localnet.js';
import type { LaunchOptions } from '../../localnet/processes.js';
import { stopPid } from '../../localnet/processes.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { PORTS_PER_NODE } from '../../cometbft-config/ports.js';
import { track } from '../children.js';
import { freePortBlock } from '../ports.js';

export interface Testnet extends Localnet {
  dir: string;
  stop(): Promise<void>;
}

/** Validators a test may add to a running testnet (joins) within its port block. */
const SPARE_VALIDATORS = 3;

/**
 * A localnet in a temp dir on ports from the test allocator (test/ports.ts): one block holds every
 * validator's ports, room for joiners, and the two anvils at its end. The testnet is registered with
 * test/children.ts, so its processes are stopped at the end of the file even if the test's own setup
 * throws before its afterAll learns of it; stop() may be called any number of times.
 */
export async function startTestnet(opts: Omit<UpOptions, 'dir' | 'basePort' | 'portSearchFrom' | 'anvilPorts'>): Promise<Testnet> {
  const dir = mkdtempSync(join(tmpdir(), 'seqpool-it-'));
  const size = (opts.validators + SPARE_VALIDATORS) * PORTS_PER_NODE + 2;
  const first = await freePortBlock(size);
  const ports = { basePort: 'auto' as const, portSearchFrom: first, anvilPorts: { l1: first + size - 2, l2: first + size - 1 } };
  let stopped = false;
  let net: Awaited<ReturnType<typeof localnetUp>> | undefined;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (net) {
      // Tests restart validators, so the live processes are in net.processes, not localnet.json.
      await Promise.all(net.processes.map((p) => stopPid(p.sidecar?.pid)));
      await Promise.all(net.processes.map((p) => stopPid(p.cometbft.pid)));
      await Promise.all(net.processes.map((p) => stopPid(p.node.pid)));
      await Promise.all(net.processes.map((p) => stopPid(p.geth?.pid)));
      await localnetDown(dir).catch(() => undefined);
    }
    if (!process.env.SEQPOOL_KEEP_TESTNET) rmSync(dir, { recursive: true, force: true });
  };
  track({ stop });
  net = await localnetUp({ dir, readyTimeoutMs: 90_000, logLevel: 'debug', ...opts, ...ports });
  return { ...net, dir, stop };
}

export const observationsFile = (home: string) => join(home, 'observations.json');

/** The byzantine validators' programs (test/entry/): the production node and sidecar with parts
 * wrapped as the BYZANTINE environment variable asks. */
export const BYZANTINE_NODE = fileURLToPath(new URL('../entry/byzantine-node.mjs', import.meta.url));
export const BYZANTINE_SIDECAR = fileURLToPath(new URL('../entry/byzantine-sidecar.mjs', import.meta.url));

/** Launch options that run a validator's node as a byzantine one. */
export function byzantineNode(mode: { voteExtension?: 'garbage' | 'oversize'; fakeL1Event?: string; batchMismatch?: boolean; censorForced?: 'when-flagged' }): LaunchOptions {
  return { appProgram: BYZANTINE_NODE, appEnv: { BYZANTINE: JSON.stringify(mode) } };
}

/** Launch options that run a validator's sidecar as a byzantine one (test/entry/byzantine-transport.mjs). */
export function byzantineSidecar(mode: 'bad-shares' | 'bad-signature-shares'): LaunchOptions {
  return { sidecarProgram: BYZANTINE_SIDECAR, sidecarEnv: { BYZANTINE: JSON.stringify({ sidecar: mode }) } };
}

export function writeObservations(home: string, topics: string[]): void {
  writeFileSync(observationsFile(home), JSON.stringify(topics.map((topic) => ({ topic, payload: 'it' }))));
}

export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The app's own (height, app hash) pairs over a short window, per node: every node that reached a
 * height must report the same app hash for it. */
export async function assertAppHashesAgree(rpcUrls: string[], windowMs = 4000): Promise<number> {
  const seen = new Map<string, Set<string>>();
  const deadline = Date.now() + windowMs;
  while (Date.now() < deadline) {
    await Promise.all(
      rpcUrls.map(async (url) => {
        const r = (await (await fetch(`${url}/abci_info`)).json()) as { result: { response: { last_block_height: string; last_block_app_hash: string } } };
        const { last_block_height: h, last_block_app_hash: hash } = r.result.response;
        if (!seen.has(h)) seen.set(h, new Set());
        seen.get(h)!.add(hash);
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const [h, hashes] of seen) if (hashes.size !== 1) throw new Error(`nodes disagree on the app hash at height ${h}: ${[...hashes].join(', ')}`);
  return seen.size;
}

// Tests reach a node the way an operator does: through the seqpool CLI (SeqpoolClient over
// protocol/comet-rpc.ts) and plain JSON-RPC over fetch.
const SEQPOOL_BIN = fileURLToPath(new URL('../../bin/seqpool.js', import.meta.url));

export async function runCli(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [SEQPOOL_BIN, ...args], { timeout: 60_000 });
  return stdout;
}

export interface RpcQueryResult<T> {
  code: number;
  log: string;
  value?: T;
}

export async function rpcQuery<T = unknown>(rpcUrl: string, path: string): Promise<RpcQueryResult<T>> {
  const res = await fetch(`${rpcUrl}/abci_query?path=${encodeURIComponent(JSON.stringify(path))}`);
  const r = ((await res.json()) as { result: { response: { code?: number; log?: string; value?: string } } }).result.response;
  const value = r.value ? (JSON.parse(Buffer.from(r.value, 'base64').toString('utf8')) as T) : undefined;
  return { code: r.code ?? 0, log: r.log ?? '', value };
}

export async function broadcastRaw(rpcUrl: string, tx: Uint8Array): Promise<{ code: number; log: string; hash: string }> {
  const res = await fetch(`${rpcUrl}/broadcast_tx_sync?tx=0x${Buffer.from(tx).toString('hex')}`);
  const r = ((await res.json()) as { result: { code: number; log: string; hash: string } }).result;
  return { code: r.code, log: r.log, hash: r.hash };
}
