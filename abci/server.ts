// The ABCI 2.0 socket server (DESIGN.md decision 2): CometBFT v0.38 connects to it four times
// (consensus, mempool, query, snapshot); every request of every connection reaches the app through one
// FIFO, so the app never runs two requests at once and never needs its own locking.
import { createServer, type Server, type Socket } from 'node:net';
import { unlink } from 'node:fs/promises';
import { createLogger, type Logger } from '../common/log.js';
import type { AbciApplication } from './application.js';
import { clearStaleSocket, formatAddress, parseAddress, type AbciAddress } from './address.js';
import { AbciConnection } from './connection.js';
import { DEFAULT_MAX_FRAME_SIZE } from './framing.js';
import { SerialQueue } from './queue.js';

export interface AbciServerOptions {
  app: AbciApplication;
  /** Default: createLogger('abci'). */
  logger?: Logger;
  /** Largest request accepted, in bytes (default 100 MiB); a larger one closes its connection. */
  maxFrameSize?: number;
}

export class AbciServer {
  private readonly app: AbciApplication;
  private readonly log: Logger;
  private readonly maxFrameSize: number;
  private readonly queue = new SerialQueue();
  private readonly connections = new Set<AbciConnection>();
  private server: Server | undefined;
  private bound: AbciAddress | undefined;
  private nextId = 1;
  private closing: Promise<void> | undefined;

  constructor(opts: AbciServerOptions) {
    this.app = opts.app;
    this.log = opts.logger ?? createLogger('abci');
    this.maxFrameSize = opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isSafeInteger(this.maxFrameSize) || this.maxFrameSize < 0) {
      throw new RangeError(`invalid maxFrameSize: ${this.maxFrameSize}`);
    }
  }

  /** The bound address (with the real port when listening on port 0), once listen() has resolved. */
  get address(): string | undefined {
    return this.bound && formatAddress(this.bound);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Starts listening on `tcp://host:port` or `unix:///path` and resolves with the bound address. A
   * stale unix socket file (nobody listening) is removed first.
   */
  async listen(address: string): Promise<string> {
    if (this.server || this.closing) throw new Error('AbciServer.listen: already started');
    const target = parseAddress(address);
    if (target.kind === 'unix') await clearStaleSocket(target.path);
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const onListening = () => {
        server.off('error', reject);
        resolve();
      };
      if (target.kind === 'unix') server.listen(target.path, onListening);
      else server.listen(target.port, target.host, onListening);
    }).catch((err: unknown) => {
      this.server = undefined;
      throw err;
    });
    server.on('error', (err) => this.log.error({ err }, 'ABCI listener error'));
    const info = server.address();
    this.bound = target.kind === 'tcp' && info !== null && typeof info === 'object' ? { kind: 'tcp', host: target.host, port: info.port } : target;
    this.log.info({ address: this.address }, 'ABCI server listening');
    return this.address!;
  }

  /**
   * Stops listening, reads no more requests, lets the app finish the request it is running (so the
   * caller may close the app's database right after), skips requests not yet started, writes the
   * answers already made and closes every connection. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    const listenerClosed = server
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve();
    for (const c of this.connections) c.stop();
    await this.queue.onIdle();
    await Promise.all([...this.connections].map((c) => c.end()));
    await listenerClosed;
    if (this.bound?.kind === 'unix') {
      // Node unlinks its socket on close; this covers a listener that died without doing so.
      await unlink(this.bound.path).catch(() => undefined);
    }
    this.log.info({ address: this.address }, 'ABCI server closed');
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const id = this.nextId++;
    const remote = socket.remoteAddress !== undefined ? `${socket.remoteAddress}:${socket.remotePort}` : (this.address ?? 'unix');
    const conn = new AbciConnection(socket, id, remote, {
      app: this.app,
      queue: this.queue,
      log: this.log,
      maxFrameSize: this.maxFrameSize,
      onClose: (c) => this.connections.delete(c),
    });
    this.connections.add(conn);
  }
}
