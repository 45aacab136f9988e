// A typed client for a seqpool node over CometBFT RPC (@cosmjs/tendermint-rpc's Comet38Client):
// JSON queries, and signed transactions with the signer's next nonce looked up for it.
import { Comet38Client } from '@cosmjs/tendermint-rpc';
import { toHex } from '../common/bytes.js';
import { pubKeyToAddress, publicKeyOf } from '../common/secp.js';
import { signTx } from '../app/txs.js';
import type { TxBody } from '../proto/seqpool.js';

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

export interface SequencerView {
  address: string;
  pubKey: string;
  power: string;
  nonce: string;
  peer: { peerId: string; addrs: string[]; height: string } | null;
}

export class SeqpoolClient {
  private constructor(readonly comet: Comet38Client, private chainIdCache?: string) {}

  static async connect(rpcUrl: string): Promise<SeqpoolClient> {
    try {
      const client = new SeqpoolClient(await Comet38Client.connect(rpcUrl));
      await client.chainId(); // the first request: fail here, with a readable reason, if nobody answers
      return client;
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new Error(`cannot reach a CometBFT RPC at ${rpcUrl} (${cause}): is the node running? (seqpool localnet status shows the RPC URLs)`);
    }
  }

  disconnect(): void {
    this.comet.disconnect();
  }

  /** A JSON query; throws QueryError with the app's code and reason on failure. */
  async query<T>(path: string): Promise<T> {
    const r = await this.comet.abciQuery({ path, data: new Uint8Array() });
    if (r.code) throw new QueryError(path, r.code, r.log ?? '');
    return JSON.parse(new TextDecoder().decode(r.value)) as T;
  }

  async chainId(): Promise<string> {
    return (this.chainIdCache ??= (await this.comet.status()).nodeInfo.network);
  }

  validator(address: Uint8Array | string): Promise<SequencerView> {
    return this.query(`/validator/${typeof address === 'string' ? address : toHex(address)}`);
  }

  /** Sign `msg` with the validator key and broadcast it (CheckTx result only). */
  async send(privKey: Uint8Array, msg: Omit<TxBody, 'chainId' | 'signer' | 'nonce'>, nonce?: bigint): Promise<BroadcastResult> {
    const signer = publicKeyOf(privKey);
    const next = nonce ?? BigInt((await this.validator(pubKeyToAddress(signer))).nonce) + 1n;
    const tx = signTx(privKey, { chainId: await this.chainId(), signer, nonce: next, ...msg });
    return this.broadcast(tx);
  }

  async broadcast(tx: Uint8Array): Promise<BroadcastResult> {
    const r = await this.comet.broadcastTxSync({ tx });
    return { hash: toHex(r.hash).toUpperCase(), code: r.code, log: r.log ?? '' };
  }

  /** Wait until the tx is in a block; resolves with its height and result code. */
  async waitForTx(hash: string, timeoutMs = 30_000): Promise<{ height: number; code: number; log: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const r = await this.comet.tx({ hash: Buffer.from(hash, 'hex') });
        return { height: r.height, code: r.result.code, log: r.result.log ?? '' };
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`tx ${hash} not committed within ${timeoutMs} ms: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}
