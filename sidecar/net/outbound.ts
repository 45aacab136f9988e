// The outbound side of the MPC channel: a bounded queue per peer, written on one long-lived stream
// on MPC_PROTOCOL that is dialed (and redialed, with bounded retries and backoff) as needed.
//
// The opener of a stream writes frames; the acceptor reads them and writes back, after each chunk
// it processed, the cumulative number of frames taken (4-byte big-endian). A frame counts as taken
// when the peer delivered or dropped it. send() resolves on that acknowledgement; frames written
// but not acknowledged when a stream fails are written again on the next one (so a peer may see a
// frame twice across a reconnect: MPC engines reject replays).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Libp2p, Stream } from '@libp2p/interface';
import type { Logger } from '../../common/log.js';
import type { AdmittedPeer, Allowlist } from './admission.js';
import type { DropLog } from './drops.js';
import { AckDecoder, encodeFrame, MPC_PROTOCOL } from './framing.js';

export interface OutboundSettings {
  /** Bound on bytes waiting to be written to one peer. */
  maxQueuedBytes: number;
  /** Retries after a failed dial/write before send() rejects. */
  retries: number;
  /** First retry delay; doubles each retry, capped at MAX_BACKOFF_MS. */
  backoffMs: number;
  /** Per dial + stream open. */
  dialTimeoutMs: number;
  /** A stream with frames unacknowledged this long is treated as dead and redialed. */
  ackTimeoutMs: number;
}

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

export class OutboundQueues {
  readonly #outbound = new Map<string, Outbound>();

  /** `stopSignal` is the channel's: once aborted, nothing is dialed or written any more. */
  constructor(
    private readonly node: Libp2p,
    private readonly allow: Allowlist,
    private readonly log: Logger,
    private readonly drops: DropLog,
    private readonly settings: OutboundSettings,
    private readonly stopSignal: AbortSignal,
  ) {}

  /** Queues `envelope` for `peer`; resolves once the peer acknowledged it. */
  send(peer: AdmittedPeer, envelope: Uint8Array): Promise<void> {
    let out = this.#outbound.get(peer.peerIdStr);
    if (!out) {
      out = { peer, queue: [], inflight: [], queuedBytes: 0, stream: undefined, acked: 0, ackTimer: undefined, pumping: false, failures: 0, lastError: undefined, retryAt: 0 };
      this.#outbound.set(peer.peerIdStr, out);
    }
    const frame = encodeFrame(envelope);
    if (out.queuedBytes + frame.length > this.settings.maxQueuedBytes) {
      this.drops.drop('queue-full', peer.peerIdStr);
      return Promise.reject(new Error(`outbound queue to MPC peer ${peer.peerIdStr} is full (${out.queuedBytes} bytes waiting, limit ${this.settings.maxQueuedBytes}): the peer is slow or unreachable`));
    }
    const o = out;
    return new Promise<void>((resolve, reject) => {
      o.queue.push({ frame, resolve, reject });
      o.queuedBytes += frame.length;
      void this.#pump(o);
    });
  }

  /** Drops the peer's queue, rejecting what it held with `why`; a later send starts afresh. */
  forget(peerIdStr: string, why: string): void {
    const out = this.#outbound.get(peerIdStr);
    this.#outbound.delete(peerIdStr);
    if (out) this.#failQueue(out, new Error(why));
  }

  /** The peer's addresses changed: used from the next dial. */
  readdress(peer: AdmittedPeer): void {
    const out = this.#outbound.get(peer.peerIdStr);
    if (out) out.peer = peer;
  }

  /** Rejects everything queued to every peer with `why` and forgets all queues. */
  failAll(why: string): void {
    for (const out of this.#outbound.values()) this.#failQueue(out, new Error(why));
    this.#outbound.clear();
  }

  async #pump(out: Outbound): Promise<void> {
    if (out.pumping) return;
    out.pumping = true;
    try {
      while (out.queue.length > 0 && !this.stopSignal.aborted && this.#outbound.get(out.peer.peerIdStr) === out) {
        if (out.failures > this.settings.retries) {
          const last = out.lastError?.message ?? 'unknown error';
          const n = out.queue.length + out.inflight.length;
          this.drops.drop('unreachable', out.peer.peerIdStr, n);
          this.log.warn({ peer: out.peer.peerIdStr, attempts: out.failures, err: last, failed: n }, 'MPC peer unreachable; failing queued messages');
          this.#failQueue(out, new Error(`MPC peer ${out.peer.peerIdStr} unreachable after ${out.failures} attempts (addrs ${out.peer.dialAddrs.map(String).join(', ') || 'none'}): ${last}`));
          out.failures = 0;
          return;
        }
        const wait = out.retryAt - Date.now();
        if (wait > 0) {
          try {
            await sleep(wait, undefined, { signal: this.stopSignal });
          } catch {
            return; // stopped
          }
          continue;
        }
        let stream: Stream;
        try {
          stream = await this.#streamTo(out);
        } catch (e) {
          if (this.stopSignal.aborted) return;
          this.#failure(out, e as Error);
          continue;
        }
        const item = out.queue.shift()!;
        out.inflight.push(item);
        this.#armAckTimer(out, stream);
        try {
          if (!stream.send(item.frame)) await stream.onDrain({ signal: AbortSignal.any([AbortSignal.timeout(this.settings.ackTimeoutMs), this.stopSignal]) });
        } catch (e) {
          if (this.stopSignal.aborted) return;
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
    out.retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, this.settings.backoffMs * 2 ** (out.failures - 1));
    this.log.debug({ peer: out.peer.peerIdStr, attempt: out.failures, err: err.message }, 'MPC send attempt failed; will redial');
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
      if (out.stream === stream && out.inflight.length > 0) this.#streamFailed(out, stream, new Error(`no acknowledgement within ${this.settings.ackTimeoutMs} ms`));
    }, this.settings.ackTimeoutMs);
  }

  #onAck(out: Outbound, stream: Stream, count: number): void {
    if (out.stream !== stream) return;
    const n = count - out.acked;
    if (n <= 0 || n > out.inflight.length) {
      this.log.warn({ peer: out.peer.peerIdStr, count, acked: out.acked, inflight: out.inflight.length }, 'MPC peer sent an impossible acknowledgement; resetting stream');
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
    if (!this.allow.admits(peer.peerIdStr)) throw new Error(`MPC peer ${peer.peerIdStr} is not admitted (removed or cooling down after a flood)`);
    const signal = AbortSignal.any([AbortSignal.timeout(this.settings.dialTimeoutMs), this.stopSignal]);
    let conn = this.node.getConnections(peer.peerId).find((c) => c.status === 'open');
    if (!conn) {
      if (peer.dialAddrs.length === 0) throw new Error(`MPC peer ${peer.peerIdStr} has no addresses and no open connection`);
      conn = await this.node.dial(peer.dialAddrs, { signal });
    }
    const stream = await conn.newStream(MPC_PROTOCOL, { signal });
    if (this.stopSignal.aborted || this.#outbound.get(peer.peerIdStr) !== out) {
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
    this.log.debug({ peer: peer.peerIdStr, remoteAddr: conn.remoteAddr.toString() }, 'MPC stream opened');
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
}
