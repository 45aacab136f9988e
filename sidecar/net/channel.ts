// The dedicated sidecar channel (DESIGN decision 7): private MPC messages (shares, signing rounds)
// between the sidecars of the current committee over js-libp2p (TCP, noise, yamux).
//
// - Admission: only peer ids bound on chain (setPeers) may connect, in either direction; the libp2p
//   connection gater refuses everyone else right after the noise handshake, and every stream is
//   checked again when it opens and every frame when it arrives.
// - Authentication: a frame carries one signed envelope; it must open (signature, canonical
//   encoding, size) and its sender must be the identity bound to the remote peer id.
// - Limits: frame length checked before buffering, a token bucket per peer (a flooder is
//   disconnected and refused for a cool-down), a bounded outbound queue per peer.
// - One long-lived outbound stream per peer on MPC_PROTOCOL; the receiver acknowledges frames on
//   it, send() resolves on the acknowledgement and otherwise redials with bounded retries.
//
// This class owns the libp2p node and the allowlist and wires them to the two sides: outbound.ts
// (queues, dialing, retries, acknowledgements) and inbound.ts (reading, checking and acknowledging
// frames, rate limits and flood bans).
import '../../common/polyfills.js'; // Promise.withResolvers on Node 20: must run before libp2p loads
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import type { Ed25519PrivateKey, Libp2p } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createLibp2p } from 'libp2p';
import { createLogger, type Logger } from '../../common/log.js';
import { MAX_ENVELOPE_BYTES } from '../../mpc/envelope.js';
import { MpcError } from '../../mpc/errors.js';
import { Allowlist, type AdmittedPeer, type ChannelPeer } from './admission.js';
import { DropLog } from './drops.js';
import { MPC_PROTOCOL } from './framing.js';
import { InboundReader, type MessageHandler } from './inbound.js';
import { OutboundQueues } from './outbound.js';
import { loadOrCreatePeerKey } from './peer-key.js';
import type { RateLimit } from './rate-limit.js';

export type { ChannelPeer } from './admission.js';
export type { DropReason } from './drops.js';
export { MPC_PROTOCOL } from './framing.js';
export type { MessageHandler } from './inbound.js';

export interface MpcChannelOptions {
  /** libp2p private key (Ed25519), created on first start (0600), reused after. */
  peerKeyFile: string;
  /** e.g. ['/ip4/127.0.0.1/tcp/26680']; tcp/0 picks a free port. */
  listen: string[];
  logger?: Logger;
  /** Largest envelope sent or accepted (default MAX_ENVELOPE_BYTES). */
  maxMessageBytes?: number;
  /** Inbound frames per peer (default 200/s, burst 400). */
  ratePerPeer?: RateLimit;
  /** Refused frames (since the last disconnect) after which a peer is disconnected (default 2 x burst). */
  floodThreshold?: number;
  /** How long a disconnected flooder is refused (default 10 s; 0 = reconnect at once). */
  floodBanMs?: number;
  /** Bound on bytes waiting to be written to one peer; send() rejects beyond it (default 16 MiB). */
  maxQueuedBytesPerPeer?: number;
  /** Retries after a failed dial/write before send() rejects (default 4). */
  sendRetries?: number;
  /** First retry delay; doubles each retry, capped at 2 s (default 100 ms). */
  retryBackoffMs?: number;
  /** Per dial + stream open (default 5 s). */
  dialTimeoutMs?: number;
  /** A stream with frames unacknowledged this long is treated as dead and redialed (default 5 s). */
  ackTimeoutMs?: number;
}

export interface MpcChannelStats {
  peers: number;
  connected: number;
  dropped: Record<string, number>;
}

export class MpcChannel {
  readonly peerId: string;
  readonly #node: Libp2p;
  readonly #peerKey: Ed25519PrivateKey;
  readonly #log: Logger;
  readonly #allow: Allowlist;
  readonly #maxMessage: number;
  readonly #drops: DropLog;
  readonly #inbound: InboundReader;
  readonly #outbound: OutboundQueues;
  readonly #stopSignal = new AbortController();
  #stopped = false;

