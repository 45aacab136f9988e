// The foreground `localnet up` watches its localnet instead of stopping it at the first death: a
// dead process is reported (a line of its own, also appended to DIR/localnet.log) and shown on the
// status line until it is back, while the other validators keep running. It watches the pids in
// DIR/localnet.json rather than only its own children, so it also sees the processes that
// `localnet restart` starts from another shell (they are not its children) come back and die.
import type { ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROCESS_NAMES, processStates, type ProcessName } from './drill.js';
import { readLocalnet, type LocalnetRecord } from './localnet.js';
import { poolLine, validatorNames } from './pool.js';
import { tryNodeStatus } from './rpc.js';

export const SUPERVISOR_LOG = 'localnet.log';

export interface SupervisorOptions {
  say: (line: string) => void;
  /** The processes this command started: their exit codes and signals name the cause of a death. */
  children?: ChildProcess[];
  /** How often the pids are checked (default 1 s). */
  intervalMs?: number;
}

interface Seen {
  pid: number;
  alive: boolean;
  /** When it was first seen dead (ms). */
  downSince?: number;
}

export class LocalnetSupervisor {
  private readonly seen = new Map<string, Seen>();
  private readonly exits = new Map<number, string>();
  /** Pids of our own children, and those seen dead before their 'exit' event said why. */
  private readonly own = new Set<number>();
  private readonly awaitingExit = new Set<number>();
  private rec: LocalnetRecord;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dir: string,
    private readonly opts: SupervisorOptions,
  ) {
    this.rec = readLocalnet(dir);
    for (const c of opts.children ?? []) {
      if (c.pid === undefined) continue;
      this.own.add(c.pid);
      c.once('exit', (code, signal) => this.exits.set(c.pid!, signal ? `killed by ${signal}` : `exit code ${code}`));
    }
  }

  start(): this {
    this.check();
    this.timer = setInterval(() => this.check(), this.opts.intervalMs ?? 1000);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private event(line: string): void {
    const stamped = `[${new Date().toISOString().slice(11, 19)}] ${line}`;
    this.opts.say(stamped);
    try {
      appendFileSync(join(this.rec.dir, SUPERVISOR_LOG), `${new Date().toISOString()} ${line}\n`);
    } catch {
      // the report on the terminal is what matters; a full disk must not stop the watch
    }
  }

  /** One look at every recorded pid; reports what died and what came back since the last look. */
  check(): void {
    try {
      this.rec = readLocalnet(this.dir);
    } catch {
      return; // being rewritten or removed; the next look will do
    }
    for (const n of this.rec.nodes) {
      const died: string[] = [];
      const back: string[] = [];
      for (const s of processStates(n)) {
        const key = `${n.name}/${s.process}`;
        const prev = this.seen.get(key);
        if (s.alive && (!prev || !prev.alive || prev.pid !== s.pid)) {
          if (prev && (!prev.alive || prev.pid !== s.pid)) back.push(`${s.process} (pid ${s.pid})`);
          this.seen.set(key, { pid: s.pid, alive: true });
        } else if (!s.alive && (!prev || prev.alive || prev.pid !== s.pid)) {
          const why = this.exits.get(s.pid);
          // A child of ours can be gone from the process table before Node delivers its 'exit' event:
          // wait one more look for the reason (killed by which signal) rather than report none.
          if (!why && this.own.has(s.pid) && !this.awaitingExit.has(s.pid)) {
            this.awaitingExit.add(s.pid);
            continue;
          }
          this.awaitingExit.delete(s.pid);
          died.push(`${s.process} (pid ${s.pid}${why ? `, ${why}` : ''})`);
          this.seen.set(key, { pid: s.pid, alive: false, downSince: Date.now() });
        }
      }
      if (died.length > 0) {
        const app = died.some((d) => d.startsWith('node ')) && processStates(n).some((s) => s.process === 'cometbft' && s.alive);
        this.event(
          `${n.name} DOWN: ${died.join(', ')}${app ? '; its cometbft stops too when its app connection breaks' : ''}. ` +
            `The other validators keep running; bring it back with: seqpool localnet restart ${n.name} --dir ${this.dir}`,
        );
      }
      if (back.length > 0) this.event(`${n.name} back: ${back.join(', ')}`);
    }
  }

  /** Nodes with a recorded process that does not run, with those processes and since when. */
  down(): { name: string; processes: ProcessName[]; sinceMs: number }[] {
    return this.rec.nodes.flatMap((n) => {
      const dead = PROCESS_NAMES.filter((p) => this.seen.get(`${n.name}/${p}`)?.alive === false);
      if (dead.length === 0) return [];
      const since = Math.min(...dead.map((p) => this.seen.get(`${n.name}/${p}`)!.downSince ?? Date.now()));
      return [{ name: n.name, processes: dead, sinceMs: Date.now() - since }];
    });
  }

  /**
   * height, app hash and peers of the highest node that answers; how many nodes run, which are down
   * and which lag; and, with L1, the pool's line.
   */
  async statusLine(): Promise<string> {
    const nodes = this.rec.nodes;
    const statuses = await Promise.all(nodes.map((n) => tryNodeStatus(n.rpcUrl)));
    let best = -1;
    statuses.forEach((s, i) => {
      if (s && (best < 0 || s.height > statuses[best]!.height)) best = i;
    });
    const down = this.down();
    const health = [`${nodes.length - down.length}/${nodes.length} nodes up`];
    for (const d of down) health.push(`${d.name} DOWN (${d.processes.join(', ')}) for ${Math.round(d.sinceMs / 1000)} s`);
    if (best < 0) return `no node answers its RPC | ${health.join(', ')}`;
    const top = statuses[best]!;
    statuses.forEach((s, i) => {
      const name = nodes[i]!.name;
      if (s && !down.some((d) => d.name === name) && (s.catchingUp || s.height + 2n < top.height)) health.push(`${name} catching up (height ${s.height})`);
    });
    const pool = this.rec.chains ? ` | ${await poolLine(nodes[best]!.rpcUrl, validatorNames(this.rec.dir))}` : '';
    return `height ${top.height}  app hash ${top.appHash.slice(0, 16)}…  peers ${top.peers} | ${health.join(', ')}${pool}`;
  }
}
