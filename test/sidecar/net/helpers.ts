// Real libp2p channels on loopback for the MPC channel tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MpcChannel, type ChannelPeer, type MpcChannelOptions } from '../../../sidecar/net/index.js';
import { seal } from '../../../mpc/envelope.js';
import { IdentityKey } from '../../../mpc/identity.js';
import { silentLogger } from '../../../common/log.js';
import { loopbackMultiaddr } from '../../ports.js';

export interface Node {
  name: string;
  ch: MpcChannel;
  identity: IdentityKey;
  keyFile: string;
  inbox: Inbox;
}

export interface Received {
  from: Uint8Array;
  envelope: Uint8Array;
}

/** Collects messages; `next()` waits for the next one. */
export class Inbox {
  readonly items: Received[] = [];
  #waiters: ((r: Received) => void)[] = [];
  push(r: Received): void {
    const w = this.#waiters.shift();
    if (w) w(r);
    else this.items.push(r);
  }
  next(timeoutMs = 5_000): Promise<Received> {
    const r = this.items.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        reject(new Error(`no MPC message within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (x: Received) => {
        clearTimeout(t);
        resolve(x);
      };
      this.#waiters.push(done);
    });
  }
}

export class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'seqpool-mpcnet-'));
  readonly nodes: Node[] = [];

  async add(name: string, opts: Partial<MpcChannelOptions> = {}, identity = IdentityKey.generate()): Promise<Node> {
    const keyFile = opts.peerKeyFile ?? join(this.dir, `${name}.key`);
    const ch = await MpcChannel.create({ listen: [await loopbackMultiaddr()], logger: silentLogger(), ...opts, peerKeyFile: keyFile });
    const inbox = new Inbox();
    ch.onMessage((from, envelope) => inbox.push({ from, envelope }));
    const node = { name, ch, identity, keyFile, inbox };
    this.nodes.push(node);
    return node;
  }

  /** Replaces a (stopped) node's channel with a new one, as a restarted process would. */
  async restart(node: Node, opts: Partial<MpcChannelOptions> = {}): Promise<void> {
    const ch = await MpcChannel.create({ listen: [await loopbackMultiaddr()], logger: silentLogger(), ...opts, peerKeyFile: node.keyFile });
    node.inbox = new Inbox();
    ch.onMessage((from, envelope) => node.inbox.push({ from, envelope }));
    node.ch = ch;
  }

  static peerOf(n: Node): ChannelPeer {
    return { peerId: n.ch.peerId, addrs: n.ch.addrs(), identity: n.identity.publicKey };
  }

  /** Every node allows every other node. */
  meshAll(): void {
    const peers = this.nodes.map(Cluster.peerOf);
    for (const n of this.nodes) n.ch.setPeers(peers);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.ch.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let counter = 0;
/** A signed envelope (a signRequest body) from `id`, with `size` bytes of message. */
export function envelopeFrom(id: IdentityKey, size = 32): Uint8Array {
  const message = new Uint8Array(size);
  new DataView(message.buffer).setUint32(0, ++counter);
  return seal(id, { session: new Uint8Array(32).fill(7), signRequest: { message, attempt: 1, signers: [1, 2, 3] } });
}

export async function eventually(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function portOf(ch: MpcChannel): number {
  const a = ch.addrs()[0]!;
  const m = /\/tcp\/(\d+)/.exec(a);
  if (!m) throw new Error(`no tcp port in ${a}`);
  return Number(m[1]);
}
