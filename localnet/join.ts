// `seqpool localnet join`: a new validator enters a running localnet the only way seqpool allows, by
// locking stake on L1 (DESIGN.md flow 1). Each stage is reported with what it measured, so the same
// code gives the operator a readable log and bench:join its figures: home created, synced as a full
// node, locked in L1 block N, confirmed (K blocks on top), attested (applied in app state at height
// h), and in CometBFT's validator set at height H with power P.
import type { Address, Hex } from 'viem';
import { l1Session, lockFor, TOKEN } from '../client/locking-pool-client.js';
import { addNode } from '../cometbft-config/add-node.js';
import { readManifest, type NetworkNode } from '../cometbft-config/manifest.js';
import { readDeployment } from '../contracts/deploy.js';
import { blockNumber } from './anvil.js';
import { fundAccounts, gatewayUrl, LOCALNET_CONFIRMATIONS, LOCALNET_DEPLOYER_KEY, metricsUrls, VALIDATOR_GAS_FUNDS, writeLocalnetNodeConfig } from './l1-chains.js';
import { fundOnL2, hasGethL2, initL2Homes, l2ExchangeUrl, l2RpcUrl } from './l2-chain.js';
import { readLocalnet, recordNode } from './localnet.js';
import { launchSidecar, launchValidator, type NodeProcesses } from './processes.js';
import { mpcKey } from './pool.js';
import { abciQueryJson, cometValidators, tryNodeStatus } from './rpc.js';

export interface JoinOptions {
  dir: string;
  /** Tokens (18 decimals) to lock; default 20,000 tokens, the minimum. */
  amount?: bigint;
  /** Whitelisted account holding tokens (default: the localnet deployer). */
  fromKey?: Hex;
  detach?: boolean;
  logLevel?: string;
  timeoutMs?: number;
  onProgress?: (line: string) => void;
}

export interface JoinResult {
  node: NetworkNode;
  processes: NodeProcesses;
  sequencerId: bigint;
  power: bigint;
  lockBlock: bigint;
  /** L1 head when the lock had K confirmations; when the app applied it; when CometBFT listed it. */
  confirmed: { l1Block: bigint; cometHeight: bigint; atMs: number };
  attested: { l1Block: bigint; cometHeight: bigint; atMs: number };
  validator: { l1Block: bigint; cometHeight: bigint; atMs: number };
  /** When the pool runs: the reshare that gave the new validator its share of the group key. */
  share?: { l1Block: bigint; cometHeight: bigint; atMs: number; keyEpoch: number };
}

