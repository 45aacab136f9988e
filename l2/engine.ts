// The Engine API as a consensus client drives an execution client (execution-apis src/engine/,
// Cancun: the V3 methods). seqpool's L2 adapter is that consensus client: it asks its own geth to
// build a block (forkchoiceUpdated with payload attributes, then getPayload), and makes any geth
// import a block (newPayload, then forkchoiceUpdated to it). One small typed function per method.
import type { Hex } from 'viem';
import { engineToken } from './jwt.js';

export interface Withdrawal {
  index: Hex;
  validatorIndex: Hex;
  address: Hex;
  amount: Hex;
}

/** ExecutionPayloadV3: a whole block as the Engine API carries it (quantities as hex strings). */
export interface ExecutionPayload {
  parentHash: Hex;
  feeRecipient: Hex;
  stateRoot: Hex;
  receiptsRoot: Hex;
  logsBloom: Hex;
  prevRandao: Hex;
  blockNumber: Hex;
  gasLimit: Hex;
  gasUsed: Hex;
  timestamp: Hex;
  extraData: Hex;
  baseFeePerGas: Hex;
  blockHash: Hex;
  transactions: Hex[];
  withdrawals: Withdrawal[];
  blobGasUsed: Hex;
  excessBlobGas: Hex;
}

export type PayloadStatusKind = 'VALID' | 'INVALID' | 'SYNCING' | 'ACCEPTED' | 'INVALID_BLOCK_HASH';
export interface PayloadStatus {
  status: PayloadStatusKind;
  latestValidHash: Hex | null;
  validationError: string | null;
}

export interface ForkchoiceState {
  headBlockHash: Hex;
  safeBlockHash: Hex;
  finalizedBlockHash: Hex;
}

export interface PayloadAttributes {
  timestamp: Hex;
  prevRandao: Hex;
  suggestedFeeRecipient: Hex;
  withdrawals: Withdrawal[];
  parentBeaconBlockRoot: Hex;
}

/** A block as eth_getBlockByNumber gives it (the fields the adapter reads). */
export interface BlockHeader {
  number: Hex;
  hash: Hex;
  parentHash: Hex;
  timestamp: Hex;
  miner: Hex;
}

export const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`;

/** An Engine API call that failed: transport, HTTP, JSON-RPC error, or an answer of the wrong shape. */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly method: string,
    message: string,
    readonly code?: number,
  ) {
    super(`${method}: ${message}`);
  }
}

export interface EngineClientOptions {
  /** The execution client's authenticated RPC (geth --authrpc.addr/port), e.g. http://127.0.0.1:8551. */
  url: string;
  secret: Uint8Array;
  timeoutMs?: number;
}

export class EngineClient {
  private id = 0;
  constructor(private readonly o: EngineClientOptions) {}

  get url(): string {
    return this.o.url;
  }

  async call<T>(method: string, params: unknown[]): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${engineToken(this.o.secret)}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new EngineError(method, `cannot reach the L2 execution client at ${this.o.url} (${(e as Error).message}): is geth running with --authrpc on that address?`);
    }
    if (res.status === 401 || res.status === 403) throw new EngineError(method, `${this.o.url} refused our JWT (HTTP ${res.status}): node.json l2.jwtSecretFile must be the file geth was started with (--authrpc.jwtsecret)`);
    if (!res.ok) throw new EngineError(method, `HTTP ${res.status} from ${this.o.url}`);
    const body = (await res.json()) as { result?: T; error?: { code: number; message: string } };
    if (body.error) throw new EngineError(method, body.error.message, body.error.code);
    if (body.result === undefined) throw new EngineError(method, 'answer without a result');
    return body.result;
  }

  /** engine_forkchoiceUpdatedV3: makes `state.headBlockHash` the head; with `attrs`, starts building on it. */
  async forkchoiceUpdated(state: ForkchoiceState, attrs?: PayloadAttributes): Promise<{ payloadStatus: PayloadStatus; payloadId: Hex | null }> {
    return this.call('engine_forkchoiceUpdatedV3', [state, attrs ?? null]);
  }

  /** engine_getPayloadV3: the block built so far for `payloadId`. */
  async getPayload(payloadId: Hex): Promise<ExecutionPayload> {
    const r = await this.call<{ executionPayload: ExecutionPayload }>('engine_getPayloadV3', [payloadId]);
    if (!r.executionPayload?.blockHash) throw new EngineError('engine_getPayloadV3', 'answer without an execution payload');
    return r.executionPayload;
  }

  /**
   * engine_newPayloadV3: validates and stores a block. The parent beacon root is zero on this L2;
   * `versionedHashes` are those of the block's blob transactions in order (geth refuses a block whose
   * list differs), normally none: the verifier passes them for blocks read from L1.
   */
  async newPayload(payload: ExecutionPayload, versionedHashes: Hex[] = []): Promise<PayloadStatus> {
    return this.call('engine_newPayloadV3', [payload, versionedHashes, ZERO_HASH]);
  }

  /** eth_getBlockByNumber on the same port: `tag` a number, 'latest', 'safe' or 'finalized'. */
  async block(tag: bigint | 'latest' | 'safe' | 'finalized'): Promise<BlockHeader | null> {
    return this.call('eth_getBlockByNumber', [typeof tag === 'bigint' ? `0x${tag.toString(16)}` : tag, false]);
  }
}
