// One ABCI connection (CometBFT opens four: consensus, mempool, query, snapshot). It turns bytes into
// Requests, gives each request a response slot in arrival order, and writes the slots strictly in that
// order: CometBFT matches responses to requests purely by position, so one missing, extra or reordered
// response stops the node. The app itself is reached only through the server-wide queue.
import type { Socket } from 'node:net';
import { Request } from 'cosmjs-types/tendermint/abci/types';
import type { Logger } from '../common/log.js';
import type { AbciApplication } from './application.js';
import { dispatch, requestKind, serverAnswer } from './dispatch.js';
import { FrameDecoder, FrameError, encodeFrame } from './framing.js';
import type { SerialQueue } from './queue.js';

/** Stop reading from a peer that has this many requests unanswered; resume at half. The Go server reads
 * one request at a time, so any bound is more generous than what CometBFT is used to. */
const MAX_PENDING = 4096;
/** After we end() a connection, give the peer this long to close its side before destroying it. */
const END_TIMEOUT_MS = 5000;

interface Slot {
  frame: Buffer | undefined;
  /** A Flush answer: everything up to it goes to the socket now. */
  flush: boolean;
  /** A ResponseException: send it, then close. */
  closeAfter: boolean;
}

export interface ConnectionDeps {
  app: AbciApplication;
  queue: SerialQueue;
  log: Logger;
  maxFrameSize: number;
  onClose: (conn: AbciConnection) => void;
}

export class AbciConnection {
  private readonly decoder: FrameDecoder;
  private readonly log: Logger;
  private slots: Slot[] = [];
  private head = 0;
  /** No more input is read and no more queued jobs of this connection run. */
  private stopped = false;
  private corked = false;
  private pausedForWrite = false;
  private pausedForPending = false;
  private requests = 0;
  private readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    readonly id: number,
    readonly remote: string,
    private readonly deps: ConnectionDeps,
  ) {
    this.decoder = new FrameDecoder({ maxFrameSize: deps.maxFrameSize });
    this.log = deps.log.child({ conn: id, remote });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true); // responses are already batched; Nagle would only add latency
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => {
      this.pausedForWrite = false;
      this.updateReading();
    });
    socket.on('error', (err) => this.log.warn({ err }, 'ABCI connection error'));
    socket.on('close', () => {
      this.stopped = true;
      this.log.info({ requests: this.requests, unanswered: this.pending }, 'ABCI connection closed');
      deps.onClose(this);
    });
    this.log.info('ABCI connection opened');
  }

  /** Requests received and not yet written back. */
  get pending(): number {
    return this.slots.length - this.head;
  }

  /**
   * Graceful stop for server shutdown: read nothing more and start no more jobs of this connection.
   * Call end() once the app queue is idle, so the job that is running can still be answered.
   */
  stop(): void {
    this.stopped = true;
    this.socket.pause();
  }

  /** Writes what is answered, closes our side, and resolves once the socket is closed. */
  end(): Promise<void> {
    this.stopped = true;
    this.uncork();
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), END_TIMEOUT_MS);
    timer.unref();
    return this.closed.finally(() => clearTimeout(timer));
  }

  private onData(chunk: Buffer): void {
    if (this.stopped) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      if (err instanceof FrameError) return this.protocolError(err.message);
      throw err;
    }
    for (const frame of frames) {
      this.onFrame(frame);
      if (this.stopped) return;
    }
    if (this.pending >= MAX_PENDING) {
      this.pausedForPending = true;
      this.updateReading();
    }
  }

  private onFrame(frame: Buffer): void {
    let req: Request;
    try {
      req = Request.decode(frame);
    } catch (err) {
      return this.protocolError(`frame of ${frame.length} bytes does not decode as a Request: ${(err as Error).message}`);
    }
    const k = requestKind(req);
    if ('error' in k) return this.protocolError(k.error);
    const kind = k.kind;
    this.requests++;
    if (this.log.isLevelEnabled('trace')) this.log.trace({ req: kind }, 'request');

    const slot: Slot = { frame: undefined, flush: false, closeAfter: false };
    this.slots.push(slot);
    if (kind === 'echo' || kind === 'flush') {
      // Answered here, but still through the slot: a Flush answer must follow every earlier answer.
      slot.flush = kind === 'flush';
      this.fill(slot, serverAnswer(req, kind));
      return;
    }
    void this.deps.queue.run(async () => {
      if (this.stopped) return; // peer gone or server closing: do not run the app for nobody
      const out = await dispatch(this.deps.app, req, kind, this.log);
      if (this.stopped) return;
      slot.closeAfter = out.fatal !== undefined;
      this.fill(slot, out.body);
    });
  }

  private fill(slot: Slot, body: Uint8Array): void {
    slot.frame = encodeFrame(body);
    this.writeReady();
  }

  /** Writes every answered slot at the head, in order; sends the batch on Flush or when all are answered. */
  private writeReady(): void {
    while (this.head < this.slots.length) {
      const slot = this.slots[this.head]!;
      if (slot.frame === undefined) break; // an earlier request is still running: keep order
      this.slots[this.head] = undefined as unknown as Slot;
      this.head++;
      if (!this.corked) {
        // Cork so a run of answers leaves in one writev instead of one syscall (and packet) each.
        this.socket.cork();
        this.corked = true;
      }
      if (!this.socket.write(slot.frame)) this.pausedForWrite = true;
      if (slot.closeAfter) {
        this.log.error('closing the ABCI connection after a ResponseException');
        void this.end();
        return;
      }
      if (slot.flush) this.uncork();
    }
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    if (this.pending === 0) {
      // Nothing left to wait for: send now rather than hold answers for a Flush that a non-Go client
      // may never send. CometBFT's client sends Flush anyway, so this costs it nothing.
      this.uncork();
      this.slots = [];
      this.head = 0;
    }
    if (this.pausedForPending && this.pending <= MAX_PENDING / 2) this.pausedForPending = false;
    this.updateReading();
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  private updateReading(): void {
    if (this.stopped) return;
    if (this.pausedForWrite || this.pausedForPending) this.socket.pause();
    else if (this.socket.isPaused()) this.socket.resume();
  }

  private onEnd(): void {
    // EOF from the peer ends the connection, as in the Go socket server: its queued requests are not
    // run and unsent answers are dropped (Node ends our side too, since allowHalfOpen is off). CometBFT
    // only closes a connection when it stops, and running a dead peer's backlog would only delay the
    // other connections behind it in the app queue.
    if (this.decoder.midFrame) {
      this.log.warn({ partialBytes: this.decoder.bufferedBytes }, 'peer closed in the middle of a frame; the partial frame is dropped');
    }
    this.stopped = true;
  }

  /** Bad bytes from the peer: nothing after them can be trusted, and no answer to them is valid. */
  private protocolError(reason: string): void {
    this.log.error({ reason }, `closing ABCI connection ${this.id} from ${this.remote}: ${reason}`);
    this.stopped = true;
    this.socket.destroy();
  }
}
