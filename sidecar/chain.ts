// The sidecar's link to its node: what it needs of CometBFT (ChainClient: protocol/comet-rpc.ts's
// CometRpc, or a test's fake chain) and a follower that reports every new committed height, from the
// WebSocket NewBlock subscription (reconnected with backoff) with a `status` poll as fallback. The
// sidecar acts only on committed state: every read goes through abci_query, which answers from the
// last committed block.
import WebSocket from 'ws';
import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import type { BroadcastResult, QueryAnswer } from '../protocol/comet-rpc.js';

/** What the sidecar needs from a node (the real RPC or a test's fake chain). */
export interface ChainClient {
  /** JSON answer of an abci_query path at the latest committed height; undefined when the app says NOT_FOUND. */
  query(path: string): Promise<QueryAnswer | undefined>;
  /** broadcast_tx_sync: the CheckTx result. */
  broadcastTx(tx: Uint8Array): Promise<BroadcastResult>;
  status(): Promise<{ height: bigint; chainId: string }>;
  /** Addresses (upper hex) of the validators that signed the commit of `height` (CometBFT /commit);
   * optional: without it, a dead member is only suspected once it misses a round. */
  commitSigners?(height: bigint): Promise<string[]>;
}

/** Reports new committed heights, each once, increasing. */
export interface HeightSource {
  start(onHeight: (height: bigint) => void): void;
  stop(): Promise<void>;
}

export function websocketUrl(rpcUrl: string): string {
  const u = new URL(rpcUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = u.pathname.replace(/\/+$/, '') + '/websocket';
  return u.toString();
}

export interface FollowerOptions {
  rpc: ChainClient;
  /** CometBFT RPC URL (http); the WebSocket is its /websocket. Omit to poll only. */
  rpcUrl?: string;
  pollMs?: number;
  logger?: Logger;
}

/** NewBlock over the WebSocket, reconnected with exponential backoff, plus a `status` poll. */
export class CometFollower implements HeightSource {
  readonly #opts: FollowerOptions;
  readonly #log: Logger;
  #onHeight: ((h: bigint) => void) | undefined;
  #last = 0n;
  #ws: WebSocket | undefined;
  #stopped = false;
  #backoff = 500;
  #pollTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #polling = false;
  #failures = 0;

  constructor(opts: FollowerOptions) {
    this.#opts = opts;
    this.#log = opts.logger ?? silentLogger();
  }

  start(onHeight: (height: bigint) => void): void {
    this.#onHeight = onHeight;
    if (this.#opts.rpcUrl) this.#connect();
    const poll = () => {
      if (this.#stopped) return;
      void this.#poll().finally(() => {
        if (!this.#stopped) this.#pollTimer = setTimeout(poll, this.#opts.pollMs ?? 1000);
      });
    };
    poll();
  }

  #emit(h: bigint): void {
    if (h <= this.#last || this.#stopped) return;
    this.#last = h;
    this.#onHeight?.(h);
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const h = (await this.#opts.rpc.status()).height;
      if (this.#failures > 0) this.#log.info({ failures: this.#failures }, 'node reachable again');
      this.#failures = 0;
      this.#emit(h);
    } catch (e) {
      // Loud once, then quiet until it recovers (a node that is down would flood the log).
      if (this.#failures++ === 0) this.#log.warn({ err: (e as Error).message }, 'status poll failed; retrying until the node answers');
      else this.#log.debug({ err: (e as Error).message, failures: this.#failures }, 'status poll failed');
    } finally {
      this.#polling = false;
    }
  }

  #connect(): void {
    if (this.#stopped) return;
    const url = websocketUrl(this.#opts.rpcUrl!);
    const ws = new WebSocket(url);
    this.#ws = ws;
    ws.on('open', () => {
      this.#backoff = 500;
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'subscribe', params: { query: "tm.event='NewBlock'" } }));
      this.#log.debug({ url }, 'subscribed to NewBlock');
    });
    ws.on('message', (data) => {
      try {
        const m = JSON.parse(data.toString()) as { result?: { data?: { value?: { block?: { header?: { height?: string } } } } } };
        const h = m.result?.data?.value?.block?.header?.height;
        if (h) this.#emit(BigInt(h));
      } catch {
        // not a NewBlock event
      }
    });
    ws.on('error', (e) => this.#log.debug({ url, err: e.message }, 'websocket error'));
    ws.on('close', () => {
      if (this.#stopped) return;
      const wait = this.#backoff;
      this.#backoff = Math.min(this.#backoff * 2, 10_000);
      this.#log[wait === 500 ? 'info' : 'debug']({ url, retryMs: wait }, 'NewBlock subscription closed; reconnecting (polling status meanwhile)');
      this.#reconnectTimer = setTimeout(() => this.#connect(), wait);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#pollTimer);
    clearTimeout(this.#reconnectTimer);
    const ws = this.#ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.terminate();
      });
    }
  }
}
