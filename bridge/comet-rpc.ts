// broadcast_tx_sync against the node's own CometBFT RPC with plain fetch (JSON-RPC over HTTP):
// @cosmjs cannot load under jest's VM modules, and one method does not need a client library.

export interface BroadcastResult {
  /** CheckTx code (0 = accepted into the mempool); see app/codes.ts TxCode. */
  code: number;
  log: string;
  hash: string;
}

export type Broadcast = (tx: Uint8Array) => Promise<BroadcastResult>;

let nextId = 1;

export function cometBroadcaster(rpcUrl: string, timeoutMs = 10_000): Broadcast {
  const url = rpcUrl.replace(/^tcp:\/\//, 'http://');
  return async (tx) => {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method: 'broadcast_tx_sync', params: { tx: Buffer.from(tx).toString('base64') } }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new Error(`CometBFT RPC ${url} unreachable (${cause ?? (e as Error).message}): is cometbft running, and is cometRpcUrl in node.json (or [rpc] laddr) right?`);
    }
    if (!res.ok) throw new Error(`CometBFT RPC ${url} answered HTTP ${res.status}`);
    const body = (await res.json()) as { result?: { code?: number; log?: string; hash?: string }; error?: { message?: string; data?: string } };
    if (body.error) throw new Error(`CometBFT RPC broadcast_tx_sync failed: ${body.error.message ?? ''} ${body.error.data ?? ''}`.trim());
    return { code: Number(body.result?.code ?? 0), log: body.result?.log ?? '', hash: body.result?.hash ?? '' };
  };
}
