// The whole real app in process (SeqpoolApp via the app team's pool harness) as the sidecars' node:
// abci_query answers, CheckTx for broadcast_tx_sync, and one height per block() through
// Prepare/Process/FinalizeBlock/Commit with vote extensions carrying the L2 head.
import { CHAIN_ID } from '../app/harness.js';
import { poolChain, type PoolChain } from '../app/pool-harness.js';
import { toHex } from '../../common/bytes.js';
import type { BroadcastResult, QueryAnswer } from '../../protocol/comet-rpc.js';
import type { ChainClient, HeightSource } from '../../sidecar/chain.js';

export class RealAppChain implements ChainClient {
  mempool: Uint8Array[] = [];
  readonly results: { code: number; log: string }[] = [];
  readonly #listeners = new Set<(h: bigint) => void>();
  private constructor(readonly pool: PoolChain) {}

  static async create(n: number, params: Record<string, string | number> = {}): Promise<RealAppChain> {
    return new RealAppChain(await poolChain({ n, withKey: false, params }));
  }

  get height(): bigint {
    return this.pool.height;
  }

  async query(path: string): Promise<QueryAnswer | undefined> {
    const q = await this.pool.query(path);
    if (q.code === 22) return undefined;
    if (q.code !== 0) throw new Error(`query ${path}: code ${q.code}: ${q.log}`);
    return { value: q.value as unknown, height: this.pool.height };
  }

  async broadcastTx(tx: Uint8Array): Promise<BroadcastResult> {
    const r = await this.pool.app.checkTx({ tx, type: 0 });
    if ((r.code ?? 0) === 0) this.mempool.push(tx);
    return { code: r.code ?? 0, log: r.log ?? '', hash: toHex(tx.slice(0, 16)) };
  }

  async status(): Promise<{ height: bigint; chainId: string }> {
    return { height: this.pool.height, chainId: CHAIN_ID };
  }

  heightSource(): HeightSource {
    let fn: ((h: bigint) => void) | undefined;
    return {
      start: (onHeight) => {
        fn = onHeight;
        this.#listeners.add(onHeight);
        if (this.pool.height > 0n) setImmediate(() => onHeight(this.pool.height));
      },
      stop: async () => {
        if (fn) this.#listeners.delete(fn);
      },
    };
  }

  async block(): Promise<bigint> {
    const txs = this.mempool;
    this.mempool = [];
    const { finalized } = await this.pool.step({ txs });
    for (const r of finalized.txResults ?? []) this.results.push({ code: r.code ?? 0, log: r.log ?? '' });
    const h = this.pool.height;
    for (const l of this.#listeners) setImmediate(() => l(h));
    return h;
  }
}
