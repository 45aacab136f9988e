// What the node process sees of its own CometBFT, for the gateway's /node/* routes and /health (the
// dashboard's missed votes, block times and node health). It follows CometBFT's RPC: each new
// height's canonical commit (/commit) gives that block's time and which validators' votes were
// absent, the same flag the app reads in FinalizeBlock's decided last commit. This is not consensus
// state: it is what this node saw, over its last `windowBlocks` heights, and starts empty when the
// node starts (decision 37: a counter in app state would have changed the app hash for a number only
// operators read). Everything kept is bounded: the window, and a cache of other heights' times.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { Logger } from '../common/log.js';
import { CometRpc } from '../protocol/comet-rpc.js';
import type { HealthInfo } from './gateway.js';
import type { NodeView } from './gateway-routes.js';

export interface ChainWatchOptions {
  /** CometBFT RPC, e.g. http://127.0.0.1:26657. */
  rpcUrl: string;
  log?: Logger;
  /** Heights whose commits are kept for missed votes; default 500. */
  windowBlocks?: number;
  /** How often to look for new heights; default 1 s. */
  pollMs?: number;
  /** Most commits read per poll (a backlog is read over several polls); default 50. */
  perPoll?: number;
  /** Per RPC call; default 5 s. */
  timeoutMs?: number;
}

interface Seen {
  timeMs: bigint;
  absent: string[];
  present: string[];
}

interface CometStatus {
  moniker: string;
  network: string;
  latestHeight: bigint;
  latestBlockTimeMs: bigint;
  catchingUp: boolean;
  votingPower: bigint;
  atMs: number;
}

/** CometBFT's vote flags (types.BlockIDFlag). */
const FLAG_ABSENT = 1;
const FLAG_COMMIT = 2;
/** Most heights outside the window whose times are cached. */
const MAX_CACHED_TIMES = 4096;
/** Most pages (100 validators each) of one validator set that are read. */
const MAX_SET_PAGES = 10;
/** Most distinct addresses interned. */
const MAX_NAMES = 10_000;
/** Most /blockchain calls (20 headers each) one blockTimes request may make. */
const MAX_BLOCKCHAIN_CALLS = 10;

/** RFC 3339 with up to nanoseconds (CometBFT's block times) to unix milliseconds. */
export function rfc3339ToMs(t: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) + Number((m[2] ?? '').padEnd(3, '0').slice(0, 3)) : NaN;
  if (!Number.isFinite(ms)) throw new Error(`CometBFT sent a block time that is not RFC 3339: ${JSON.stringify(t.slice(0, 60))}`);
  return BigInt(ms);
}

/** The CometBFT RPC URL of a home (config.toml [rpc] laddr), for the node's own use; undefined for a unix socket. */
export function readRpcUrl(home: string): string | undefined {
  const file = join(home, 'config', 'config.toml');
  const config = parseToml(readFileSync(file, 'utf8')) as { rpc?: { laddr?: unknown } };
  const laddr = config.rpc?.laddr;
  if (typeof laddr !== 'string') return undefined;
  const m = /^tcp:\/\/(.+):(\d+)$/.exec(laddr);
  if (!m) return undefined;
  const host = m[1] === '0.0.0.0' || m[1] === '' ? '127.0.0.1' : m[1] === '[::]' ? '[::1]' : m[1]!;
  return `http://${host}:${m[2]}`;
}

export class ChainWatch implements NodeView {
  private readonly window: number;
  private readonly pollMs: number;
  private readonly perPoll: number;
  private readonly rpc: CometRpc;
  private readonly seen = new Map<bigint, Seen>(); // ascending heights
  private readonly times = new Map<bigint, bigint>(); // LRU by insertion
  private readonly missed = new Map<string, number>();
  private readonly signed = new Map<string, number>();
  private readonly lastMissed = new Map<string, bigint>();
  private set?: { hash: string; addresses: string[] };
  private readonly names = new Map<string, string>();
  private next = 0n; // next height whose commit to read (0: not started)
  private last?: CometStatus;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private failing = false;
  private stopped = false;

  constructor(private readonly opts: ChainWatchOptions) {
    this.rpc = new CometRpc(opts.rpcUrl, { timeoutMs: opts.timeoutMs ?? 5_000 });
    this.window = opts.windowBlocks ?? 500;
    this.pollMs = opts.pollMs ?? 1_000;
    this.perPoll = opts.perPoll ?? 50;
  }

