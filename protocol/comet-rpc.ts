// CometBFT's JSON-RPC over HTTP with plain fetch: the one client every process uses to reach a node
// (the sidecar, the bridge's batch requests, the node's view of its own CometBFT, SeqpoolClient, the
// CLI and the localnet). It was four: the sidecar's, the bridge's broadcaster, the localnet's reads
// and @cosmjs's Comet38Client behind SeqpoolClient, which cannot load under jest's VM modules; fetch
// needs no library and loads anywhere. Every call is a POST of {jsonrpc, id, method, params}: integer
// params are decimal strings and byte params base64, as CometBFT's JSON decoder requires. Reads of
// app state go through abci_query, which answers from the last committed block.
import { QueryCode } from './codes.js';

export interface BroadcastResult {
  /** CheckTx code (0 = accepted into the mempool); protocol/codes.ts TxCode. */
  code: number;
  log: string;
  /** Tx hash, upper-case hex. */
  hash: string;
}

export interface AbciQueryResult {
  code: number;
  log: string;
  /** The answer's bytes (JSON for the pool's paths). */
  value: Uint8Array;
  /** The committed height the answer reflects. */
  height: bigint;
}

/** A JSON answer of the app and the height it reflects. */
export interface QueryAnswer {
  value: unknown;
  height: bigint;
}

/** CometBFT's /status, the fields its users read. */
export interface CometStatus {
  height: bigint;
  chainId: string;
  appHash: string;
  catchingUp: boolean;
}

/** An abci_query the app answered with an error code (other than NOT_FOUND, for `query`). */
export class QueryFailed extends Error {
  constructor(
    readonly path: string,
    readonly code: number,
    log: string,
  ) {
    super(`abci_query ${path} failed with code ${code}: ${log}`);
    this.name = 'QueryFailed';
  }
}

interface RpcResponse<T> {
  result?: T;
  error?: { code?: number; message?: string; data?: string };
}

const base64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

export interface CometRpcOptions {
  /** Per call (default 10 s). */
  timeoutMs?: number;
}

export class CometRpc {
  readonly url: string;
  #id = 0;
  readonly #timeoutMs: number;

  /** `url`: http(s)://host:port, or CometBFT's own tcp://host:port spelling of it. */
  constructor(url: string, opts: CometRpcOptions = {}) {
    this.url = url.replace(/^tcp:\/\//, 'http://').replace(/\/+$/, '');
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** One JSON-RPC call; throws naming the URL when nobody answers and the method when CometBFT refuses. */
  async call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++this.#id, method, params }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot reach CometBFT RPC ${this.url} (${cause?.code ?? cause?.message ?? (e as Error).message}): is the node running, and is cometRpcUrl (node.json, sidecar.json) right?`, {
        cause: cause ?? e,
      });
    }
    let body: RpcResponse<T>;
    try {
      body = (await res.json()) as RpcResponse<T>;
    } catch {
      throw new Error(`CometBFT RPC ${this.url} answered ${method} with HTTP ${res.status} and no JSON-RPC body`);
    }
    if (body.error) throw new Error(`CometBFT RPC ${method} failed: ${body.error.message ?? ''}${body.error.data ? ` (${body.error.data})` : ''}`);
    if (body.result === undefined) throw new Error(`CometBFT RPC ${method}: empty answer`);
    return body.result;
  }

  /** abci_query of `path` at the latest committed height, as the app answered it. */
  async abciQuery(path: string): Promise<AbciQueryResult> {
    const r = await this.call<{ response: { code?: number; log?: string; value?: string | null; height?: string } }>('abci_query', { path, data: '', height: '0', prove: false });
    return {
      code: r.response.code ?? 0,
      log: r.response.log ?? '',
      value: r.response.value ? new Uint8Array(Buffer.from(r.response.value, 'base64')) : new Uint8Array(0),
      height: BigInt(r.response.height ?? '0'),
    };
  }

  /** The app's JSON answer at `path`; undefined when the app says NOT_FOUND, QueryFailed on any other error. */
  async query(path: string): Promise<QueryAnswer | undefined> {
    const r = await this.abciQuery(path);
    if (r.code === QueryCode.NOT_FOUND) return undefined;
    if (r.code !== QueryCode.OK) throw new QueryFailed(path, r.code, r.log);
    const text = r.value.length ? new TextDecoder().decode(r.value) : 'null';
    return { value: JSON.parse(text) as unknown, height: r.height };
  }

  /** broadcast_tx_sync: the CheckTx result. */
  async broadcastTx(tx: Uint8Array): Promise<BroadcastResult> {
    const r = await this.call<{ code?: number; log?: string; hash?: string }>('broadcast_tx_sync', { tx: base64(tx) });
    return { code: Number(r.code ?? 0), log: r.log ?? '', hash: r.hash ?? '' };
  }

  async status(): Promise<CometStatus> {
    const r = await this.call<{ node_info: { network: string }; sync_info: { latest_block_height: string; latest_app_hash?: string; catching_up?: boolean } }>('status');
    return { height: BigInt(r.sync_info.latest_block_height), chainId: r.node_info.network, appHash: r.sync_info.latest_app_hash ?? '', catchingUp: r.sync_info.catching_up === true };
  }

  /** How many peers the node has. */
  async peers(): Promise<number> {
    return Number((await this.call<{ n_peers?: string }>('net_info')).n_peers ?? 0);
  }

  /** A committed tx by its hash (hex): its height and result; throws while it is not in a block. */
  async tx(hash: string): Promise<{ height: bigint; code: number; log: string }> {
    const r = await this.call<{ height: string; tx_result?: { code?: number; log?: string } }>('tx', { hash: base64(Buffer.from(hash.replace(/^0x/, ''), 'hex')) });
    return { height: BigInt(r.height), code: Number(r.tx_result?.code ?? 0), log: r.tx_result?.log ?? '' };
  }

  /** The validator set at `height` (default: latest), addresses upper-case hex; the first 100. */
  async validators(height?: bigint): Promise<{ height: bigint; validators: { address: string; power: bigint; pubKey: string }[] }> {
    const r = await this.call<{ block_height: string; validators: { address: string; voting_power: string; pub_key: { value: string } }[] }>('validators', {
      per_page: '100',
      ...(height !== undefined ? { height: height.toString() } : {}),
    });
    return { height: BigInt(r.block_height), validators: r.validators.map((v) => ({ address: v.address.toUpperCase(), power: BigInt(v.voting_power), pubKey: v.pub_key.value })) };
  }

  /** Addresses (upper-case hex) that signed the commit of `height`. */
  async commitSigners(height: bigint): Promise<string[]> {
    const r = await this.call<{ signed_header: { commit: { signatures: { validator_address: string; block_id_flag: number }[] } } }>('commit', { height: height.toString() });
    return r.signed_header.commit.signatures.filter((s) => s.block_id_flag === 2).map((s) => s.validator_address.toUpperCase());
  }
}
