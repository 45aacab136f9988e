// This node's view of the L2 head (docs/pool.md "L2 head"): polls eth_blockNumber on its own L2 RPC
// and hands the latest answer to ExtendVote (VoteExtension.l2_head). A head older than `staleMs` is
// withheld (undefined), so a node whose L2 RPC stopped answering does not keep vouching for an old
// head; the attested head never decreases anyway, so a stale report could only hold others back.
import { createPublicClient, http } from 'viem';
import { silentLogger, type Logger } from '../common/log.js';

export interface L2HeadClient {
  getChainId(): Promise<number>;
  getBlockNumber(args?: { cacheTime?: number }): Promise<bigint>;
}

export interface L2HeadSourceOptions {
  rpcUrl?: string;
  client?: L2HeadClient;
  /** Checked against the RPC once; a mismatch is reported and no head is offered. */
  chainId: number;
  pollIntervalMs?: number;
  /** Heads older than this are withheld (default 10 polls). */
  staleMs?: number;
  logger?: Logger;
}

export class L2HeadSource {
  private readonly client: L2HeadClient;
  private readonly log: Logger;
  private readonly interval: number;
  private readonly staleMs: number;
  private head: bigint | undefined;
  private at = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private polling: Promise<void> | undefined;
  private chainOk = false;
  private failures = 0;

  constructor(private readonly o: L2HeadSourceOptions) {
    if (!o.client && !o.rpcUrl) throw new Error('L2HeadSource needs rpcUrl or client');
    this.client = o.client ?? createPublicClient({ transport: http(o.rpcUrl, { retryCount: 0, timeout: 5_000 }) });
    this.log = o.logger ?? silentLogger();
    this.interval = o.pollIntervalMs ?? 1_000;
    this.staleMs = o.staleMs ?? 10 * this.interval;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.poll();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
  }

  /** The L2 head to report, or undefined when unknown or stale. */
  current(): bigint | undefined {
    if (this.head === undefined || Date.now() - this.at > this.staleMs) return undefined;
    return this.head;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => void this.poll().then(() => this.schedule()), this.interval);
  }

  poll(): Promise<void> {
    return (this.polling = (async () => {
      try {
        if (!this.chainOk) {
          const id = await this.client.getChainId();
          if (id !== this.o.chainId) {
            this.failures++;
            if (this.failures === 1 || this.failures % 60 === 0) this.log.error({ rpcChainId: id, configured: this.o.chainId }, 'the L2 RPC serves another chain than l2.chainId in node.json: this node reports no L2 head until that is fixed');
            return;
          }
          this.chainOk = true;
        }
        const h = await this.client.getBlockNumber({ cacheTime: 0 });
        if (this.failures > 0) this.log.info({ head: h.toString(), after: this.failures }, 'L2 RPC reachable again');
        this.failures = 0;
        if (this.head === undefined || h !== this.head) this.log.debug({ head: h.toString() }, 'L2 head');
        this.head = h;
        this.at = Date.now();
      } catch (e) {
        this.failures++;
        if (this.failures === 1 || this.failures % 30 === 0) {
          this.log.warn({ error: ((e as { shortMessage?: string }).shortMessage ?? (e as Error).message).split('\n')[0], attempts: this.failures }, 'L2 RPC eth_blockNumber failed: check l2.rpcUrl in node.json; the head is withheld once stale');
        }
      }
    })());
  }
}
