// Failure drills on a running localnet, from any shell: `localnet kill NODE [--process P]` and
// `localnet restart NODE`. Both work from DIR/localnet.json alone (the pids, homes and RPC URLs that
// `up`, `up --detach`, `join` and `restart` record), so the localnet may be a foreground `up` in
// another terminal or a detached one. A restart brings a validator back in the only order that
// works: its geth (the L2 its app drives), its app (CometBFT's handshake needs it), then its
// cometbft, then its sidecar (which follows its node's RPC).
import { readManifest, type NetworkNode } from '../cometbft-config/manifest.js';
import { readLocalnet, writeLocalnet, type LocalnetRecord } from './localnet.js';
import { isAlive, launchApp, launchCometbft, launchL2, launchSidecar, ownedPid, stopPid } from './processes.js';
import { gethHome } from './geth.js';
import { tryNodeStatus } from './rpc.js';

/** A validator's processes, in the order they start. `node` is the app (`seqpool node start`), `geth` its L2. */
export const PROCESS_NAMES = ['geth', 'node', 'cometbft', 'sidecar'] as const;
export type ProcessName = (typeof PROCESS_NAMES)[number];
export type NodeRecord = LocalnetRecord['nodes'][number];

export interface ProcessState {
  process: ProcessName;
  /** The pid recorded in localnet.json. */
  pid: number;
  /** Whether that pid still runs this node's process. */
  alive: boolean;
}

type Say = (line: string) => void;

/** The record of node `name`, or an error that lists the names there are. */
export function findNode(rec: LocalnetRecord, name: string): NodeRecord {
  const n = rec.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node named '${name}' in ${rec.dir}/localnet.json; its nodes are ${rec.nodes.map((x) => x.name).join(', ') || '(none)'}`);
  return n;
}

/** The recorded processes of a node (a localnet without L1 runs no sidecar) and whether each runs. */
export function processStates(n: NodeRecord): ProcessState[] {
  return PROCESS_NAMES.flatMap((p) => {
    const pid = n.pids[p];
    // Every process runs with --home HOME but geth, which runs with --datadir HOME/geth/data.
    return pid === undefined ? [] : [{ process: p, pid, alive: ownedPid(pid, p === 'geth' ? gethHome(n.home).datadir : n.home) !== undefined }];
  });
}

function requireRunning(rec: LocalnetRecord): void {
  if (rec.nodes.some((n) => processStates(n).some((s) => s.alive))) return;
  throw new Error(`the localnet in ${rec.dir} is not running (no process recorded in localnet.json is alive): start it with \`seqpool localnet up --dir ${rec.dir}\``);
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !isAlive(pid);
}

const restartHint = (name: string, dir: string) => `seqpool localnet restart ${name} --dir ${dir}`;

/**
 * Kills one validator's processes (`which`: one of them, or 'all'), SIGKILL by default: a crash,
 * with no chance to shut down cleanly. Resolves once they are gone.
 */
export async function localnetKill(dir: string, name: string, which: ProcessName | 'all', opts: { signal?: NodeJS.Signals; say?: Say } = {}): Promise<ProcessState[]> {
  const say = opts.say ?? (() => {});
  const signal = opts.signal ?? 'SIGKILL';
  const rec = readLocalnet(dir);
  const n = findNode(rec, name);
  requireRunning(rec);
  const states = processStates(n);
  if (which !== 'all' && !states.some((s) => s.process === which)) {
    throw new Error(`${name} runs no ${which} (this localnet ${which === 'sidecar' ? 'runs without L1, so without sidecars' : `has no ${which} recorded for it`}); choose one of ${states.map((s) => s.process).join(', ')} or all`);
  }
  const targets = states.filter((s) => (which === 'all' || s.process === which) && s.alive).reverse(); // sidecar, cometbft, node
  if (targets.length === 0) {
    throw new Error(`nothing to kill: ${name}'s ${which === 'all' ? 'processes are' : which + ' is'} not running; bring it back with \`${restartHint(name, rec.dir)}\``);
  }
  for (const t of targets) process.kill(t.pid, signal);
  for (const t of targets) {
    const gone = await waitGone(t.pid, signal === 'SIGKILL' ? 5_000 : 15_000);
    say(gone ? `killed ${name}'s ${t.process} (pid ${t.pid}) with ${signal}` : `${name}'s ${t.process} (pid ${t.pid}) still runs 15 s after ${signal}; try --signal SIGKILL`);
  }
  const comet = states.find((s) => s.process === 'cometbft');
  if (which === 'node' && comet?.alive) {
    // CometBFT v0.38 stops itself when its app connection breaks (docs/decisions.md 9).
    say(`${name}'s cometbft (pid ${comet.pid}) goes down with its app: CometBFT stops itself when its app connection breaks; waiting for it...`);
    say((await waitGone(comet.pid, 20_000)) ? `${name}'s cometbft (pid ${comet.pid}) exited too` : `${name}'s cometbft (pid ${comet.pid}) still runs 20 s later; \`restart\` stops it before starting the app`);
  }
  if (which === 'cometbft') say(`${name}'s app keeps running without its CometBFT${n.pids.sidecar !== undefined ? ' and its sidecar retries the RPC' : ''}`);
  say(`the other validators keep committing (more than 2/3 of the power is needed); bring ${name} back with: ${restartHint(name, rec.dir)}`);
  return targets;
}

export interface RestartOptions {
  say?: Say;
  /** Wait until the node has caught up with the others (default 120 s; 0: do not wait). */
  catchUpTimeoutMs?: number;
  logLevel?: string;
}

