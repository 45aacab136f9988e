// A node's progress and committed state over its CometBFT RPC (protocol/comet-rpc.ts), for the
// localnet's status line, its waits and the integration tests. Short timeouts: these are polls.
import { CometRpc } from '../protocol/comet-rpc.js';

export interface NodeStatus {
  height: bigint;
  appHash: string;
  catchingUp: boolean;
  peers: number;
}

const rpc = (rpcUrl: string) => new CometRpc(rpcUrl, { timeoutMs: 2000 });

export async function nodeStatus(rpcUrl: string): Promise<NodeStatus> {
  const r = rpc(rpcUrl);
  const [status, peers] = await Promise.all([r.status(), r.peers()]);
  return { height: status.height, appHash: status.appHash, catchingUp: status.catchingUp, peers };
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
export const cometValidators = (rpcUrl: string, height?: bigint) => rpc(rpcUrl).validators(height);

/** Addresses (upper-case hex) that signed the commit of `height`. */
export const commitSigners = (rpcUrl: string, height: bigint) => rpc(rpcUrl).commitSigners(height);

/** An app query: the decoded JSON value (undefined when there is none, e.g. not found), the app's code and the height. */
export async function abciQueryJson<T>(rpcUrl: string, path: string): Promise<{ code: number; height: bigint; value?: T }> {
  const r = await rpc(rpcUrl).abciQuery(path);
  const value = r.value.length ? (JSON.parse(new TextDecoder().decode(r.value)) as T) : undefined;
  return { code: r.code, height: r.height, value };
}
