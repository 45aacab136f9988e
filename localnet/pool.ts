// The pool on a localnet: sidecars next to the validators, the genesis DKG awaited, the contracts
// given the group key it produced (the owner's one-time initializeGroupKey; from then on only the
// pool's signature can change it), and a one-screen view of the pool at work (epochs, producers,
// signatures, batches on L1) for `localnet up` and `localnet status`.
import type { Hex } from 'viem';
import { readManifest, type NetworkNode } from '../cometbft-config/manifest.js';
import { initializeGroupKey, readDeployment } from '../contracts/deploy.js';
import { LOCALNET_DEPLOYER_KEY } from './l1-chains.js';
import { launchSidecar, type LaunchOptions } from './processes.js';
import { abciQueryJson } from './rpc.js';
import type { ChildProcess } from 'node:child_process';

export interface MpcKeyJson {
  keyId: string;
  groupKey: string;
  groupKeyL1: string;
  threshold: number | string;
  keyEpoch: number | string;
  members: { index: number; address: string; identity: string }[];
  session: string;
  height: string;
}

export interface EpochJson {
  id: string;
  startL2: string;
  endL2: string;
  producer: string;
  signer: string;
  status: string;
  isRespan: boolean;
  l2Head?: string;
}

export interface BatchMetaJson {
  nextIndex: string;
  nextL2Start: string;
  finalized: string;
}

/** The current sharing of the group key, or undefined before the genesis DKG finished. */
export async function mpcKey(rpcUrl: string): Promise<MpcKeyJson | undefined> {
  const r = await abciQueryJson<MpcKeyJson>(rpcUrl, '/mpc/key').catch(() => undefined);
  return r?.code === 0 ? r.value : undefined;
}

export async function currentEpoch(rpcUrl: string): Promise<EpochJson | undefined> {
  const r = await abciQueryJson<EpochJson>(rpcUrl, '/epoch/current').catch(() => undefined);
  return r?.code === 0 ? r.value : undefined;
}

export async function batchMeta(rpcUrl: string): Promise<BatchMetaJson | undefined> {
  const r = await abciQueryJson<BatchMetaJson>(rpcUrl, '/batch/meta').catch(() => undefined);
  return r?.code === 0 ? r.value : undefined;
}

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
export async function awaitGroupKey(dir: string, rpcUrl: string, opts: { timeoutMs?: number; say?: (line: string) => void } = {}): Promise<MpcKeyJson> {
  const say = opts.say ?? (() => {});
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let key: MpcKeyJson | undefined;
  let lastSession = '';
  while (!(key = await mpcKey(rpcUrl))) {
    const s = await abciQueryJson<{ id: string; status: string; attempt: number; transcript: string[] }>(rpcUrl, '/mpc/session/current').catch(() => undefined);
    const line = s?.value ? `DKG session ${s.value.id.slice(0, 16)} attempt ${s.value.attempt}: ${s.value.status}, ${s.value.transcript.length} public messages on chain` : 'waiting for the genesis DKG to open';
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
  return `L2 head ${epoch.l2Head ?? '?'} | ${e} | ${b}`;
}

/** Validator address (upper-case hex) to node name, from DIR/network.json (empty if unreadable). */
export function validatorNames(dir: string): Map<string, string> {
  try {
    return new Map(readManifest(dir).nodes.map((n) => [n.validatorAddress.toUpperCase(), n.name]));
  } catch {
    return new Map();
  }
}