  start(): this {
    const loop = () => {
      if (this.stopped) return;
      this.running = this.poll().finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.pollMs);
      });
    };
    loop();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One round: CometBFT's status, then the commits of the heights not read yet (canonical ones only). */
  async poll(): Promise<void> {
    try {
      const st = await this.cometStatus();
      // A height's canonical commit exists once the next block is committed.
      const top = st.latestHeight - 1n;
      if (this.next === 0n) this.next = top - BigInt(this.window) + 1n > 1n ? top - BigInt(this.window) + 1n : 1n;
      if (this.next < top - BigInt(this.window)) this.next = top - BigInt(this.window) + 1n; // fell behind: skip what would be evicted at once
      for (let n = 0; n < this.perPoll && this.next <= top && !this.stopped; n++, this.next++) await this.readCommit(this.next);
      if (this.failing) this.opts.log?.info({ rpc: this.rpc.url }, 'CometBFT RPC answers again');
      this.failing = false;
    } catch (e) {
      if (!this.failing) this.opts.log?.warn({ rpc: this.rpc.url, err: (e as Error).message }, 'cannot follow CometBFT RPC (missed votes and block times wait)');
      this.failing = true;
    }
  }

  private async cometStatus(): Promise<CometStatus> {
    const r = (await this.rpc.call('status')) as {
      node_info?: { moniker?: string; network?: string };
      sync_info?: { latest_block_height?: string; latest_block_time?: string; catching_up?: boolean };
      validator_info?: { voting_power?: string };
    };
    const height = r.sync_info?.latest_block_height;
    if (typeof height !== 'string' || !/^[0-9]+$/.test(height)) throw new Error('CometBFT status without sync_info.latest_block_height');
    this.last = {
      moniker: r.node_info?.moniker ?? '',
      network: r.node_info?.network ?? '',
      latestHeight: BigInt(height),
      latestBlockTimeMs: height === '0' || !r.sync_info?.latest_block_time ? 0n : rfc3339ToMs(r.sync_info.latest_block_time),
      catchingUp: r.sync_info?.catching_up === true,
      votingPower: /^[0-9]+$/.test(r.validator_info?.voting_power ?? '') ? BigInt(r.validator_info!.voting_power!) : 0n,
      atMs: Date.now(),
    };
    return this.last;
  }

  private async readCommit(height: bigint): Promise<void> {
    const r = (await this.rpc.call('commit', { height: height.toString() })) as {
      signed_header?: { header?: { time?: string; validators_hash?: string }; commit?: { signatures?: { block_id_flag?: number }[] } };
    };
    const header = r.signed_header?.header;
    if (typeof header?.time !== 'string') throw new Error(`CometBFT commit of height ${height} without a header time`);
    // An absent vote carries no address: signatures are in the order of the height's validator set.
    const set = await this.validatorSet(height, header.validators_hash ?? '');
    const absent: string[] = [];
    const present: string[] = [];
    (r.signed_header?.commit?.signatures ?? []).forEach((sig, i) => {
      const a = set[i];
      if (a === undefined) return;
      if (sig.block_id_flag === FLAG_ABSENT) absent.push(a);
      else if (sig.block_id_flag === FLAG_COMMIT) present.push(a);
    });
    this.add(height, { timeMs: rfc3339ToMs(header.time), absent, present });
  }

  /** The addresses of a height's validator set in CometBFT's order, read again only when its hash changes. */
  private async validatorSet(height: bigint, hash: string): Promise<string[]> {
    if (this.set && this.set.hash === hash && hash !== '') return this.set.addresses;
    const addresses: string[] = [];
    for (let page = 1; page <= MAX_SET_PAGES; page++) {
      const r = (await this.rpc.call('validators', { height: height.toString(), page: String(page), per_page: '100' })) as { validators?: { address?: string }[]; total?: string };
      for (const v of r.validators ?? []) addresses.push(this.intern((v.address ?? '').toUpperCase()));
      if (addresses.length >= Number(r.total ?? 0) || (r.validators ?? []).length === 0) break;
    }
    this.set = { hash, addresses };
    return addresses;
  }

  /** One string per address, so that the window holds references, not copies. */
  private intern(a: string): string {
    const known = this.names.get(a);
    if (known !== undefined) return known;
    if (this.names.size >= MAX_NAMES) this.names.clear();
    this.names.set(a, a);
    return a;
  }

  private add(height: bigint, b: Seen): void {
    this.seen.set(height, b);
    for (const a of b.absent) {
      this.missed.set(a, (this.missed.get(a) ?? 0) + 1);
      this.lastMissed.set(a, height);
    }
    for (const a of b.present) this.signed.set(a, (this.signed.get(a) ?? 0) + 1);
    while (this.seen.size > this.window) {
      const [h, old] = this.seen.entries().next().value as [bigint, Seen];
      this.seen.delete(h);
      this.cacheTime(h, old.timeMs);
      for (const a of old.absent) this.decrement(this.missed, a);
      for (const a of old.present) this.decrement(this.signed, a);
    }
  }

  private decrement(m: Map<string, number>, a: string): void {
    const n = (m.get(a) ?? 1) - 1;
    if (n > 0) m.set(a, n);
    else m.delete(a);
    if (!this.missed.has(a) && !this.signed.has(a)) this.lastMissed.delete(a); // it left the set: forget it
  }

  private cacheTime(h: bigint, t: bigint): void {
    this.times.delete(h);
    this.times.set(h, t);
    while (this.times.size > MAX_CACHED_TIMES) this.times.delete(this.times.keys().next().value as bigint);
  }

  /** Missed (absent) and signed votes per validator over the heights in the window. */
  async missedVotes(): Promise<unknown> {
    const heights = [...this.seen.keys()];
    const addresses = [...new Set([...this.missed.keys(), ...this.signed.keys()])].sort();
    return {
      fromHeight: (heights[0] ?? 0n).toString(),
      toHeight: (heights.at(-1) ?? 0n).toString(),
      blocks: heights.length,
      validators: addresses.map((address) => ({ address, missed: this.missed.get(address) ?? 0, signed: this.signed.get(address) ?? 0, lastMissed: (this.lastMissed.get(address) ?? 0n).toString() })),
    };
  }

  /** Times of the given heights: from the window and the cache, the rest from CometBFT's /blockchain (20 headers a call). */
  async blockTimes(heights: bigint[]): Promise<unknown> {
    const known = (h: bigint) => this.seen.get(h)?.timeMs ?? this.times.get(h);
    const top = this.last?.latestHeight ?? 0n;
    const missing = [...new Set(heights)].filter((h) => known(h) === undefined && h >= 1n && h <= top).sort((a, b) => (a < b ? -1 : 1));
    for (let calls = 0; missing.length > 0 && calls < MAX_BLOCKCHAIN_CALLS; calls++) {
      const lo = missing[0]!;
      const hi = lo + 19n < top ? lo + 19n : top;
      const r = (await this.rpc.call('blockchain', { minHeight: lo.toString(), maxHeight: hi.toString() })) as { block_metas?: { header?: { height?: string; time?: string } }[] };
      for (const m of r.block_metas ?? []) {
        if (typeof m.header?.height === 'string' && typeof m.header.time === 'string') this.cacheTime(BigInt(m.header.height), rfc3339ToMs(m.header.time));
      }
      while (missing.length > 0 && missing[0]! <= hi) missing.shift();
    }
    return {
      blocks: heights
        .map((h) => ({ h, t: known(h) }))
        .filter((x) => x.t !== undefined)
        .map(({ h, t }) => ({ height: h.toString(), timeMs: t!.toString() })),
    };
  }

  /** CometBFT's status (at most 1 s old) and its peer count. */
  async status(): Promise<unknown> {
    const st = this.last && Date.now() - this.last.atMs < 1_000 ? this.last : await this.cometStatus();
    const net = (await this.rpc.call('net_info')) as { n_peers?: string };
    return {
      moniker: st.moniker,
      network: st.network,
      latestHeight: st.latestHeight.toString(),
      latestBlockTimeMs: st.latestBlockTimeMs.toString(),
      catchingUp: st.catchingUp,
      peers: Number(net.n_peers ?? 0),
      votingPower: st.votingPower.toString(),
      watchedFrom: ([...this.seen.keys()][0] ?? 0n).toString(),
    };
  }

  /** For /health: unhealthy while CometBFT catches up or does not answer. */
  async health(): Promise<HealthInfo> {
    try {
      const st = await this.cometStatus();
      return st.catchingUp ? { ok: false, catchingUp: true, reason: 'CometBFT is catching up' } : { ok: true, catchingUp: false };
    } catch {
      return { ok: false, reason: `CometBFT RPC ${this.rpc.url} does not answer` };
    }
  }
}
