// The localnet's L1 and L2: two anvils, the contracts, and the genesis validators' locks, kept
// consistent with genesis.json (DESIGN.md flow 1: every sequencer, genesis ones included, is backed by
// a LockingPool lock, so the bridge can follow their later relock/unlock/signer events by nonce).
//
// Genesis must be written before the homes exist (generateNetwork refuses a non-empty DIR) and the
// lock transactions need the validator keys it generates, so the order is: predict the LockingPool
// address (deployer nonce + 1 on a fresh chain), generate the network with that address and
// sequencer ids 1..N, deploy (checked against the prediction), lock for node0..node{N-1} in order
// (each checked to get id i+1), and only then write deployment.json, whose presence means "done".
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getContractAddress, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { ensureAllowance, lockFor, l1Session, TOKEN } from '../client/locking-pool-client.js';
import type { NetworkManifest, NetworkNode } from '../cometbft-config/manifest.js';
import { parseSidecarConfig } from '../sidecar/index.js';
import { deployL1, deployL2, DEPLOYMENT_FILE, readDeployment, writeDeployment, type Deployment, type L2Deployment } from '../contracts/deploy.js';
import { ANVIL_DEV_KEY } from '../contracts/devnet.js';
import { isPortFree } from '../cometbft-config/ports.js';
import { writeNodeConfig } from '../node/index.js';
import { ethAddress } from '../protocol/l1-signer.js';
import { toHex } from '../common/bytes.js';
import { anvilRecord, launchAnvil, setIntervalMining, L1_CHAIN_ID, L2_CHAIN_ID, type AnvilRecord } from './anvil.js';

/** Each genesis validator locks this much; power = whole tokens (app/staking-events.ts). */
export const LOCALNET_LOCK = 20_000n * TOKEN;
export const LOCALNET_POWER = LOCALNET_LOCK / TOKEN;
/** Seconds between unlock and claim on the localnet (mainnet: 21 days). */
export const LOCALNET_EXIT_DELAY = 60n;
export const LOCALNET_CONFIRMATIONS = 2;
/**
 * Pool parameters of a localnet with L1 and L2 (mainnet values in app/params.ts): L2 makes a block a
 * second, so an epoch is 20 s; a producer that stalls for 5 s is replaced; a DKG phase is 30 blocks
 * (CometBFT commits every ~0.3 s here, so ~10 s: room for sidecars that start late on a loaded machine).
 */
export const LOCALNET_POOL_PARAMS: Record<string, string | number> = {
  l1Confirmations: LOCALNET_CONFIRMATIONS,
  epochLength: 20,
  electionLeadBlocks: 8,
  respanTimeoutSeconds: 5,
  // L2 blocks are due every second: 5 s without a new attested head re-spans the producer.
  l2StallSeconds: 5,
  signingTimeoutSeconds: 30,
  mpcPhaseBlocks: 30,
  // A batch closes when its oldest L2 block is 5 s old (about 5 blocks), or at 120 KB (issue 13).
  maxBatchBlocks: 30,
  batchMaxAgeSeconds: 5,
  // Forced entries are due in a batch 8 s after they are mined on L1 (BatchInbox.forceWindow 20 s).
  forcedDueSeconds: 8,
  // A proactive refresh every 6 epochs (2 minutes), and 1,000 tokens slashed on L1 when jailed.
  refreshEveryEpochs: 6,
  slashAmount: (1_000n * 10n ** 18n).toString(),
  exitDelaySeconds: Number(LOCALNET_EXIT_DELAY),
};
/** Tokens in the LockingPool's reward reserve (761,000 gwei per L2 block lasts a long while). */
const LOCALNET_REWARD_RESERVE = 1_000_000n * TOKEN;
/** Tokens the deployer (the localnet's whitelisted locker) holds for locks and joins. */
const DEPLOYER_FUNDS = 10_000_000n * TOKEN;
export const LOCALNET_DEPLOYER_KEY: Hex = ANVIL_DEV_KEY;

export const hasDeployment = (dir: string): boolean => existsSync(join(dir, DEPLOYMENT_FILE));

async function freePort(from: number, taken: Set<number>): Promise<number> {
  for (let p = from; p < 65_535; p++) if (!taken.has(p) && (await isPortFree(p))) return p;
  throw new Error(`no free port from ${from}`);
}

/** The localnet's L1 anvil; the L2 is the validators' geths (localnet/l2-chain.ts). */
export interface Chains {
  l1: AnvilRecord;
  /** A free port for the short-lived anvil that constructs SequencerSet for the L2 genesis. */
  l2ConstructorPort: number;
}

