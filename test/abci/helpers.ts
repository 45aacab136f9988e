// Test helpers for the ABCI server: a raw socket client that speaks the framing by hand, a logger that
// records what the server logs, and a minimal app to override per test.
import { connect, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Request, Response } from 'cosmjs-types/tendermint/abci/types';
import type { DeepPartial } from 'cosmjs-types/helpers';
import type { AbciApplication } from '../../abci/application.js';
import { FrameDecoder, encodeFrame } from '../../abci/framing.js';
import { parseAddress } from '../../abci/address.js';
import { AbciServer } from '../../abci/server.js';
import { freePort } from '../ports.js';

/** A client that writes framed Requests and reads framed Responses in order. */
export class TestClient {
  readonly responses: Response[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  private readonly decoder = new FrameDecoder();
  readonly closed: Promise<void>;
  private isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) this.responses.push(Response.decode(frame));
      this.wake();
    });
    socket.on('error', () => undefined); // a reset from the server is an outcome tests assert on
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(address: string): Promise<TestClient> {
    const a = parseAddress(address);
    return new Promise((resolve, reject) => {
      const socket = a.kind === 'unix' ? connect({ path: a.path }) : connect({ host: a.host, port: a.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new TestClient(socket));
      });
    });
  }

  /** Encodes and frames one request. */
  static frame(req: DeepPartial<Request>): Buffer {
    return encodeFrame(Request.encode(Request.fromPartial(req)).finish());
  }

  send(...reqs: DeepPartial<Request>[]): void {
    this.socket.write(Buffer.concat(reqs.map((r) => TestClient.frame(r))));
  }

  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Resolves once `n` responses in total have arrived; rejects if the connection closes first. */
  async waitFor(n: number, timeoutMs = 5000): Promise<Response[]> {
    if (this.responses.length < n) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timeout: ${this.responses.length}/${n} responses`)), timeoutMs);
        this.waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            if (this.responses.length >= n) resolve();
            else reject(new Error(`connection closed after ${this.responses.length}/${n} responses`));
          },
        });
        this.wake();
      });
    }
    return this.responses.slice(0, n);
  }

  /** Sends requests followed by a Flush and returns their responses (the Flush answer excluded). */
  async call(...reqs: DeepPartial<Request>[]): Promise<Response[]> {
    const start = this.responses.length;
    this.send(...reqs, { flush: {} });
    const all = await this.waitFor(start + reqs.length + 1);
    const last = all[all.length - 1]!;
    if (!last.flush) throw new Error('last response is not the Flush answer');
    return all.slice(start, start + reqs.length);
  }

  end(): Promise<void> {
    this.socket.end();
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.responses.length >= w.n || this.isClosed) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}

/** The oneof set in a response (its kind), for compact order assertions. */
export function kindOf(res: Response): string {
  const set = Object.entries(res).filter(([, v]) => v !== undefined).map(([k]) => k);
  if (set.length !== 1) throw new Error(`response has ${set.length} oneofs set: ${set.join(',')}`);
  return set[0]!;
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A pino logger at trace level whose JSON lines are kept for assertions. pino levels: 50 error, 60 fatal. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves when `cond` holds, polling; rejects after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** An app that answers every consensus method with an empty, valid answer; override what a test needs. */
export function baseApp(overrides: Partial<AbciApplication> = {}): AbciApplication {
  return {
    info: () => ({ data: 'test', lastBlockHeight: 0n }),
    initChain: () => ({}),
    query: () => ({ code: 0 }),
    checkTx: () => ({ code: 0 }),
    prepareProposal: (req) => ({ txs: req.txs }),
    processProposal: () => ({ status: 1 }),
    extendVote: () => ({}),
    verifyVoteExtension: () => ({ status: 1 }),
    finalizeBlock: (req) => ({ txResults: req.txs.map(() => ({ code: 0 })), appHash: new Uint8Array(8) }),
    commit: () => ({}),
    ...overrides,
  };
}

/**
 * Per-file harness: `start(app)` runs an AbciServer on an ephemeral port (or `address`) with a
 * recording logger and returns a client factory; servers and clients are torn down after each test,
 * and `tempDir()` is a directory for unix sockets, removed after the file.
 */
export function useServers() {
  const servers: AbciServer[] = [];
  const clients: TestClient[] = [];
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'abci-test-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  async function start(app: AbciApplication, opts: { address?: string; maxFrameSize?: number } = {}) {
    const { logger, lines } = captureLogger();
    const server = new AbciServer({ app, logger, maxFrameSize: opts.maxFrameSize });
    servers.push(server);
    const address = await server.listen(opts.address ?? `tcp://127.0.0.1:${await freePort()}`);
    const client = async () => {
      const c = await TestClient.connect(address);
      clients.push(c);
      return c;
    };
    return { server, address, lines, client };
  }
  const tempDir = (): string => {
    if (!dir) throw new Error('tempDir() is available inside tests only');
    return dir;
  };
  return { start, tempDir };
}
