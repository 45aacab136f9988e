// Deploys the seqpool contracts with viem against any JSON-RPC URL (anvil in the localnet, or a
// real network) and records the addresses in <dir>/deployment.json for the nodes and the CLI.
//   L1: StakeToken, LockingPool(token), BatchInbox      L2: SequencerSet
// The group key may be unknown at deployment (the DKG runs once validators exist): pass none and
// the owner calls initializeGroupKey on each contract later.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getAddress, type Abi, type Address, type Hex, type PublicClient } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { artifact, type ContractName } from './artifacts.js';
import { accountClients } from './clients.js';
import { canonicalJson } from './json.js';

/**
 * BatchInbox's forced-inclusion parameters on the localnet (contracts/src/ForcedQueue.sol), the
 * defaults of deployL1. forceWindow is the time a batch may leave a forced entry out: a few of the
 * localnet's 5 s batches. escapeDelay is how long an entry stays overdue before anyone may append a
 * forced-only batch: long enough for a failover on the localnet. A mainnet-style deployment would
 * pass forceWindow 10 minutes and escapeDelay 1 day (MAINNET_STYLE_* below).
 */
export const LOCALNET_FORCE_FEE = 10n ** 15n; // 0.001 ether, in wei
export const LOCALNET_FORCE_WINDOW = 20n; // seconds
export const LOCALNET_ESCAPE_DELAY = 60n; // seconds
export const MAINNET_STYLE_FORCE_WINDOW = 600n; // 10 minutes
export const MAINNET_STYLE_ESCAPE_DELAY = 86_400n; // 1 day

export interface L1DeployOptions {
  rpcUrl: string;
  deployerKey: Hex;
  /** 64-byte Px||Py; omitted or '0x' leaves it for initializeGroupKey. */
  groupKey?: Hex;
  /** Seconds; the contract default is 21 days. */
  exitDelay?: bigint;
  minLock?: bigint;
  maxLock?: bigint;
  /** Accounts allowed to lockFor. */
  whitelist?: Address[];
  /** Stake tokens minted at deployment (localnet funding). */
  mint?: { to: Address; amount: bigint }[];
  /** The L2 block the first batch starts at (default 1). */
  firstL2Block?: bigint;
  /** Wei per BatchInbox.forceInclude (default LOCALNET_FORCE_FEE, 0.001 ether). */
  forceFee?: bigint;
  /** Seconds a batch may leave a forced entry out (default LOCALNET_FORCE_WINDOW, 20 s; mainnet-style 10 min). */
  forceWindow?: bigint;
  /** Seconds an entry stays overdue before the escape hatch opens (default LOCALNET_ESCAPE_DELAY, 60 s; mainnet-style 1 day). */
  escapeDelay?: bigint;
}

export interface L2DeployOptions {
  rpcUrl: string;
  deployerKey: Hex;
  groupKey?: Hex;
  /** Producer of epoch 0 and its L2 block range. */
  initialSigner: Address;
  firstStartBlock: bigint;
  firstEndBlock: bigint;
}

export interface L1Deployment {
  chainId: number;
  rpcUrl: string;
  deployer: Address;
  /** Block of the first deployment transaction: where L1 listeners start. */
  startBlock: bigint;
  stakeToken: Address;
  lockingPool: Address;
  batchInbox: Address;
}

export interface L2Deployment {
  chainId: number;
  rpcUrl: string;
  deployer: Address;
  startBlock: bigint;
  sequencerSet: Address;
}

export interface Deployment {
  l1?: L1Deployment;
  l2?: L2Deployment;
}

export const DEPLOYMENT_FILE = 'deployment.json';

interface Session {
  pub: PublicClient;
  account: PrivateKeyAccount;
  chainId: number;
  deploy(name: ContractName, args: unknown[]): Promise<{ address: Address; block: bigint }>;
  call(address: Address, name: ContractName, functionName: string, args: unknown[]): Promise<void>;
}

async function session(rpcUrl: string, key: Hex): Promise<Session> {
  const { pub, wallet, account, chain, chainId } = await accountClients(rpcUrl, key);
  const wait = async (hash: Hex, what: string) => {
    const r = await pub.waitForTransactionReceipt({ hash });
    if (r.status !== 'success') throw new Error(`deploy: ${what} reverted (tx ${hash})`);
    return r;
  };
  return {
    pub,
    account,
    chainId,
    async deploy(name, args) {
      const a = artifact(name);
      const r = await wait(await wallet.deployContract({ abi: a.abi, bytecode: a.bytecode, args, account, chain }), `deploy ${name}`);
      if (!r.contractAddress) throw new Error(`deploy: ${name} has no address`);
      return { address: getAddress(r.contractAddress), block: r.blockNumber };
    },
    async call(address, name, functionName, args) {
      await wait(await wallet.writeContract({ abi: artifact(name).abi as Abi, address, functionName, args, account, chain }), `${name}.${functionName}`);
    },
  };
}

