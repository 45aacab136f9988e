// Minimal reads of a CometBFT node's JSON-RPC over HTTP, for progress and status. (Clients that
// send txs use @cosmjs/tendermint-rpc; these few calls only need fetch.)
export interface NodeStatus {
  height: bigint;
  appHash: string;
  catchingUp: boolean;
  peers: number;
}

async function rpc<T>(rpcUrl: string, path: string, timeoutMs = 2000): Promise<T> {
  const res = await fetch(`${rpcUrl}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${rpcUrl}${path}: HTTP ${res.status}`);
  const body = (await res.json()) as { result?: T; error?: { message: string; data?: string } };
  if (body.error) throw new Error(`${rpcUrl}${path}: ${body.error.message} ${body.error.data ?? ''}`.trim());
  return body.result as T;
}

export async function nodeStatus(rpcUrl: string): Promise<NodeStatus> {
  const [status, net] = await Promise.all([
    rpc<{ sync_info: { latest_block_height: string; latest_app_hash: string; catching_up: boolean } }>(rpcUrl, '/status'),
    rpc<{ n_peers: string }>(rpcUrl, '/net_info'),
  ]);
  return {
    height: BigInt(status.sync_info.latest_block_height),
    appHash: status.sync_info.latest_app_hash,
    catchingUp: status.sync_info.catching_up,
    peers: Number(net.n_peers),
  };
}

/** The app hash recorded in the header of block `height + 1`, i.e. the state after `height`. */
export async function appHashAfter(rpcUrl: string, height: bigint): Promise<string> {
  const r = await rpc<{ block: { header: { app_hash: string } } }>(rpcUrl, `/block?height=${height + 1n}`);
  return r.block.header.app_hash;
}

export async function tryNodeStatus(rpcUrl: string): Promise<NodeStatus | undefined> {
  try {
    return await nodeStatus(rpcUrl);
  } catch {
    return undefined;
  }
}

/** Poll until the node reports at least `height`; throws after `timeoutMs` with what it last saw. */
export async function waitForHeight(rpcUrl: string, height: bigint, timeoutMs: number, onTick?: (s: NodeStatus | undefined) => void): Promise<NodeStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: NodeStatus | undefined;
  for (;;) {
    last = await tryNodeStatus(rpcUrl);
    onTick?.(last);
    if (last && last.height >= height) return last;
    if (Date.now() > deadline) throw new Error(`${rpcUrl} did not reach height ${height} within ${timeoutMs} ms (last seen: ${last ? `height ${last.height}` : 'no answer'})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** CometBFT's validator set at `height` (default: latest), addresses upper-case hex. */
export async function cometValidators(rpcUrl: string, height?: bigint): Promise<{ height: bigint; validators: { address: string; power: bigint; pubKey: string }[] }> {
  const r = await rpc<{ block_height: string; validators: { address: string; voting_power: string; pub_key: { value: string } }[] }>(
    rpcUrl,
    `/validators?per_page=100${height !== undefined ? `&height=${height}` : ''}`,
  );
  return { height: BigInt(r.block_height), validators: r.validators.map((v) => ({ address: v.address.toUpperCase(), power: BigInt(v.voting_power), pubKey: v.pub_key.value })) };
}

/** An app query over plain JSON-RPC: the decoded JSON value (undefined when not found) and the height. */
export async function abciQueryJson<T>(rpcUrl: string, path: string): Promise<{ code: number; height: bigint; value?: T }> {
  const r = await rpc<{ response: { code?: number; height?: string; value?: string } }>(rpcUrl, `/abci_query?path=${encodeURIComponent(JSON.stringify(path))}`);
  const value = r.response.value ? (JSON.parse(Buffer.from(r.response.value, 'base64').toString('utf8')) as T) : undefined;
  return { code: r.response.code ?? 0, height: BigInt(r.response.height ?? '0'), value };
}

/** Addresses (upper-case hex) that signed the commit of `height`. */
export async function commitSigners(rpcUrl: string, height: bigint): Promise<string[]> {
  const r = await rpc<{ signed_header: { commit: { signatures: { validator_address: string; block_id_flag: number }[] } } }>(rpcUrl, `/commit?height=${height}`);
  return r.signed_header.commit.signatures.filter((s) => s.block_id_flag === 2).map((s) => s.validator_address.toUpperCase());
}