/** A fresh L1 anvil (old state files removed), automined for a fast deployment. */
export async function startFreshChains(dir: string, ports: { l1?: number; l2?: number; searchFrom?: number }, detach: boolean): Promise<Chains> {
  for (const f of ['l1-state.json', 'l2-state.json', DEPLOYMENT_FILE]) rmSync(join(dir, f), { force: true });
  const taken = new Set<number>();
  const l1Port = ports.l1 ?? (await freePort(ports.searchFrom ?? 8545, taken));
  taken.add(l1Port);
  const l2ConstructorPort = ports.l2 ?? (await freePort(l1Port + 1, taken));
  const l1 = anvilRecord(dir, 'l1', l1Port);
  l1.pid = await launchAnvil(l1, { detach });
  return { l1, l2ConstructorPort };
}

/** The L1 anvil resumed from its state file, on the port deployment.json names (the geths keep their own data). */
export async function resumeChains(dir: string, detach: boolean): Promise<{ l1: AnvilRecord; deployment: Deployment }> {
  const deployment = readDeployment(dir);
  if (!deployment.l1 || !deployment.l2) throw new Error(`${join(dir, DEPLOYMENT_FILE)} lacks l1 or l2; run \`seqpool localnet up --reset\``);
  const l1 = anvilRecord(dir, 'l1', Number(new URL(deployment.l1.rpcUrl).port));
  l1.pid = await launchAnvil(l1, { blockTime: 1, detach });
  return { l1, deployment };
}

/** Where deployL1 will put the LockingPool and BatchInbox on a fresh chain: the deployer's second
 * and third contracts (StakeToken is the first). */
export function predictedL1(): { chainId: bigint; lockingPool: Address; batchInbox: Address } {
  const from = privateKeyToAccount(LOCALNET_DEPLOYER_KEY).address;
  return { chainId: BigInt(L1_CHAIN_ID), lockingPool: getContractAddress({ from, nonce: 1n }), batchInbox: getContractAddress({ from, nonce: 2n }) };
}

/** Where deployL2 will put the SequencerSet on a fresh L2: the deployer's first contract. */
export function predictedL2(): { chainId: bigint; sequencerSet: Address } {
  const from = privateKeyToAccount(LOCALNET_DEPLOYER_KEY).address;
  return { chainId: BigInt(L2_CHAIN_ID), sequencerSet: getContractAddress({ from, nonce: 0n }) };
}

const ethAddressOf = (pubKey: Uint8Array): Address => `0x${toHex(ethAddress(pubKey))}` as Address;

/** Gas money for every validator's L1/L2 address: producers submit batches and epochs. */
export const VALIDATOR_GAS_FUNDS = 1000n * 10n ** 18n;

export async function fundAccounts(url: string, addresses: Address[], wei: bigint = VALIDATOR_GAS_FUNDS): Promise<void> {
  for (const a of addresses) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_setBalance', params: [a, `0x${wei.toString(16)}`] }) });
    const r = (await res.json()) as { error?: { message: string } };
    if (r.error) throw new Error(`anvil_setBalance ${a} on ${url}: ${r.error.message}`);
  }
}

/** The genesis app_state entries that the locks below will make true on L1. */
export const genesisLockFields = (i: number) => ({ sequencerId: BigInt(i + 1), l1Nonce: 1n, locked: LOCALNET_LOCK.toString() });

/**
 * Deploys the L1 contracts and locks for every genesis validator; writes deployment.json last. The L2:
 * either `l2` (its SequencerSet is in the geths' genesis, localnet/l2-chain.ts) or, for a network
 * whose L2 someone else runs, `chains.l2`, where SequencerSet is deployed and validators funded.
 */