  private constructor(node: Libp2p, peerKey: Ed25519PrivateKey, allow: Allowlist, log: Logger, opts: MpcChannelOptions) {
    this.#node = node;
    this.#peerKey = peerKey;
    this.#allow = allow;
    this.#log = log;
    this.peerId = node.peerId.toString();
    this.#maxMessage = opts.maxMessageBytes ?? MAX_ENVELOPE_BYTES;
    this.#drops = new DropLog(log);
    const rate = opts.ratePerPeer ?? { messagesPerSecond: 200, burst: 400 };
    this.#inbound = new InboundReader(allow, log, this.#drops, {
      maxMessageBytes: this.#maxMessage,
      ratePerPeer: rate,
      floodThreshold: opts.floodThreshold ?? 2 * rate.burst,
      floodBanMs: opts.floodBanMs ?? 10_000,
    }, this.#stopSignal.signal, (peer, why) => this.#hangUp(peer, why));
    this.#outbound = new OutboundQueues(node, allow, log, this.#drops, {
      maxQueuedBytes: opts.maxQueuedBytesPerPeer ?? 16 << 20,
      retries: opts.sendRetries ?? 4,
      backoffMs: opts.retryBackoffMs ?? 100,
      dialTimeoutMs: opts.dialTimeoutMs ?? 5_000,
      ackTimeoutMs: opts.ackTimeoutMs ?? 5_000,
    }, this.#stopSignal.signal);
  }

  static async create(opts: MpcChannelOptions): Promise<MpcChannel> {
    const max = opts.maxMessageBytes ?? MAX_ENVELOPE_BYTES;
    if (!Number.isInteger(max) || max < 1 || max > MAX_ENVELOPE_BYTES) throw new Error(`maxMessageBytes must be an integer in [1, ${MAX_ENVELOPE_BYTES}], got ${max}`);
    if (opts.listen.length === 0) throw new Error('MPC channel needs at least one listen multiaddr');
    const baseLog = opts.logger ?? createLogger('mpc-net');
    const { key, created } = await loadOrCreatePeerKey(opts.peerKeyFile, baseLog);
    const allow = new Allowlist();
    // The gater runs inside libp2p before the channel object exists; route refusals through a box.
    const box: { channel?: MpcChannel } = {};
    const node = await createLibp2p({
      privateKey: key,
      addresses: { listen: opts.listen },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: allow.gater((peer, where) => box.channel?.refused(peer, where)),
      start: false,
    });
    const log = baseLog.child({ component: 'mpc-net', peerId: node.peerId.toString() });
    const channel = new MpcChannel(node, key, allow, log, opts);
    box.channel = channel;
    await node.handle(MPC_PROTOCOL, (stream, conn) => channel.#inbound.accept(stream, conn));
    try {
      await node.start();
    } catch (e) {
      try {
        await node.stop();
      } catch {
        // already failing; the listen error is the one to report
      }
      throw new Error(`MPC channel cannot listen on ${opts.listen.join(', ')}: ${(e as Error).message}`);
    }
    log.info({ addrs: channel.addrs(), keyCreated: created, keyFile: opts.peerKeyFile }, 'MPC channel listening');
    return channel;
  }

  /** Listen multiaddrs without the /p2p suffix (what BindPeer carries). */
  addrs(): string[] {
    const out = new Set<string>();
    for (const ma of this.#node.getMultiaddrs()) out.add(ma.toString().replace(/\/p2p\/[^/]+$/, ''));
    return [...out];
  }

  /** The committee as bound on chain: allowlist and dial targets. Removed peers are disconnected. */
  setPeers(peers: ChannelPeer[]): void {
    const { added, removed, changed } = this.#allow.replace(peers.filter((p) => p.peerId !== this.peerId));
    for (const p of removed) {
      this.#outbound.forget(p.peerIdStr, `MPC peer ${p.peerIdStr} was removed from the committee`);
      this.#inbound.forget(p.peerIdStr);
      this.#hangUp(p, 'removed from committee');
    }
    for (const { peer, identityChanged } of changed) {
      if (identityChanged) {
        // A peer id re-bound to another identity: what was queued was meant for the old identity,
        // and the connection goes so that nothing straddles the change.
        this.#outbound.forget(peer.peerIdStr, `MPC peer ${peer.peerIdStr} was re-bound to another identity`);
        this.#inbound.forget(peer.peerIdStr);
        this.#hangUp(peer, 'identity re-bound');
      } else this.#outbound.readdress(peer); // new addresses: used from the next dial
    }
    if (added.length || removed.length || changed.length)
      this.#log.info({ peers: this.#allow.size, added: added.map((p) => p.peerIdStr), removed: removed.map((p) => p.peerIdStr), changed: changed.map((c) => c.peer.peerIdStr) }, 'MPC committee updated');
  }

  /** Queues `envelope` for the peer bound to identity `to`; resolves once the peer acknowledged it. */
  send(to: Uint8Array, envelope: Uint8Array): Promise<void> {
    if (this.#stopped) return Promise.reject(new Error('MPC channel is stopped'));
    if (envelope.length === 0 || envelope.length > this.#maxMessage)
      return Promise.reject(new MpcError('INVALID_ARGUMENT', `envelope of ${envelope.length} bytes: the MPC channel carries 1..${this.#maxMessage} bytes`));
    const idHex = bytesToHex(to);
    const peer = this.#allow.byIdentity(idHex);
    if (!peer) return Promise.reject(new MpcError('NOT_FOUND', `no MPC peer is bound to identity ${idHex} (not in the committee given to setPeers)`));
    return this.#outbound.send(peer, envelope);
  }

  onMessage(handler: MessageHandler): void {
    this.#inbound.onMessage(handler);
  }

  /** Signs with the channel's libp2p key: the proof that binds its peer id on chain (BindPeer). */
  async signAsPeer(message: Uint8Array): Promise<Uint8Array> {
    return this.#peerKey.sign(message);
  }

  stats(): MpcChannelStats {
    const connected = this.#allow.peers().filter((p) => this.#node.getConnections(p.peerId).some((c) => c.status === 'open')).length;
    return { peers: this.#allow.size, connected, dropped: this.#drops.counts() };
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopSignal.abort();
    this.#outbound.failAll('MPC channel is stopped');
    await this.#node.stop();
    this.#log.info('MPC channel stopped');
  }

  /** Called by the connection gater for each refused connection. */
  private refused(peer: string, where: string): void {
    this.#drops.drop('not-allowed', peer);
    this.#drops.warn(`refused:${peer}`, { peer, where }, 'refused MPC connection from/to a peer id not in the committee');
  }

  #hangUp(peer: AdmittedPeer, why: string): void {
    if (this.#stopped) return;
    this.#log.info({ peer: peer.peerIdStr, why }, 'disconnecting MPC peer');
    this.#node.hangUp(peer.peerId).catch((e: Error) => this.#log.debug({ peer: peer.peerIdStr, err: e.message }, 'hang-up failed'));
  }
}