async function poll<T>(what: string, deadline: number, fn: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function localnetJoin(opts: JoinOptions): Promise<JoinResult> {
  const say = opts.onProgress ?? (() => {});
  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  const rec = readLocalnet(opts.dir);
  const deployment = readDeployment(rec.dir);
  if (!deployment.l1) throw new Error(`${rec.dir}/deployment.json has no l1 section: this localnet runs without L1 (start it with \`seqpool localnet up\` without --no-l1)`);
  const lockingPool = deployment.l1.lockingPool as Address;
  const l1Url = deployment.l1.rpcUrl;
  const peer = rec.nodes.find((n) => n.pids.cometbft) ?? rec.nodes[0]!;

  const { node } = await addNode(rec.dir, { logLevel: opts.logLevel });
  const geth = hasGethL2(rec.dir, node);
  if (geth) {
    // Its own geth from the L2 genesis, dialing every other validator's (they learn of it when it dials).
    const others = readManifest(rec.dir).nodes.filter((n) => n.name !== node.name);
    await initL2Homes(rec.dir, [node], [...others, node]);
    writeLocalnetNodeConfig(node, deployment, {}, { peers: others.map(l2ExchangeUrl) });
  } else writeLocalnetNodeConfig(node, deployment);
  say(`home created: ${node.home} (validator ${node.validatorAddress}, RPC ${node.rpcUrl})`);

  const processes = await launchValidator(node, { detach: opts.detach, logLevel: opts.logLevel });
  // The pool runs sidecars: the new validator's must be up to receive its share at the reshare.
  const pool = rec.nodes.some((n) => n.pids.sidecar);
  if (pool) processes.sidecar = launchSidecar(node, { detach: opts.detach, logLevel: opts.logLevel });
  recordNode(rec.dir, { name: node.name, rpcUrl: node.rpcUrl, home: node.home, abciAddress: node.abciAddress, gatewayUrl: gatewayUrl(node), ...(geth ? { l2RpcUrl: l2RpcUrl(node) } : {}), metrics: metricsUrls(node, { node: true, sidecar: pool }), pids: { node: processes.node.pid, cometbft: processes.cometbft.pid, sidecar: processes.sidecar?.pid, geth: processes.geth?.pid } });
  say(`syncing: ${geth ? 'geth, ' : ''}app${pool ? ', sidecar' : ''} and cometbft started as a full node, peers ${rec.nodes.map((n) => n.name).join(', ')}`);
  const synced = await poll('the new node to catch up', deadline, async () => {
    const [mine, theirs] = await Promise.all([tryNodeStatus(node.rpcUrl), tryNodeStatus(peer.rpcUrl)]);
    return mine && theirs && !mine.catchingUp && mine.height > 0n && mine.height + 2n >= theirs.height ? mine : undefined;
  });
  say(`synced at height ${synced.height} with ${synced.peers} peers`);

  const amount = opts.amount ?? 20_000n * TOKEN;
  const session = await l1Session(l1Url, opts.fromKey ?? LOCALNET_DEPLOYER_KEY);
  const locked = await lockFor(session, lockingPool, node.pubKey, amount);
  const power = amount / TOKEN;
  say(`locked ${power} tokens in L1 block ${locked.blockNumber}: sequencer ${locked.sequencerId}, signer ${locked.signer}, tx ${locked.txHash}`);
  // Like the genesis validators: gas money on L1 and L2, or the new validator cannot submit its batches
  // or relay epochs when it is elected (a re-span to it waited for the 10 s fallback relayers, and
  // its recommitEpoch start block was past on L2 by then).
  await fundAccounts(l1Url, [locked.signer as Address]);
  if (deployment.l2 && geth) await fundOnL2(deployment.l2.rpcUrl, opts.fromKey ?? LOCALNET_DEPLOYER_KEY, locked.signer as Address, VALIDATOR_GAS_FUNDS);
  else if (deployment.l2) await fundAccounts(deployment.l2.rpcUrl, [locked.signer as Address]);

  const cometHeight = async () => (await tryNodeStatus(peer.rpcUrl))?.height ?? 0n;
  const stamp = async () => ({ l1Block: (await blockNumber(l1Url)) ?? 0n, cometHeight: await cometHeight(), atMs: Date.now() });
  const K = BigInt(LOCALNET_CONFIRMATIONS);
  await poll(`L1 block ${locked.blockNumber + K}`, deadline, async () => (((await blockNumber(l1Url)) ?? 0n) >= locked.blockNumber + K ? true : undefined));
  const confirmed = await stamp();
  say(`confirmed: ${K} blocks on top at L1 block ${confirmed.l1Block} (CometBFT height ${confirmed.cometHeight})`);

  const applied = await poll(`sequencer ${locked.sequencerId} in app state`, deadline, async () => {
    const q = await abciQueryJson<{ status: string; power: string }>(peer.rpcUrl, `/sequencer/${locked.sequencerId}`);
    return q.code === 0 && q.value ? q : undefined;
  });
  const attested = { ...(await stamp()), cometHeight: applied.height };
  say(`attested: more than 2/3 of power signed the Locked event; applied at height ${applied.height} (status ${applied.value!.status}, power ${applied.value!.power})`);

  const inSet = await poll(`${node.validatorAddress} in CometBFT /validators`, deadline, async () => {
    const v = await cometValidators(peer.rpcUrl);
    const me = v.validators.find((x) => x.address === node.validatorAddress);
    return me ? { height: v.height, power: me.power } : undefined;
  });
  const validator = { ...(await stamp()), cometHeight: inSet.height };
  say(`validator at height ${inSet.height} with power ${inSet.power} (from the epoch boundary on)`);
  let share: JoinResult['share'];
  if (pool) {
    // The committee changed at that boundary, so the app opened a reshare to it; the new member
    // holds a share once the session finishes (the group key never changes).
    const key = await poll(`${node.name} in the MPC key`, deadline, async () => {
      const k = await mpcKey(peer.rpcUrl);
      return k?.members.some((m) => m.address === node.validatorAddress) ? k : undefined;
    });
    share = { ...(await stamp()), cometHeight: key.height, keyEpoch: key.keyEpoch };
    say(`share of group key ${key.groupKey.slice(0, 16)}… held from key epoch ${key.keyEpoch} (reshare done at height ${key.height}, threshold ${key.threshold} of ${key.members.length})`);
  }
  return { node, processes, sequencerId: locked.sequencerId, power: inSet.power, lockBlock: locked.blockNumber, confirmed, attested, validator, ...(share ? { share } : {}) };
}
