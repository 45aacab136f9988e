// The private channel as the sidecar uses it. sidecar/net/channel.ts's MpcChannel satisfies this
// interface; MemoryHub gives tests (and in-process benchmarks) the same thing without sockets.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { ed25519PeerId } from '../protocol/peer-proof.js';

export interface TransportPeer {
  peerId: string;
  addrs: string[];
  /** 33-byte validator identity key. */
  identity: Uint8Array;
}

export interface Transport {
  readonly peerId: string;
  addrs(): string[];
  /** Replaces the allowlist (who may connect and be sent to). */
  setPeers(peers: TransportPeer[]): void;
  /** Sends one envelope to the peer bound to identity `to`. */
  send(to: Uint8Array, envelope: Uint8Array): Promise<void>;
  /** Signs `message` with the private key behind `peerId`: BindPeer's proof of possession. */
  signAsPeer(message: Uint8Array): Promise<Uint8Array>;
  onMessage(handler: (from: Uint8Array, envelope: Uint8Array) => void): void;
  stop(): Promise<void>;
}

/**
 * An in-memory network of transports keyed by identity. Delivery is asynchronous (next macrotask),
 * and respects the receiver's allowlist like the real channel: a message from an identity the
 * receiver has not admitted is dropped. `filter` lets a test drop or count messages.
 */
export class MemoryHub {
  readonly #nodes = new Map<string, MemoryTransport>();
  filter: ((from: Uint8Array, to: Uint8Array, envelope: Uint8Array) => boolean) | undefined;
  delivered = 0;
  dropped = 0;

  /** Each transport has a real Ed25519 peer key, derived from its identity (or given), so the app's
   * BindPeer check (a proof signed by that key) accepts what its sidecar binds. */
  transport(identity: Uint8Array, peerSecret = sha256(concatBytes(utf8ToBytes('seqpool/memory-hub/peer-key'), identity))): MemoryTransport {
    const t = new MemoryTransport(this, identity, peerSecret);
    this.#nodes.set(bytesToHex(identity), t);
    return t;
  }

  /** Delivers `envelope` to `to` as if `from` had sent it (tests: replays), if `to` admits `from`. */
  inject(from: Uint8Array, to: Uint8Array, envelope: Uint8Array): void {
    const target = this.#nodes.get(bytesToHex(to));
    if (!target || target.stopped) throw new Error(`no transport for ${bytesToHex(to).slice(0, 16)}`);
    if (target.admits(from)) target.deliver(from, envelope.slice());
  }

  /** @internal */
  route(from: MemoryTransport, to: Uint8Array, envelope: Uint8Array): Promise<void> {
    const target = this.#nodes.get(bytesToHex(to));
    if (!target || target.stopped) return Promise.reject(new Error(`no route to ${bytesToHex(to).slice(0, 16)}`));
    if (!from.admits(to)) return Promise.reject(new Error(`peer ${bytesToHex(to).slice(0, 16)} is not in the allowlist`));
    if (!target.admits(from.identity)) return Promise.reject(new Error(`peer ${bytesToHex(to).slice(0, 16)} refused the connection (we are not in its allowlist)`));
    if (this.filter && !this.filter(from.identity, to, envelope)) {
      this.dropped++;
      return Promise.resolve();
    }
    const copy = envelope.slice();
    setImmediate(() => {
      if (target.stopped || !target.admits(from.identity)) {
        this.dropped++;
        return;
      }
      this.delivered++;
      target.deliver(from.identity, copy);
    });
    return Promise.resolve();
  }
}

class MemoryTransport implements Transport {
  #peers = new Set<string>();
  #handler: ((from: Uint8Array, envelope: Uint8Array) => void) | undefined;
  stopped = false;
  readonly peerId: string;
  readonly #peerSecret: Uint8Array;

  constructor(
    readonly hub: MemoryHub,
    readonly identity: Uint8Array,
    peerSecret: Uint8Array,
  ) {
    this.#peerSecret = peerSecret;
    this.peerId = ed25519PeerId(ed25519.getPublicKey(peerSecret));
  }

  addrs(): string[] {
    return ['/ip4/127.0.0.1/tcp/1'];
  }
  setPeers(peers: TransportPeer[]): void {
    this.#peers = new Set(peers.map((p) => bytesToHex(p.identity)));
  }
  admits(identity: Uint8Array): boolean {
    return this.#peers.has(bytesToHex(identity));
  }
  send(to: Uint8Array, envelope: Uint8Array): Promise<void> {
    return this.hub.route(this, to, envelope);
  }
  onMessage(handler: (from: Uint8Array, envelope: Uint8Array) => void): void {
    this.#handler = handler;
  }
  async signAsPeer(message: Uint8Array): Promise<Uint8Array> {
    return ed25519.sign(message, this.#peerSecret);
  }
  deliver(from: Uint8Array, envelope: Uint8Array): void {
    this.#handler?.(from, envelope);
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}