export async function deployAndSeed(dir: string, chains: { l1: Pick<AnvilRecord, 'url'>; l2?: Pick<AnvilRecord, 'url'> }, manifest: NetworkManifest, epoch0: { signer: Address; endBlock: bigint }, say: (line: string) => void, l2Genesis?: L2Deployment): Promise<Deployment> {
  const deployer = privateKeyToAccount(LOCALNET_DEPLOYER_KEY).address;
  say(`deploying StakeToken, LockingPool (exit delay ${LOCALNET_EXIT_DELAY} s) and BatchInbox on L1 ${chains.l1.url}`);
  const l1 = await deployL1({ rpcUrl: chains.l1.url, deployerKey: LOCALNET_DEPLOYER_KEY, exitDelay: LOCALNET_EXIT_DELAY, whitelist: [deployer], mint: [{ to: deployer, amount: DEPLOYER_FUNDS }] });
  const want = predictedL1().lockingPool;
  if (l1.lockingPool !== want || l1.batchInbox !== predictedL1().batchInbox) throw new Error(`LockingPool/BatchInbox deployed at ${l1.lockingPool}/${l1.batchInbox}, but genesis names ${want}/${predictedL1().batchInbox}: the L1 chain was not fresh; run \`seqpool localnet up --reset\``);
  let l2: L2Deployment;
  const signers = manifest.nodes.map((n) => ethAddressOf(n.pubKey));
  if (l2Genesis) l2 = l2Genesis;
  else if (chains.l2) {
    say(`deploying SequencerSet on L2 ${chains.l2.url} (epoch 0: L2 blocks 1-${epoch0.endBlock}, producer ${epoch0.signer})`);
    l2 = await deployL2({ rpcUrl: chains.l2.url, deployerKey: LOCALNET_DEPLOYER_KEY, initialSigner: epoch0.signer, firstStartBlock: 1n, firstEndBlock: epoch0.endBlock });
    await fundAccounts(chains.l2.url, signers);
  } else throw new Error('deployAndSeed needs an L2: its genesis deployment or an RPC URL');
  if (l2.sequencerSet !== predictedL2().sequencerSet) throw new Error(`SequencerSet deployed at ${l2.sequencerSet}, but genesis names ${predictedL2().sequencerSet}: the L2 chain was not fresh; run \`seqpool localnet up --reset\``);
  await fundAccounts(chains.l1.url, signers);
  say(`funded the ${signers.length} validators' addresses with gas money on L1${l2Genesis ? ' (and on L2 in its genesis)' : ' and L2'}`);
  const s = await l1Session(chains.l1.url, LOCALNET_DEPLOYER_KEY);
  for (const [i, node] of manifest.nodes.entries()) {
    const ev = await lockFor(s, l1.lockingPool, node.pubKey, LOCALNET_LOCK);
    const expected = genesisLockFields(i).sequencerId;
    if (ev.sequencerId !== expected) throw new Error(`${node.name} got sequencer id ${ev.sequencerId} on L1, genesis says ${expected}`);
    say(`locked ${LOCALNET_LOCK / TOKEN} tokens on L1 for ${node.name} (signer ${ev.signer}): sequencer ${ev.sequencerId}, L1 block ${ev.blockNumber}`);
  }
  // Rewards come from the LockingPool's reserve (distributeRewards reverts beyond it).
  await ensureAllowance(s, l1.lockingPool, LOCALNET_REWARD_RESERVE);
  await s.send(l1.lockingPool, 'LockingPool', 'fundRewards', [LOCALNET_REWARD_RESERVE]);
  say(`funded the LockingPool's reward reserve with ${LOCALNET_REWARD_RESERVE / TOKEN} tokens`);
  // Confirmations need blocks without transactions too.
  await setIntervalMining(chains.l1.url, 1);
  const deployment: Deployment = { l1, l2 };
  say(`wrote ${writeDeployment(dir, deployment)}`);
  return deployment;
}

/**
 * Where a node's services listen and how the other hosts reach it. Default (a localnet): everything on
 * 127.0.0.1. `listenHost`: the gateway's and both metrics endpoints' listen host (the RPC's, e.g.
 * 0.0.0.0, so monitoring reaches them). `peerHost`: this node's host as the others dial it (its
 * --hosts entry): the sidecar then listens on 0.0.0.0 and announces this host on chain.
 */
export interface NodeReach {
  listenHost?: string;
  peerHost?: string;
}

/** A libp2p TCP multiaddr for a host (IPv4, IPv6 or DNS name) and port. */
export function hostMultiaddr(host: string, port: number): string {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return `/ip4/${host}/tcp/${port}`;
  if (host.includes(':')) return `/ip6/${host}/tcp/${port}`;
  return `/dns/${host}/tcp/${port}`;
}

/** The passphrase of every localnet sidecar's key store (a devnet: written in the clear, 0600). */
export const LOCALNET_SIDECAR_PASSPHRASE = 'seqpool-localnet-passphrase';

/**
 * HOME/seqpool/node.json and HOME/sidecar/sidecar.json for one node: its bridge follows the
 * localnet's LockingPool and BatchInbox and its L2, its gateway listens on the node's `rest` port and
 * its sidecar on the `mpc` port, and the node's and the sidecar's Prometheus /metrics on their
 * `nodeMetrics` and `sidecarMetrics` ports (cometbft-config reserves all of them per node; a network
 * generated before the metrics ports existed gets no metrics sections). All on 127.0.0.1 unless
 * `reach` says otherwise (a network across hosts, localnet/hosts.ts).
 */
