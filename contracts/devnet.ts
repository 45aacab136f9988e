// Starts and stops an anvil devnet (the L1 and the L2 of the localnet, and the contract tests).
// The binary comes from the npm package @foundry-rs/anvil (its per-platform package ships it), so
// nothing is downloaded at run time. anvil is spawned directly, not through the package's bin.mjs
// wrapper, so that stopping it by pid stops the node itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface AnvilOptions {
  port: number;
  chainId: number;
  host?: string;
  /** Seconds between blocks; omitted means automine (one block per transaction). */
  blockTime?: number;
  /** File that receives anvil's stdout and stderr; omitted means discarded. */
  logFile?: string;
  /** Development accounts to fund (anvil default 10). */
  accounts?: number;
  mnemonic?: string;
  /** Extra flags passed through, e.g. ['--hardfork', 'cancun']. */
  extraArgs?: string[];
  /** How long to wait for the RPC to answer (ms, default 20 s). */
  readyTimeoutMs?: number;
}

export interface Anvil {
  url: string;
  chainId: number;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** The anvil's well-known first development key (mnemonic "test test ... junk"); devnets only. */
export const ANVIL_DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' as const;

/** Path of the anvil binary shipped by @foundry-rs/anvil for this platform. */
export function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`anvil: ${pkg} is not installed (npm ci installs it as an optional dependency of @foundry-rs/anvil)`);
  }
  const bin = join(dir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  if (!existsSync(bin)) throw new Error(`anvil: binary missing at ${bin}`);
  return bin;
}

/** The chain id an Ethereum JSON-RPC at `url` reports, or undefined when nothing answers. */
export async function chainIdAt(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    const r = (await res.json()) as { result?: unknown };
    return res.ok && typeof r.result === 'string' ? Number(r.result) : undefined;
  } catch {
    return undefined;
  }
}

const rpcAnswers = async (url: string): Promise<boolean> => (await chainIdAt(url)) !== undefined;

const exited = (child: ChildProcess): Promise<void> =>
  new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
  });

/** Starts anvil and resolves once its JSON-RPC answers; rejects if it exits or times out first. */
export async function startAnvil(opts: AnvilOptions): Promise<Anvil> {
  const host = opts.host ?? '127.0.0.1';
  const args = ['--port', String(opts.port), '--host', host, '--chain-id', String(opts.chainId), '--accounts', String(opts.accounts ?? 10)];
  if (opts.blockTime !== undefined) args.push('--block-time', String(opts.blockTime));
  if (opts.mnemonic) args.push('--mnemonic', opts.mnemonic);
  args.push(...(opts.extraArgs ?? []));

  const url = `http://${host}:${opts.port}`;
  // Refuse a busy port: otherwise the readiness probe would succeed against someone else's node.
  if (await rpcAnswers(url)) throw new Error(`anvil: something already answers on ${url}`);
  let fd: number | undefined;
  if (opts.logFile) {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    fd = openSync(opts.logFile, 'a');
  }
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', fd ?? 'ignore', fd ?? 'ignore'] });
  if (fd !== undefined) closeSync(fd);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = exited(child);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await done;
    clearTimeout(timer);
  };

  let failure: Error | undefined;
  child.once('error', (e) => (failure = e));
  child.once('exit', (code, signal) => (failure ??= new Error(`anvil exited (${code ?? signal}) before answering on ${url}; see ${opts.logFile ?? 'logFile'}`)));
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);
  while (!(await rpcAnswers(url))) {
    if (failure) throw failure;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`anvil did not answer on ${url} within ${opts.readyTimeoutMs ?? 20_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (child.pid === undefined) throw new Error('anvil: no pid');
  return { url, chainId: opts.chainId, port: opts.port, pid: child.pid, stop };
}
