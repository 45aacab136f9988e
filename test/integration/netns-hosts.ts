// "Hosts" on one machine for the multi-host test (netns.test.ts): each a Linux network namespace with
// an address of its own on a private /24, joined to the others and to the root namespace by a veth
// pair on a bridge that the test creates. Every name carries this process's pid (sp<pid>...), so only
// what this run created is ever touched, and removeHosts() takes down all of it (processes first,
// then links, namespaces and the bridge) whether the test passed, failed or never finished its setup.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export async function ip(...args: string[]): Promise<string> {
  try {
    return (await execFileP('ip', args, { timeout: 20_000 })).stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`ip ${args.join(' ')}: ${err.stderr?.trim() || err.message}`);
  }
}

/** Why namespaces cannot be made here (not root, no iproute2), or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  const skip = (why: string) => `${why}: the multi-host test (one network namespace per validator) is skipped; it runs as root on Linux with iproute2 (CI)`;
  if (process.platform !== 'linux') return skip(`${process.platform} has no network namespaces`);
  if (process.getuid?.() !== 0) return skip('not root');
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  } catch (e) {
    return skip(`\`ip netns\` is not available (${(e as Error).message.split('\n')[0]})`);
  }
  return undefined;
}

export interface Host {
  /** The namespace's name. */
  ns: string;
  /** Its address on the bridge. */
  addr: string;
  /** The root namespace's end of its veth pair: set it down and the host is cut off. */
  link: string;
}

export interface Hosts {
  /** The bridge's address, in the root namespace: what every host reaches the L1 and L2 on. */
  bridgeAddr: string;
  hosts: Host[];
}

/** A free 10.213.X.0/24: no address or route of this machine mentions it. */
async function freeSubnet(): Promise<string> {
  const seen = (await ip('-o', '-4', 'addr')) + (await ip('-o', '-4', 'route'));
  for (let k = 0; k < 220; k++) {
    const x = 20 + ((process.pid + k) % 220);
    if (!seen.includes(`10.213.${x}.`)) return `10.213.${x}`;
  }
  throw new Error('no free 10.213.X.0/24 on this machine');
}

const prefix = `sp${process.pid}`;
const bridge = `${prefix}br`;
const madeLinks: string[] = [];
const madeNamespaces: string[] = [];
let madeBridge = false;
const children: ChildProcess[] = [];

/** `count` hosts on a fresh bridge. Everything is recorded as it is made, for removeHosts(). */
export async function createHosts(count: number): Promise<Hosts> {
  const net = await freeSubnet();
  await ip('link', 'add', bridge, 'type', 'bridge');
  madeBridge = true;
  await ip('addr', 'add', `${net}.1/24`, 'dev', bridge);
  await ip('link', 'set', bridge, 'up');
  const hosts: Host[] = [];
  for (let i = 0; i < count; i++) {
    const ns = `${prefix}n${i}`;
    const link = `${prefix}v${i}`;
    const inner = `${prefix}p${i}`;
    await ip('netns', 'add', ns);
    madeNamespaces.push(ns);
    await ip('link', 'add', link, 'type', 'veth', 'peer', 'name', inner, 'netns', ns);
    madeLinks.push(link);
    await ip('link', 'set', link, 'master', bridge, 'up');
    const addr = `${net}.${i + 2}`;
    await ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', inner);
    await ip('-n', ns, 'link', 'set', inner, 'up');
    // Each node talks to its own app, RPC and sidecar over loopback inside its namespace.
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    hosts.push({ ns, addr, link });
  }
  return { bridgeAddr: `${net}.1`, hosts };
}

/**
 * Runs `cmd args` inside `ns`, output appended to `logFile`. `ip netns exec` execs the command, so
 * the child's pid is the command's; it leads its own process group, which stopChild signals.
 */
export function spawnIn(ns: string, cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', fd, fd], detached: true, env });
    children.push(child);
    return child;
  } finally {
    closeSync(fd);
  }
}

/** Runs `cmd args` inside `ns` to completion; its stdout. */
export async function runIn(ns: string, cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return (await execFileP('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: timeoutMs })).stdout;
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

/** SIGTERM to the child's process group, SIGKILL after `graceMs`; resolves once it exited. */
export async function stopChild(c: ChildProcess, graceMs = 5_000): Promise<void> {
  if (c.pid === undefined || exited(c)) return;
  const gone = new Promise<void>((r) => (exited(c) ? r() : c.once('exit', () => r())));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-c.pid!, s);
    } catch {
      // the group is gone already
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Stops every process started in a namespace, then removes every link, namespace and the bridge this run made. */
export async function removeHosts(): Promise<void> {
  await Promise.all(children.splice(0).map((c) => stopChild(c)));
  const quiet = (...args: string[]) => ip(...args).catch((e: Error) => process.stderr.write(`netns cleanup: ${e.message}\n`));
  // Deleting one end of a veth pair deletes both.
  for (const link of madeLinks.splice(0)) if ((await ip('-o', 'link', 'show', link).catch(() => '')) !== '') await quiet('link', 'del', link);
  for (const ns of madeNamespaces.splice(0)) await quiet('netns', 'del', ns);
  if (madeBridge) {
    madeBridge = false;
    await quiet('link', 'del', bridge);
  }
}
