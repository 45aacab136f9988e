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
import '../../common/polyfills.js'; // Promise.withResolvers on Node 20: must run before libp2p loads
import { setTimeout as sleep } from 'node:timers/promises';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createLibp2p } from 'libp2p';
import { createLogger, type Logger } from '../../common/log.js';
import { equalBytes, MAX_ENVELOPE_BYTES, open } from '../envelope.js';
import { MpcError } from '../errors.js';
import { Allowlist, type AdmittedPeer, type ChannelPeer } from './admission.js';
import { AckDecoder, encodeAck, encodeFrame, FrameDecoder, type FrameEvent } from './framing.js';
import { loadOrCreatePeerKey } from './peer-key.js';
import { PeerRateLimiter, type RateLimit } from './rate-limit.js';

export type { ChannelPeer } from './admission.js';

export const MPC_PROTOCOL = '/seqpool/mpc/1.0.0';

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

export type DropReason =
  | 'not-allowed' // connection or stream from a peer id not on the allowlist (or banned)
  | 'oversize' // frame longer than maxMessageBytes
  | 'malformed' // empty frame, undecodable or non-canonical envelope
  | 'bad-signature' // envelope signature does not verify
  | 'wrong-sender' // envelope signed by another identity than the one bound to the peer id
  | 'rate' // over the peer's token bucket
  | 'queue-full' // outbound: send() refused, queue bound reached
  | 'unreachable'; // outbound: given up after retries

export interface MpcChannelStats {
  peers: number;
  connected: number;
  dropped: Record<string, number>;
}

export type MessageHandler = (from: Uint8Array, envelope: Uint8Array) => void;

interface Pending {
  frame: Uint8Array;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Outbound {
  peer: AdmittedPeer;
  /** Not yet written. */
  queue: Pending[];
  /** Written on `stream`, not yet acknowledged; requeued in order if the stream fails. */
  inflight: Pending[];
  /** Bytes in queue + inflight (the backpressure bound). */
  queuedBytes: number;
  stream: Stream | undefined;
  /** Cumulative frame count the peer acknowledged on `stream`. */
  acked: number;
  ackTimer: NodeJS.Timeout | undefined;
  pumping: boolean;
  /** Consecutive dial/stream failures without an acknowledgement in between. */
  failures: number;
  lastError: Error | undefined;
  retryAt: number;
}

const MAX_BACKOFF_MS = 2_000;
const WARN_EVERY_MS = 10_000;

export class MpcChannel {
  readonly peerId: string;
  readonly #node: Libp2p;
  readonly #log: Logger;
  readonly #allow: Allowlist;
  readonly #limiter: PeerRateLimiter;
  readonly #maxMessage: number;
  readonly #maxQueued: number;
  readonly #retries: number;
  readonly #backoff: number;
  readonly #dialTimeout: number;
  readonly #ackTimeout: number;
  readonly #banMs: number;
  readonly #handlers: MessageHandler[] = [];
  readonly #outbound = new Map<string, Outbound>();
  readonly #dropped: Record<string, number> = {};
  readonly #lastWarn = new Map<string, number>();
  readonly #stopSignal = new AbortController();
  #stopped = false;

