// Starting and stopping one validator's processes: its geth (the L2, when the network has one),
// `seqpool node` (the app) and `cometbft`. geth first (the node drives it), then the app so that
// CometBFT's handshake finds it; each process logs to a file in its home.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAddress } from '../abci/address.js';
import { defaultCometbftBin } from '../cometbft-config/config-toml.js';
import type { NetworkNode } from '../cometbft-config/manifest.js';
import { readNodeConfig } from '../node/index.js';
import { gethHome, launchGeth } from './geth.js';

// The package root holds bin/seqpool.js; found by walking up, so that this works from source (jest)
// and from dist/.
function findSeqpoolBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'bin', 'seqpool.js');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find bin/seqpool.js above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
const SEQPOOL_BIN = findSeqpoolBin();

export interface NodeProcesses {
  name: string;
  node: ChildProcess;
  cometbft: ChildProcess;
  /** The MPC sidecar, when the localnet runs the pool (L1 and L2). */
  sidecar?: ChildProcess;
  /** The validator's L2 geth, when the network has one (HOME/geth, localnet/l2-chain.ts). */
  geth?: ChildProcess;
}

export interface LaunchOptions {
  /** Let the processes outlive this one (`localnet up --detach`). */
  detach?: boolean;
  /** Extra environment for the app process, and for the sidecar. */
  appEnv?: Record<string, string>;
  sidecarEnv?: Record<string, string>;
  /**
   * A script run with node in place of bin/seqpool.js, with the same arguments (`node start --home
   * HOME ...`, `sidecar start --home HOME`): a program that embeds the production node or sidecar
   * and wraps its parts. The integration tests start their byzantine validators this way
   * (test/entry/), so the shipped binary has no switch that makes it misbehave.
   */
  appProgram?: string;
  sidecarProgram?: string;
  observationsFile?: string;
  logLevel?: string;
}

export const appLogFile = (home: string) => join(home, 'seqpool', 'node.log');
export const sidecarLogFile = (home: string) => join(home, 'sidecar', 'sidecar.log');
export const cometbftLogFile = (home: string) => join(home, 'cometbft.log');

function spawnLogged(cmd: string, args: string[], logFile: string, opts: LaunchOptions, env: NodeJS.ProcessEnv): ChildProcess {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: true, env });
    if (opts.detach) child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/** Resolves once something accepts connections at the ABCI address. */
export async function waitForAbci(address: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const target = parseAddress(address);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`the app exited with code ${child.exitCode} before listening on ${address}`);
    const ok = await new Promise<boolean>((res) => {
      const sock = target.kind === 'unix' ? connect(target.path) : connect(target.port, target.host);
      sock.once('connect', () => (sock.destroy(), res(true)));
      sock.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${address} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function launchApp(node: NetworkNode, opts: LaunchOptions = {}): Promise<ChildProcess> {
  const args = [opts.appProgram ?? SEQPOOL_BIN, 'node', 'start', '--home', node.home];
  if (opts.observationsFile) args.push('--observations', opts.observationsFile);
  const env = { ...process.env, ...opts.appEnv, SEQPOOL_LOG_LEVEL: opts.logLevel ?? process.env.SEQPOOL_LOG_LEVEL ?? 'info' };
  const app = spawnLogged(process.execPath, args, appLogFile(node.home), opts, env);
  try {
    // Generous: a node joining a busy 10-validator localnet on 2 cores took over 20 s to load and
    // listen (an exit is reported at once, so this only bounds a hung start).
    await waitForAbci(node.abciAddress, 60_000, app);
  } catch (e) {
    app.kill('SIGKILL'); // not left behind by a start that failed (a hung one kept loading the host)
    throw new Error(`${node.name}: ${(e as Error).message}; see ${appLogFile(node.home)}`);
  }
  return app;
}

export function launchCometbft(node: NetworkNode, opts: LaunchOptions = {}): ChildProcess {
  const bin = defaultCometbftBin();
  if (!existsSync(bin)) throw new Error(`${bin} is missing; run \`make deps\``);
  return spawnLogged(bin, ['start', '--home', node.home], cometbftLogFile(node.home), opts, process.env);
}

/** Starts `seqpool sidecar start --home HOME` (its config is HOME/sidecar/sidecar.json). */
export function launchSidecar(node: NetworkNode, opts: LaunchOptions = {}): ChildProcess {
  const env = { ...process.env, ...opts.sidecarEnv, SEQPOOL_LOG_LEVEL: opts.logLevel ?? process.env.SEQPOOL_LOG_LEVEL ?? 'info' };
  return spawnLogged(process.execPath, [opts.sidecarProgram ?? SEQPOOL_BIN, 'sidecar', 'start', '--home', node.home], sidecarLogFile(node.home), opts, env);
}

/**
 * Starts the validator's geth if its home has one and the node drives it (node.json l2.engineUrl);
 * undefined otherwise. Resolves once geth answers on its JSON-RPC.
 */
export async function launchL2(node: NetworkNode, opts: LaunchOptions = {}): Promise<ChildProcess | undefined> {
  const l2 = readNodeConfig(node.home).l2;
  if (!l2?.engineUrl || node.ports.l2Rpc === undefined || !existsSync(gethHome(node.home).datadir)) return undefined;
  try {
    return await launchGeth({ home: node.home, chainId: l2.chainId, ports: { http: node.ports.l2Rpc, auth: node.ports.l2Auth, p2p: node.ports.l2P2p }, detach: opts.detach });
  } catch (e) {
    throw new Error(`${node.name}: ${(e as Error).message}`);
  }
}

export async function launchValidator(node: NetworkNode, opts: LaunchOptions = {}): Promise<NodeProcesses> {
  const geth = await launchL2(node, opts);
  let app: ChildProcess;
  try {
    app = await launchApp(node, opts);
  } catch (e) {
    geth?.kill('SIGKILL');
    throw e;
  }
  return { name: node.name, node: app, cometbft: launchCometbft(node, opts), ...(geth ? { geth } : {}) };
}

/**
 * Whether `pid` runs. A zombie does not: a process started by a command that has exited (`up
 * --detach`, `localnet restart`) is re-parented to pid 1, and a pid 1 that never reaps (a container's
 * init) leaves it a zombie after it dies, which `kill(pid, 0)` still finds, so that stopPid waited
 * for it for ever and the localnet's supervisor never saw the death.
 */
export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return procState(pid) !== 'Z';
}

/** The state letter of /proc/PID/stat (R, S, Z...), or undefined where /proc cannot tell. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": comm may hold spaces and parentheses, so read after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/**
 * `pid` if it is alive and still the process recorded for `home`: every process of a validator runs
 * with `--home HOME` (anvil with `--state FILE`), so a recorded pid the kernel has since handed to
 * another program is not signalled. Where /proc is missing (not Linux), liveness alone decides.
 */
export function ownedPid(pid: number | undefined, marker: string): number | undefined {
  if (!isAlive(pid)) return undefined;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return existsSync('/proc/self/cmdline') ? undefined : pid;
  }
  return cmdline.split('\0').includes(marker) ? pid : undefined;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopPid(pid: number | undefined, graceMs = 5000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid!, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) process.kill(pid!, 'SIGKILL');
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 20));
}