function manifestNode(dir: string, name: string): NetworkNode {
  const node = readManifest(dir).nodes.find((x) => x.name === name);
  if (!node) throw new Error(`${name} is in ${dir}/localnet.json but not in ${dir}/network.json: its home cannot be started`);
  return node;
}

/**
 * Brings a validator back. What is down starts again; since CometBFT and its app only start
 * together (an app that lost its CometBFT keeps state CometBFT's handshake must replay from), the
 * survivor of the two is stopped first. A node with everything running is restarted whole.
 */
export async function localnetRestart(dir: string, name: string, opts: RestartOptions = {}): Promise<{ pids: NodeRecord['pids']; height?: bigint }> {
  const say = opts.say ?? (() => {});
  const rec = readLocalnet(dir);
  const n = findNode(rec, name);
  requireRunning(rec);
  const node = manifestNode(rec.dir, name);
  const state = new Map(processStates(n).map((s) => [s.process, s]));
  const up = (p: ProcessName) => state.get(p)?.alive ?? false;
  const hasSidecar = n.pids.sidecar !== undefined;
  const hasGeth = n.pids.geth !== undefined;
  const stop = async (p: ProcessName, why: string) => {
    const s = state.get(p);
    if (!s?.alive) return;
    say(`stopping ${name}'s ${p} (pid ${s.pid}): ${why}`);
    await stopPid(s.pid);
    s.alive = false;
  };
  if (up('node') && up('cometbft') && (!hasSidecar || up('sidecar')) && (!hasGeth || up('geth'))) {
    say(`${name} is running: restarting all of it`);
    await stop('sidecar', 'restart');
    await stop('cometbft', 'restart');
    await stop('node', 'restart');
    await stop('geth', 'restart');
  } else if (up('node') !== up('cometbft')) {
    const down = up('node') ? 'cometbft' : 'node';
    await stop(up('node') ? 'node' : 'cometbft', `its ${down} is down, and CometBFT and its app start together (app first)`);
  }
  const started: Partial<Record<ProcessName, number>> = {};
  const launch = { detach: true, logLevel: opts.logLevel }; // they outlive this command
  if (hasGeth && !up('geth')) {
    const geth = await launchL2(node, launch);
    if (geth?.pid !== undefined) {
      started.geth = geth.pid;
      say(`started ${name}'s geth (pid ${geth.pid}; its node drives it and catches up from the other validators)`);
    }
  }
  if (!up('node')) {
    const t = Date.now();
    say(`starting ${name}'s app (seqpool node) on ${node.abciAddress}...`);
    started.node = (await launchApp(node, launch)).pid;
    say(`${name}'s app listens (pid ${started.node}, ${((Date.now() - t) / 1000).toFixed(1)} s); starting its cometbft (RPC ${node.rpcUrl})`);
    started.cometbft = launchCometbft(node, launch).pid;
  }
  if (hasSidecar && !up('sidecar')) {
    started.sidecar = launchSidecar(node, launch).pid;
    say(`started ${name}'s sidecar (pid ${started.sidecar})`);
  }
  // Re-read: another command may have written localnet.json since (a join, another restart).
  const fresh = readLocalnet(dir);
  const mine = findNode(fresh, name);
  mine.pids = { ...mine.pids, ...started };
  writeLocalnet(fresh);
  say(`recorded ${Object.entries(started).map(([p, pid]) => `${p} pid ${pid}`).join(', ')} in ${rec.dir}/localnet.json; logs: seqpool localnet logs ${name} --dir ${rec.dir} [--process node|cometbft${hasSidecar ? '|sidecar' : ''}${hasGeth ? '|geth' : ''}]`);
  const timeoutMs = opts.catchUpTimeoutMs ?? 120_000;
  if (timeoutMs === 0) return { pids: mine.pids };
  const caught = await waitCaughtUp(fresh, mine, timeoutMs, say);
  return { pids: mine.pids, height: caught };
}

/** Polls until `n` answers, is not catching up, and is within a block of the highest other node. */
async function waitCaughtUp(rec: LocalnetRecord, n: NodeRecord, timeoutMs: number, say: Say): Promise<bigint> {
  const start = Date.now();
  let lastSaid = 0;
  let last = '';
  for (;;) {
    const others = await Promise.all(rec.nodes.filter((x) => x.name !== n.name).map((x) => tryNodeStatus(x.rpcUrl)));
    const head = others.reduce((m, s) => (s && s.height > m ? s.height : m), 0n);
    const mine = await tryNodeStatus(n.rpcUrl);
    if (mine && !mine.catchingUp && mine.height > 0n && mine.height + 1n >= head) {
      say(`${n.name} caught up: height ${mine.height} (others at ${head}), ${mine.peers} peers, ${((Date.now() - start) / 1000).toFixed(1)} s after its start`);
      return mine.height;
    }
    last = mine ? `${n.name} at height ${mine.height}, the others at ${head}${mine.catchingUp ? ' (block sync)' : ''}` : `${n.name}'s RPC ${n.rpcUrl} does not answer yet`;
    if (Date.now() - lastSaid >= 5_000) {
      say(`waiting for ${n.name} to catch up: ${last}`);
      lastSaid = Date.now();
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(`${n.name} did not catch up within ${timeoutMs / 1000} s (${last}); see \`seqpool localnet logs ${n.name} --process cometbft --dir ${rec.dir}\``);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
