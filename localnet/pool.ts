// The pool on a localnet: sidecars next to the validators, the genesis DKG awaited, the contracts
// given the group key it produced (the owner's one-time initializeGroupKey; from then on only the
// pool's signature can change it), and a one-screen view of the pool at work (epochs, producers,
// signatures, batches on L1) for `localnet up` and `localnet status`.
import type { Hex } from 'viem';
import { readManifest, type NetworkNode } from '../cometbft-config/manifest.js';
import { initializeGroupKey, readDeployment } from '../contracts/deploy.js';
import { LOCALNET_DEPLOYER_KEY } from './l1-chains.js';
import { launchSidecar, type LaunchOptions } from './processes.js';
import { CometRpc } from '../protocol/comet-rpc.js';
import { AbciPath, parseBatchMeta, parseCurrentEpoch, parseMpcKey, parseMpcSession, type BatchMetaView, type CurrentEpoch, type MpcKeyView } from '../protocol/views/index.js';
import type { ChildProcess } from 'node:child_process';

/** The app's answer at `path` read by `parse`, or undefined (not there yet, or the node not answering). */
async function read<T>(rpcUrl: string, path: string, parse: (v: unknown) => T): Promise<T | undefined> {
  const a = await new CometRpc(rpcUrl, { timeoutMs: 2000 }).query(path).catch(() => undefined);
  return a && parse(a.value);
}

/** The current sharing of the group key, or undefined before the genesis DKG finished. */
export const mpcKey = (rpcUrl: string): Promise<MpcKeyView | undefined> => read(rpcUrl, AbciPath.mpcKey, parseMpcKey);
const currentEpoch = (rpcUrl: string): Promise<CurrentEpoch | undefined> => read(rpcUrl, AbciPath.currentEpoch, parseCurrentEpoch);
const batchMeta = (rpcUrl: string): Promise<BatchMetaView | undefined> => read(rpcUrl, AbciPath.batchMeta, parseBatchMeta);

export function startSidecars(
  nodes: NetworkNode[],
  opts: LaunchOptions & { nodeOptions?: (index: number, home: string) => LaunchOptions } = {},
): ChildProcess[] {
  return nodes.map((n, i) => launchSidecar(n, { ...opts, ...opts.nodeOptions?.(i, n.home) }));
}

/**
 * Waits for the genesis DKG (the app opens it at the first block; the sidecars deal over libp2p and
 * publish on chain) and hands its group key to the contracts that do not have one yet. Idempotent:
 * a resumed localnet's contracts already hold the key.
 */
export async function awaitGroupKey(dir: string, rpcUrl: string, opts: { timeoutMs?: number; say?: (line: string) => void } = {}): Promise<MpcKeyView> {
  const say = opts.say ?? (() => {});
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let key: MpcKeyView | undefined;
  let lastSession = '';
  while (!(key = await mpcKey(rpcUrl))) {
    const s = await read(rpcUrl, AbciPath.currentMpcSession, parseMpcSession);
    const line = s ? `DKG session ${s.id.slice(0, 16)} attempt ${s.attempt}: ${s.status}, ${s.transcript.length} public messages on chain` : 'waiting for the genesis DKG to open';
    if (line !== lastSession) say((lastSession = line));
    if (Date.now() > deadline) throw new Error(`the genesis DKG did not finish within ${opts.timeoutMs ?? 120_000} ms (${line}); see HOME/sidecar/sidecar.log of each node`);
    await new Promise((r) => setTimeout(r, 300));
  }
  say(`group key ${key.groupKey} (threshold ${key.threshold} of ${key.members.length}) produced at height ${key.height}`);
  const deployment = readDeployment(dir);
  await initializeGroupKey(deployment, LOCALNET_DEPLOYER_KEY, key.groupKeyL1 as Hex);
  say('LockingPool, BatchInbox (L1) and SequencerSet (L2) verify signatures with that key');
  return key;
}

/**
 * One line of pool state: epoch, producer, batches. `names` (validator address, upper-case hex, to
 * node name) names the producer's node, the one a failure drill kills.
 */
export async function poolLine(rpcUrl: string, names?: Map<string, string>): Promise<string> {
  const [epoch, meta] = await Promise.all([currentEpoch(rpcUrl), batchMeta(rpcUrl)]);
  if (!epoch) return 'pool: no epoch yet';
  const node = names?.get(epoch.producer.toUpperCase());
  const e = `epoch ${epoch.id} (L2 ${epoch.startL2}-${epoch.endL2}${epoch.isRespan ? ', re-span' : ''}) producer ${epoch.producer.slice(0, 12)}${node ? ` (${node})` : ''} ${epoch.status}`;
  const b = meta ? `batches: ${meta.nextIndex} signed or in flight, ${meta.finalized} final on L1, next L2 block ${meta.nextL2Start}` : 'no batches';
  return `L2 head ${epoch.l2Head} | ${e} | ${b}`;
}

/** Validator address (upper-case hex) to node name, from DIR/network.json (empty if unreadable). */
export function validatorNames(dir: string): Map<string, string> {
  try {
    return new Map(readManifest(dir).nodes.map((n) => [n.validatorAddress.toUpperCase(), n.name]));
  } catch {
    return new Map();
  }
}