export function writeLocalnetNodeConfig(node: Pick<NetworkNode, 'home' | 'rpcUrl' | 'ports'>, deployment: Deployment, reach: NodeReach = {}, gethL2?: { peers: string[] }): void {
  const l1 = deployment.l1!;
  const l2 = deployment.l2!;
  const host = reach.listenHost ?? '127.0.0.1';
  // With its own geth (localnet/l2-chain.ts) the node drives it: engine, block exchange, peers.
  const l2RpcUrl = gethL2 ? `http://127.0.0.1:${node.ports.l2Rpc}` : l2.rpcUrl;
  const engine = gethL2
    ? { engineUrl: `http://127.0.0.1:${node.ports.l2Auth}`, jwtSecretFile: join('geth', 'jwt.hex'), blockTimeMs: 1_000, listen: `${host}:${node.ports.l2Exchange}`, peers: gethL2.peers }
    : {};
  writeNodeConfig(node.home, {
    // L1 finality (two blocks behind the head on the localnet's anvil), K confirmations as the
    // fallback; the pool is compared with L1 every 30 s at checkpoints of 8 blocks (decision 38).
    l1: { rpcUrl: l1.rpcUrl, chainId: l1.chainId, lockingPool: l1.lockingPool, batchInbox: l1.batchInbox, startBlock: Number(l1.startBlock), confirmations: LOCALNET_CONFIRMATIONS, finality: 'auto', reconcileIntervalMs: 30_000, checkpointBlocks: 8, pollIntervalMs: 500 },
    l2: { rpcUrl: l2RpcUrl, chainId: l2.chainId, sequencerSet: l2.sequencerSet, pollIntervalMs: 250, ...engine },
    cometRpcUrl: node.rpcUrl,
    gateway: { listen: `${host}:${node.ports.rest}` },
    ...(node.ports.nodeMetrics ? { metrics: { listen: `${host}:${node.ports.nodeMetrics}` } } : {}),
  });
  const dir = join(node.home, 'sidecar');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'passphrase'), LOCALNET_SIDECAR_PASSPHRASE + '\n', { mode: 0o600 });
  const sidecar = {
    cometRpcUrl: node.rpcUrl,
    // Across hosts the MPC channel, like CometBFT's p2p, listens on every interface and binds on
    // chain the address the other hosts dial.
    listen: [`/ip4/${reach.peerHost ? '0.0.0.0' : '127.0.0.1'}/tcp/${node.ports.mpc}`],
    ...(reach.peerHost ? { announce: [hostMultiaddr(reach.peerHost, node.ports.mpc)] } : {}),
    l2RpcUrl,
    // The sidecar's own view of the forced-inclusion queue, to check every batch it signs (decision 46).
    l1: { rpcUrl: l1.rpcUrl, batchInbox: l1.batchInbox, confirmations: LOCALNET_CONFIRMATIONS },
    passphraseFile: 'passphrase',
    roundTimeoutMs: 2_000,
    pollIntervalMs: 500,
    ...(node.ports.sidecarMetrics ? { metrics: { listen: `${host}:${node.ports.sidecarMetrics}` } } : {}),
  };
  writeFileSync(join(dir, 'sidecar.json'), JSON.stringify(parseSidecarConfig(sidecar), null, 2) + '\n');
}

/** The gateway URL of a localnet node. */
export const gatewayUrl = (node: Pick<NetworkNode, 'ports'>): string => `http://127.0.0.1:${node.ports.rest}`;

/** Prometheus endpoints of a localnet node's processes, for localnet.json (docs/operators.md "Metrics"). */
export interface MetricsUrls {
  cometbft?: string;
  node?: string;
  sidecar?: string;
}

/** The /metrics URLs of a localnet node: CometBFT's always (its config.toml turns them on), the
 * node's and the sidecar's when they run with a node.json/sidecar.json (a localnet with L1). */
export function metricsUrls(node: Pick<NetworkNode, 'ports'>, running: { node?: boolean; sidecar?: boolean }): MetricsUrls {
  const url = (port: number | undefined) => (port ? `http://127.0.0.1:${port}/metrics` : undefined);
  const out: MetricsUrls = {};
  const comet = url(node.ports.cometMetrics);
  const mine = running.node ? url(node.ports.nodeMetrics) : undefined;
  const sidecar = running.sidecar ? url(node.ports.sidecarMetrics) : undefined;
  if (comet) out.cometbft = comet;
  if (mine) out.node = mine;
  if (sidecar) out.sidecar = sidecar;
  return out;
}
