// Full L2 blocks from an L2 node's standard JSON-RPC (eth namespace only, so a public RPC works):
// the header by number, then every raw transaction by that block's hash in one JSON-RPC batch.
// Each raw transaction must hash to the id the block lists, so what we hand on is exactly what the
// block holds. The batcher, the sidecars and the verifier read blocks through it
// (protocol/batch-data.ts L2PayloadSource).
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { Hex } from 'viem';
import { fromHex, toHex } from '../common/bytes.js';
import type { L2Payload } from './l2-block.js';
import type { L2PayloadSource } from './batch-data.js';

interface RpcBlock {
  number: Hex;
  hash: Hex | null;
  parentHash: Hex;
  miner: Hex;
  stateRoot: Hex;
  receiptsRoot: Hex;
  logsBloom: Hex;
  mixHash: Hex;
  gasLimit: Hex;
  gasUsed: Hex;
  timestamp: Hex;
  extraData: Hex;
  baseFeePerGas?: Hex;
  blobGasUsed?: Hex;
  excessBlobGas?: Hex;
  withdrawals?: unknown[];
  transactions: Hex[];
}

export class L2RpcError extends Error {
  override readonly name = 'L2RpcError';
  constructor(
    message: string,
    /** The JSON-RPC error code, when the node answered with one. */
    readonly code?: number,
  ) {
    super(message);
  }
}

export class L2PayloadReader implements L2PayloadSource {
  private id = 0;
  constructor(
    readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}

  private async post(body: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new L2RpcError(`cannot reach the L2 RPC at ${this.url}: ${(e as Error).message}`);
    }
    if (!res.ok) throw new L2RpcError(`L2 RPC ${this.url} answered HTTP ${res.status}`);
    return res.json();
  }

  /** One JSON-RPC call to the L2 node (also eth_simulateV1 for forced blocks, protocol/forced-block.ts). */
  async call<T>(method: string, params: unknown[]): Promise<T> {
    const r = (await this.post({ jsonrpc: '2.0', id: ++this.id, method, params })) as { result?: T; error?: { message: string; code?: number } };
    if (r.error) throw new L2RpcError(`${method}: ${r.error.message}`, r.error.code);
    return r.result as T;
  }

  async payload(n: bigint): Promise<L2Payload> {
    const b = await this.call<RpcBlock | null>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
    if (!b || !b.hash) throw new L2RpcError(`L2 block ${n} is not available at ${this.url} yet`);
    const raws = b.transactions.length ? await this.rawTransactions(b) : [];
    return {
      parentHash: b.parentHash,
      feeRecipient: b.miner,
      stateRoot: b.stateRoot,
      receiptsRoot: b.receiptsRoot,
      logsBloom: b.logsBloom,
      prevRandao: b.mixHash,
      blockNumber: b.number,
      gasLimit: b.gasLimit,
      gasUsed: b.gasUsed,
      timestamp: b.timestamp,
      extraData: b.extraData,
      baseFeePerGas: b.baseFeePerGas ?? '0x0',
      blockHash: b.hash,
      transactions: raws,
      withdrawals: (b.withdrawals ?? []) as L2Payload['withdrawals'],
      blobGasUsed: b.blobGasUsed ?? '0x0',
      excessBlobGas: b.excessBlobGas ?? '0x0',
    };
  }

  private async rawTransactions(b: RpcBlock): Promise<Hex[]> {
    const calls = b.transactions.map((_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_getRawTransactionByBlockHashAndIndex', params: [b.hash, `0x${i.toString(16)}`] }));
    const answers = (await this.post(calls)) as { id: number; result?: Hex | null; error?: { message: string } }[];
    if (!Array.isArray(answers)) throw new L2RpcError(`L2 RPC ${this.url} does not answer JSON-RPC batches`);
    const out: Hex[] = new Array(b.transactions.length);
    for (const a of answers) {
      if (a.error || !a.result) throw new L2RpcError(`raw transaction ${a.id} of L2 block ${BigInt(b.number)}: ${a.error?.message ?? 'not found (reorged?)'}`);
      if (!Number.isInteger(a.id) || a.id < 0 || a.id >= out.length) throw new L2RpcError(`L2 RPC ${this.url} answered an id ${JSON.stringify(a.id)} it was not asked for`);
      out[a.id] = a.result;
    }
    // A plain loop, not forEach: forEach skips the holes an answer list with a repeated or missing id leaves.
    for (let i = 0; i < out.length; i++) {
      const raw = out[i];
      if (!raw || `0x${toHex(keccak_256(fromHex(raw.slice(2))))}` !== b.transactions[i]!.toLowerCase()) throw new L2RpcError(`raw transaction ${i} of L2 block ${BigInt(b.number)} does not hash to ${b.transactions[i]}`);
    }
    return out;
  }
}
