// The inbound side of the MPC channel: streams peers open to us. Each frame is checked (peer still
// admitted, its token bucket, size, the envelope opens and is signed by the identity bound to the
// peer id) before it reaches the message handlers, and every chunk processed is acknowledged with
// the cumulative count of frames taken (see outbound.ts). A peer flooding past its rate limit is
// disconnected and refused for a cool-down.
import type { Connection, Stream } from '@libp2p/interface';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Logger } from '../../common/log.js';
import { equalBytes, open } from '../../mpc/envelope.js';
import { MpcError } from '../../mpc/errors.js';
import type { AdmittedPeer, Allowlist } from './admission.js';
import type { DropLog } from './drops.js';
import { encodeAck, FrameDecoder, type FrameEvent } from './framing.js';
import { PeerRateLimiter, type RateLimit } from './rate-limit.js';

export type MessageHandler = (from: Uint8Array, envelope: Uint8Array) => void;

export interface InboundSettings {
  /** Largest envelope accepted. */
  maxMessageBytes: number;
  /** Inbound frames per peer. */
  ratePerPeer: RateLimit;
  /** Refused frames (since the last disconnect) after which a peer is disconnected. */
  floodThreshold: number;
  /** How long a disconnected flooder is refused (0 = reconnect at once). */
  floodBanMs: number;
}

export class InboundReader {
  readonly #limiter: PeerRateLimiter;
  readonly #handlers: MessageHandler[] = [];

  /** `stopSignal` is the channel's: once aborted, frames are no longer read. */
  constructor(
    private readonly allow: Allowlist,
    private readonly log: Logger,
    private readonly drops: DropLog,
    private readonly settings: InboundSettings,
    private readonly stopSignal: AbortSignal,
    private readonly hangUp: (peer: AdmittedPeer, why: string) => void,
  ) {
    this.#limiter = new PeerRateLimiter(settings.ratePerPeer, settings.floodThreshold);
  }

  onMessage(handler: MessageHandler): void {
    this.#handlers.push(handler);
  }

  /** The peer left the committee or was re-bound: its next frames start with a full bucket. */
  forget(peerIdStr: string): void {
    this.#limiter.forget(peerIdStr);
  }

  /** The MPC_PROTOCOL stream handler. */
  accept(stream: Stream, conn: Connection): void {
    const remote = conn.remotePeer.toString();
    if (!this.allow.admits(remote)) {
      this.drops.drop('not-allowed', remote);
      this.drops.warn(`refused:${remote}`, { peer: remote }, 'MPC stream from a peer id not in the committee; closing its connection');
      stream.abort(new Error('not admitted'));
      conn.abort(new Error('not admitted to the MPC channel'));
      return;
    }
    this.#attachReader(stream, conn);
  }

  #attachReader(stream: Stream, conn: Connection): void {
    const remote = conn.remotePeer.toString();
    const decoder = new FrameDecoder(this.settings.maxMessageBytes);
    let taken = 0;
    const emit = (ev: FrameEvent) => {
      taken += 1;
      this.#frame(remote, stream, conn, ev);
    };
    stream.addEventListener('message', (ev) => {
      if (this.stopSignal.aborted || stream.status !== 'open') return;
      const data = ev.data instanceof Uint8Array ? ev.data : ev.data.subarray();
      const before = taken;
      try {
        decoder.push(data, emit);
      } catch (e) {
        this.log.error({ peer: remote, err: (e as Error).message }, 'MPC frame handling failed; closing stream');
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
    const peer = this.allow.byPeerId(remote);
    if (!peer || !this.allow.admits(remote)) {
      this.drops.drop('not-allowed', remote);
      stream.abort(new Error('not admitted'));
      conn.abort(new Error('not admitted to the MPC channel'));
      return;
    }
    // Rate first: it is cheap and keeps a flood from costing signature checks.
    const verdict = this.#limiter.take(remote);
    if (verdict !== 'ok') {
      this.drops.drop('rate', remote);
      if (verdict === 'flood') {
        this.log.warn({ peer: remote, banMs: this.settings.floodBanMs }, 'MPC peer flooding past its rate limit; disconnecting');
        this.allow.ban(remote, this.settings.floodBanMs);
        this.hangUp(peer, 'flooding');
      } else this.drops.warn(`rate:${remote}`, { peer: remote }, 'MPC peer over its rate limit; dropping frames');
      return;
    }
    if (ev.kind === 'oversize') {
      this.drops.drop('oversize', remote);
      this.drops.warn(`oversize:${remote}`, { peer: remote, length: ev.length, limit: this.settings.maxMessageBytes }, 'dropped oversize MPC frame');
      return;
    }
    if (ev.kind === 'empty') {
      this.drops.drop('malformed', remote);
      this.drops.warn(`malformed:${remote}`, { peer: remote }, 'dropped empty MPC frame');
      return;
    }
    let sender: Uint8Array;
    try {
      sender = open(ev.bytes).body.sender;
    } catch (e) {
      const reason = e instanceof MpcError && e.code === 'BAD_SIGNATURE' ? 'bad-signature' : 'malformed';
      this.drops.drop(reason, remote);
      this.drops.warn(`${reason}:${remote}`, { peer: remote, bytes: ev.bytes.length, err: (e as Error).message }, 'dropped MPC envelope that does not open');
      return;
    }
    if (!equalBytes(sender, peer.identity)) {
      this.drops.drop('wrong-sender', remote);
      this.drops.warn(`wrong-sender:${remote}`, { peer: remote, bound: peer.identityHex, sender: bytesToHex(sender) }, 'dropped MPC envelope signed by another identity than the one bound to the peer');
      return;
    }
    for (const h of this.#handlers) {
      try {
        h(sender, ev.bytes);
      } catch (e) {
        this.log.error({ peer: remote, err: (e as Error).message }, 'MPC message handler threw');
      }
    }
  }
}