/** StakeToken + LockingPool + BatchInbox, configured; the deployer owns all three. */
export async function deployL1(opts: L1DeployOptions): Promise<L1Deployment> {
  const s = await session(opts.rpcUrl, opts.deployerKey);
  const owner = s.account.address;
  const groupKey = opts.groupKey ?? '0x';
  const token = await s.deploy('StakeToken', [owner]);
  const pool = await s.deploy('LockingPool', [token.address, owner, groupKey]);
  const inbox = await s.deploy('BatchInbox', [owner, groupKey, opts.firstL2Block ?? 1n, opts.forceFee ?? LOCALNET_FORCE_FEE, opts.forceWindow ?? LOCALNET_FORCE_WINDOW, opts.escapeDelay ?? LOCALNET_ESCAPE_DELAY]);
  // Max before min, so that raising both never passes through min > max.
  if (opts.maxLock !== undefined) await s.call(pool.address, 'LockingPool', 'setMaxLock', [opts.maxLock]);
  if (opts.minLock !== undefined) await s.call(pool.address, 'LockingPool', 'setMinLock', [opts.minLock]);
  if (opts.exitDelay !== undefined) await s.call(pool.address, 'LockingPool', 'setExitDelay', [opts.exitDelay]);
  for (const a of opts.whitelist ?? []) await s.call(pool.address, 'LockingPool', 'setWhitelist', [a, true]);
  for (const m of opts.mint ?? []) await s.call(token.address, 'StakeToken', 'mint', [m.to, m.amount]);
  return { chainId: s.chainId, rpcUrl: opts.rpcUrl, deployer: owner, startBlock: token.block, stakeToken: token.address, lockingPool: pool.address, batchInbox: inbox.address };
}

/** SequencerSet with epoch 0; the deployer owns it. */
export async function deployL2(opts: L2DeployOptions): Promise<L2Deployment> {
  const s = await session(opts.rpcUrl, opts.deployerKey);
  const set = await s.deploy('SequencerSet', [s.account.address, opts.groupKey ?? '0x', opts.initialSigner, opts.firstStartBlock, opts.firstEndBlock]);
  return { chainId: s.chainId, rpcUrl: opts.rpcUrl, deployer: s.account.address, startBlock: set.block, sequencerSet: set.address };
}

/** Sets the group key on every deployed contract that has none yet (owner only). */
export async function initializeGroupKey(deployment: Deployment, deployerKey: Hex, groupKey: Hex): Promise<void> {
  const targets: [string, Address, ContractName][] = [];
  if (deployment.l1) targets.push([deployment.l1.rpcUrl, deployment.l1.lockingPool, 'LockingPool'], [deployment.l1.rpcUrl, deployment.l1.batchInbox, 'BatchInbox']);
  if (deployment.l2) targets.push([deployment.l2.rpcUrl, deployment.l2.sequencerSet, 'SequencerSet']);
  for (const [url, address, name] of targets) {
    const s = await session(url, deployerKey);
    const current = (await s.pub.readContract({ abi: artifact(name).abi, address, functionName: 'groupKey' })) as Hex;
    if (current === '0x') await s.call(address, name, 'initializeGroupKey', [groupKey]);
  }
}

/** Writes <dir>/deployment.json (sorted keys; bigints as decimal strings). */
export function writeDeployment(dir: string, deployment: Deployment): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, DEPLOYMENT_FILE);
  const plain = JSON.parse(JSON.stringify(deployment, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as unknown;
  writeFileSync(file, canonicalJson(plain));
  return file;
}

/** Reads <dir>/deployment.json back (startBlock as bigint). */
export function readDeployment(dir: string): Deployment {
  const raw = JSON.parse(readFileSync(join(dir, DEPLOYMENT_FILE), 'utf8')) as { l1?: L1Deployment & { startBlock: string }; l2?: L2Deployment & { startBlock: string } };
  const out: Deployment = {};
  if (raw.l1) out.l1 = { ...raw.l1, startBlock: BigInt(raw.l1.startBlock) };
  if (raw.l2) out.l2 = { ...raw.l2, startBlock: BigInt(raw.l2.startBlock) };
  return out;
}
