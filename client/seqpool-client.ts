// A typed client for a seqpool node over CometBFT RPC (protocol/comet-rpc.ts, plain fetch): JSON
// queries, and signed transactions with the signer's next nonce looked up for it. The pool reads
// (epochs, producer, MPC key, sign requests, batches) are PoolClient's too (client/pool-reader.ts).
import { toHex } from '../common/bytes.js';
import { pubKeyToAddress, publicKeyOf } from '../common/secp.js';
import { CometRpc } from '../protocol/comet-rpc.js';
import { signTx } from '../protocol/tx.js';
import type { TxBody } from '../proto/seqpool.js';
import { AbciPath, parseValidator, type HealthView, type ValidatorView } from '../protocol/views/index.js';
import { PoolReader, type ReadPath } from './pool-reader.js';

export class QueryError extends Error {
  constructor(readonly path: string, readonly code: number, log: string) {
    super(`query ${path} failed with code ${code}: ${log}`);
    this.name = 'QueryError';
  }
}

export interface BroadcastResult {
  hash: string; // upper-case hex
  code: number;
  log: string;
}

export class SeqpoolClient extends PoolReader {
  private constructor(readonly rpc: CometRpc, private chainIdCache?: string) {
    super();
  }

  static async connect(rpcUrl: string): Promise<SeqpoolClient> {
    try {
      const client = new SeqpoolClient(new CometRpc(rpcUrl));
      await client.chainId(); // the first request: fail here, with a readable reason, if nobody answers
      return client;
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new Error(`cannot reach a CometBFT RPC at ${rpcUrl} (${cause}): is the node running? (seqpool localnet status shows the RPC URLs)`);
    }
  }

  /** A JSON query; throws QueryError with the app's code and reason on failure. */
  async query<T>(path: string): Promise<T> {
    const r = await this.rpc.abciQuery(path);
    if (r.code) throw new QueryError(path, r.code, r.log);
    return JSON.parse(new TextDecoder().decode(r.value)) as T;
  }

  async chainId(): Promise<string> {
    return (this.chainIdCache ??= (await this.rpc.status()).chainId);
  }

  validator(address: Uint8Array | string): Promise<ValidatorView> {
    return this.typedQuery(AbciPath.validator(typeof address === 'string' ? address : toHex(address)), parseValidator);
  }

  /** A JSON query parsed into a typed view (protocol/views/). */
  async typedQuery<T>(path: string, parse: (v: unknown) => T): Promise<T> {
    return parse(await this.query<unknown>(path));
  }

  protected read<T>(path: ReadPath, parse: (v: unknown) => T): Promise<T> {
    return this.typedQuery(path.abci, parse);
  }

  /** The gateway's /health, computed from this node's RPC: ok when the app has state and CometBFT is not catching up. */
  async health(): Promise<HealthView> {
    const sync = await this.rpc.status();
    try {
      const s = await this.status();
      const ok = s.height > 0n && !sync.catchingUp;
      return { ok, height: s.height, catchingUp: sync.catchingUp, chainId: s.chainId, ...(ok ? {} : { reason: sync.catchingUp ? 'CometBFT is catching up' : 'the app has not committed a block yet' }) };
    } catch (e) {
      if (e instanceof QueryError) return { ok: false, height: null, catchingUp: sync.catchingUp, reason: e.message };
      throw e;
    }
  }

  /** Sign `msg` with the validator key and broadcast it (CheckTx result only). */
  async send(privKey: Uint8Array, msg: Omit<TxBody, 'chainId' | 'signer' | 'nonce'>, nonce?: bigint): Promise<BroadcastResult> {
    const signer = publicKeyOf(privKey);
    const next = nonce ?? ((await this.validator(pubKeyToAddress(signer))).nonce ?? 0n) + 1n;
    const tx = signTx(privKey, { chainId: await this.chainId(), signer, nonce: next, ...msg });
    return this.broadcast(tx);
  }

  async broadcast(tx: Uint8Array): Promise<BroadcastResult> {
    const r = await this.rpc.broadcastTx(tx);
    return { hash: r.hash.toUpperCase(), code: r.code, log: r.log };
  }

  /** Wait until the tx is in a block; resolves with its height and result code. */
  async waitForTx(hash: string, timeoutMs = 30_000): Promise<{ height: number; code: number; log: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const r = await this.rpc.tx(hash);
        return { height: Number(r.height), code: r.code, log: r.log };
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`tx ${hash} not committed within ${timeoutMs} ms: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}