  private constructor(node: Libp2p, allow: Allowlist, log: Logger, opts: MpcChannelOptions) {
    this.#node = node;
    this.#allow = allow;
    this.#log = log;
    this.peerId = node.peerId.toString();
    this.#maxMessage = opts.maxMessageBytes ?? MAX_ENVELOPE_BYTES;
    const rate = opts.ratePerPeer ?? { messagesPerSecond: 200, burst: 400 };
    this.#limiter = new PeerRateLimiter(rate, opts.floodThreshold ?? 2 * rate.burst);
    this.#maxQueued = opts.maxQueuedBytesPerPeer ?? 16 << 20;
    this.#retries = opts.sendRetries ?? 4;
    this.#backoff = opts.retryBackoffMs ?? 100;
    this.#dialTimeout = opts.dialTimeoutMs ?? 5_000;
    this.#ackTimeout = opts.ackTimeoutMs ?? 5_000;
    this.#banMs = opts.floodBanMs ?? 10_000;
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
    const channel = new MpcChannel(node, allow, log, opts);
    box.channel = channel;
    await node.handle(MPC_PROTOCOL, (stream, conn) => channel.#inbound(stream, conn));
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
      const out = this.#outbound.get(p.peerIdStr);
      this.#outbound.delete(p.peerIdStr);
      if (out) this.#failQueue(out, new Error(`MPC peer ${p.peerIdStr} was removed from the committee`));
      this.#limiter.forget(p.peerIdStr);
      this.#hangUp(p, 'removed from committee');
    }
    for (const { peer, identityChanged } of changed) {
      const out = this.#outbound.get(peer.peerIdStr);
      if (identityChanged) {
        // A peer id re-bound to another identity: what was queued was meant for the old identity,
        // and the connection goes so that nothing straddles the change.
        this.#outbound.delete(peer.peerIdStr);
        if (out) this.#failQueue(out, new Error(`MPC peer ${peer.peerIdStr} was re-bound to another identity`));
        this.#limiter.forget(peer.peerIdStr);
        this.#hangUp(peer, 'identity re-bound');
      } else if (out) out.peer = peer; // new addresses: used from the next dial
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
    let out = this.#outbound.get(peer.peerIdStr);
    if (!out) {
      out = { peer, queue: [], inflight: [], queuedBytes: 0, stream: undefined, acked: 0, ackTimer: undefined, pumping: false, failures: 0, lastError: undefined, retryAt: 0 };
      this.#outbound.set(peer.peerIdStr, out);
    }
    const frame = encodeFrame(envelope);
    if (out.queuedBytes + frame.length > this.#maxQueued) {
      this.#drop('queue-full', peer.peerIdStr);
      return Promise.reject(new Error(`outbound queue to MPC peer ${peer.peerIdStr} is full (${out.queuedBytes} bytes waiting, limit ${this.#maxQueued}): the peer is slow or unreachable`));
    }
    const o = out;
    return new Promise<void>((resolve, reject) => {
      o.queue.push({ frame, resolve, reject });
      o.queuedBytes += frame.length;
      void this.#pump(o);
    });
  }

  onMessage(handler: MessageHandler): void {
    this.#handlers.push(handler);
  }

  stats(): MpcChannelStats {
    const connected = this.#allow.peers().filter((p) => this.#node.getConnections(p.peerId).some((c) => c.status === 'open')).length;
    return { peers: this.#allow.size, connected, dropped: { ...this.#dropped } };
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopSignal.abort();
    for (const out of this.#outbound.values()) this.#failQueue(out, new Error('MPC channel is stopped'));
    this.#outbound.clear();
    await this.#node.stop();
    this.#log.info('MPC channel stopped');
  }

  /** Called by the connection gater for each refused connection. */
  private refused(peer: string, where: string): void {
    this.#drop('not-allowed', peer);
    this.#warn(`refused:${peer}`, { peer, where }, 'refused MPC connection from/to a peer id not in the committee');
  }

  // ---- outbound ----
  //
  // The opener of a stream writes frames; the acceptor reads them and writes back, after each chunk
  // it processed, the cumulative number of frames taken (4-byte big-endian). A frame counts as taken
  // when the peer delivered or dropped it. send() resolves on that acknowledgement; frames written
  // but not acknowledged when a stream fails are written again on the next one (so a peer may see a
  // frame twice across a reconnect: MPC engines reject replays).

  async #pump(out: Outbound): Promise<void> {
    if (out.pumping) return;
    out.pumping = true;
    try {
      while (out.queue.length > 0 && !this.#stopped && this.#outbound.get(out.peer.peerIdStr) === out) {
        if (out.failures > this.#retries) {
          const last = out.lastError?.message ?? 'unknown error';
          const n = out.queue.length + out.inflight.length;
          this.#drop('unreachable', out.peer.peerIdStr, n);
          this.#log.warn({ peer: out.peer.peerIdStr, attempts: out.failures, err: last, failed: n }, 'MPC peer unreachable; failing queued messages');
          this.#failQueue(out, new Error(`MPC peer ${out.peer.peerIdStr} unreachable after ${out.failures} attempts (addrs ${out.peer.dialAddrs.map(String).join(', ') || 'none'}): ${last}`));
          out.failures = 0;
          return;
        }
        const wait = out.retryAt - Date.now();
        if (wait > 0) {
          try {
            await sleep(wait, undefined, { signal: this.#stopSignal.signal });
          } catch {
            return; // stopped
          }
          continue;
        }
        let stream: Stream;
        try {
          stream = await this.#streamTo(out);
        } catch (e) {
          if (this.#stopped) return;
          this.#failure(out, e as Error);
          continue;
        }
        const item = out.queue.shift()!;
        out.inflight.push(item);
        this.#armAckTimer(out, stream);
        try {
          if (!stream.send(item.frame)) await stream.onDrain({ signal: AbortSignal.any([AbortSignal.timeout(this.#ackTimeout), this.#stopSignal.signal]) });
        } catch (e) {
          if (this.#stopped) return;
          this.#streamFailed(out, stream, e as Error);
        }
      }
    } finally {
      out.pumping = false;
    }
  }

  /** Counts a failed attempt and schedules the next one with exponential backoff. */
  #failure(out: Outbound, err: Error): void {
    out.failures += 1;
    out.lastError = err;
    out.retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, this.#backoff * 2 ** (out.failures - 1));
    this.#log.debug({ peer: out.peer.peerIdStr, attempt: out.failures, err: err.message }, 'MPC send attempt failed; will redial');
  }

  /** `stream` died (closed, reset, write error, ack timeout): requeue what it did not acknowledge. */
  #streamFailed(out: Outbound, stream: Stream, err: Error | undefined): void {
    if (out.stream !== stream) return;
    out.stream = undefined;
    clearTimeout(out.ackTimer);
    out.ackTimer = undefined;
    if (stream.status === 'open') stream.abort(err ?? new Error('MPC stream replaced'));
    const unacked = out.inflight.splice(0);
    if (unacked.length === 0) return; // nothing lost (e.g. closed for inactivity): the next send opens a new stream
    out.queue.unshift(...unacked);
    this.#failure(out, err ?? new Error('stream closed before acknowledging'));
    if (out.queue.length > 0) void this.#pump(out);
  }

  #armAckTimer(out: Outbound, stream: Stream): void {
    if (out.ackTimer !== undefined) return;
    out.ackTimer = setTimeout(() => {
      out.ackTimer = undefined;
      if (out.stream === stream && out.inflight.length > 0) this.#streamFailed(out, stream, new Error(`no acknowledgement within ${this.#ackTimeout} ms`));
    }, this.#ackTimeout);
  }

  #onAck(out: Outbound, stream: Stream, count: number): void {
    if (out.stream !== stream) return;
    const n = count - out.acked;
    if (n <= 0 || n > out.inflight.length) {
      this.#log.warn({ peer: out.peer.peerIdStr, count, acked: out.acked, inflight: out.inflight.length }, 'MPC peer sent an impossible acknowledgement; resetting stream');
      this.#streamFailed(out, stream, new Error('bad acknowledgement'));
      return;
    }
    out.acked = count;
    out.failures = 0;
    clearTimeout(out.ackTimer);
    out.ackTimer = undefined;
    for (const it of out.inflight.splice(0, n)) {
      out.queuedBytes -= it.frame.length;
      it.resolve();
    }
    if (out.inflight.length > 0) this.#armAckTimer(out, stream);
  }

  async #streamTo(out: Outbound): Promise<Stream> {
    const s = out.stream;
    if (s && s.status === 'open' && s.writeStatus === 'writable') return s;
    if (s) this.#streamFailed(out, s, new Error('stream no longer writable'));
    const peer = out.peer;
    if (!this.#allow.admits(peer.peerIdStr)) throw new Error(`MPC peer ${peer.peerIdStr} is not admitted (removed or cooling down after a flood)`);
    const signal = AbortSignal.any([AbortSignal.timeout(this.#dialTimeout), this.#stopSignal.signal]);
    let conn = this.#node.getConnections(peer.peerId).find((c) => c.status === 'open');
    if (!conn) {
      if (peer.dialAddrs.length === 0) throw new Error(`MPC peer ${peer.peerIdStr} has no addresses and no open connection`);
      conn = await this.#node.dial(peer.dialAddrs, { signal });
    }
    const stream = await conn.newStream(MPC_PROTOCOL, { signal });
    if (this.#stopped || this.#outbound.get(peer.peerIdStr) !== out) {
      stream.abort(new Error('MPC channel stopped or peer removed'));
      throw new Error(`MPC peer ${peer.peerIdStr} removed while dialing`);
    }
    out.stream = stream;
    out.acked = 0;
    const acks = new AckDecoder();
    stream.addEventListener('message', (ev) => {
      const data = ev.data instanceof Uint8Array ? ev.data : ev.data.subarray();
      for (const count of acks.push(data)) this.#onAck(out, stream, count);
    });
    stream.addEventListener('close', (ev) => this.#streamFailed(out, stream, ev.error ?? (out.inflight.length > 0 ? new Error('stream closed') : undefined)));
    this.#log.debug({ peer: peer.peerIdStr, remoteAddr: conn.remoteAddr.toString() }, 'MPC stream opened');
    return stream;
  }

  #failQueue(out: Outbound, err: Error): void {
    const items = [...out.inflight.splice(0), ...out.queue.splice(0)];
    out.queuedBytes = 0;
    clearTimeout(out.ackTimer);
    out.ackTimer = undefined;
    const s = out.stream;
    out.stream = undefined;
    if (s && s.status === 'open') s.abort(err);
    for (const it of items) it.reject(err);
  }

  #hangUp(peer: AdmittedPeer, why: string): void {
    if (this.#stopped) return;
    this.#log.info({ peer: peer.peerIdStr, why }, 'disconnecting MPC peer');
    this.#node.hangUp(peer.peerId).catch((e: Error) => this.#log.debug({ peer: peer.peerIdStr, err: e.message }, 'hang-up failed'));
  }

  // ---- inbound ----

  #inbound(stream: Stream, conn: Connection): void {
    const remote = conn.remotePeer.toString();
    if (!this.#allow.admits(remote)) {
      this.#drop('not-allowed', remote);
      this.#warn(`refused:${remote}`, { peer: remote }, 'MPC stream from a peer id not in the committee; closing its connection');
      stream.abort(new Error('not admitted'));
      conn.abort(new Error('not admitted to the MPC channel'));
      return;
    }
    this.#attachReader(stream, conn);
  }

  #attachReader(stream: Stream, conn: Connection): void {
    const remote = conn.remotePeer.toString();
    const decoder = new FrameDecoder(this.#maxMessage);
    let taken = 0;
    const emit = (ev: FrameEvent) => {
      taken += 1;
      this.#frame(remote, stream, conn, ev);
    };
    stream.addEventListener('message', (ev) => {
      if (this.#stopped || stream.status !== 'open') return;
      const data = ev.data instanceof Uint8Array ? ev.data : ev.data.subarray();
      const before = taken;
      try {
        decoder.push(data, emit);
      } catch (e) {
        this.#log.error({ peer: remote, err: (e as Error).message }, 'MPC frame handling failed; closing stream');
        stream.abort(e as Error);
        return;
      }
      if (taken !== before) sendAck();
    });
    // Acks are cumulative, so while the remote does not read them (its window is full) only the
    // latest count matters: write it when the stream drains instead of piling up buffers.
    let ackWaiting = false;
    const sendAck = () => {
      if (stream.status !== 'open' || stream.writeStatus !== 'writable') return;
      if (stream.writableNeedsDrain) {
        if (!ackWaiting) {
          ackWaiting = true;
          stream.addEventListener('drain', () => {
            ackWaiting = false;
            sendAck();
          }, { once: true });
        }
        return;
      }
      stream.send(encodeAck(taken));
    };
  }

  #frame(remote: string, stream: Stream, conn: Connection, ev: FrameEvent): void {
    if (stream.status !== 'open') return;
    const peer = this.#allow.byPeerId(remote);
    if (!peer || !this.#allow.admits(remote)) {
      this.#drop('not-allowed', remote);
      stream.abort(new Error('not admitted'));
      conn.abort(new Error('not admitted to the MPC channel'));
      return;
    }
    // Rate first: it is cheap and keeps a flood from costing signature checks.
    const verdict = this.#limiter.take(remote);
    if (verdict !== 'ok') {
      this.#drop('rate', remote);
      if (verdict === 'flood') {
        this.#log.warn({ peer: remote, banMs: this.#banMs }, 'MPC peer flooding past its rate limit; disconnecting');
        this.#allow.ban(remote, this.#banMs);
        this.#hangUp(peer, 'flooding');
      } else this.#warn(`rate:${remote}`, { peer: remote }, 'MPC peer over its rate limit; dropping frames');
      return;
    }
    if (ev.kind === 'oversize') {
      this.#drop('oversize', remote);
      this.#warn(`oversize:${remote}`, { peer: remote, length: ev.length, limit: this.#maxMessage }, 'dropped oversize MPC frame');
      return;
    }
    if (ev.kind === 'empty') {
      this.#drop('malformed', remote);
      this.#warn(`malformed:${remote}`, { peer: remote }, 'dropped empty MPC frame');
      return;
    }
    let sender: Uint8Array;
    try {
      sender = open(ev.bytes).body.sender;
    } catch (e) {
      const reason = e instanceof MpcError && e.code === 'BAD_SIGNATURE' ? 'bad-signature' : 'malformed';
      this.#drop(reason, remote);
      this.#warn(`${reason}:${remote}`, { peer: remote, bytes: ev.bytes.length, err: (e as Error).message }, 'dropped MPC envelope that does not open');
      return;
    }
    if (!equalBytes(sender, peer.identity)) {
      this.#drop('wrong-sender', remote);
      this.#warn(`wrong-sender:${remote}`, { peer: remote, bound: peer.identityHex, sender: bytesToHex(sender) }, 'dropped MPC envelope signed by another identity than the one bound to the peer');
      return;
    }
    for (const h of this.#handlers) {
      try {
        h(sender, ev.bytes);
      } catch (e) {
        this.#log.error({ peer: remote, err: (e as Error).message }, 'MPC message handler threw');
      }
    }
  }

  // ---- bookkeeping ----

  #drop(reason: DropReason, peer: string, n = 1): void {
    this.#dropped[reason] = (this.#dropped[reason] ?? 0) + n;
    this.#log.debug({ peer, reason }, 'MPC drop');
  }

  /** warn at most once per key every 10 s (a hostile peer cannot flood the log), debug otherwise. */
  #warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    const last = this.#lastWarn.get(key);
    if (last === undefined || now - last >= WARN_EVERY_MS) {
      this.#lastWarn.set(key, now);
      if (this.#lastWarn.size > 10_000) this.#lastWarn.clear();
      this.#log.warn(fields, msg);
    } else this.#log.debug(fields, msg);
  }
}
