// The localnet's L2 (issue 12): one geth per validator, all from DIR/l2-genesis.json, peered with
// each other by static peers, each driven by its own validator's node over the Engine API (nobody
// else can extend it). The genesis holds SequencerSet with epoch 0 (contracts/predeploy.ts) and gas
// money for the validators, the deployer and the first development accounts (the README's user).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicClient, createWalletClient, defineChain, http, type Address, type Hex } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import type { NetworkNode } from '../cometbft-config/manifest.js';
import { predeploySequencerSet } from '../contracts/predeploy.js';
import type { L2Deployment } from '../contracts/deploy.js';
import { l2Genesis } from '../l2/genesis.js';
import { enodeOf, gethHome, initGeth, writeGethPeers } from './geth.js';
import { L2_CHAIN_ID } from './anvil.js';

export const L2_GENESIS_FILE = 'l2-genesis.json';
/** anvil's and hardhat's development mnemonic: its first accounts are funded on the localnet's L2. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
const DEV_ACCOUNTS = 3;
const DEV_FUNDS = 10_000n * 10n ** 18n;

/** Whether this network's nodes run geth (generated with the L2 port roles and an L2 genesis). */
export const hasGethL2 = (dir: string, node: Pick<NetworkNode, 'ports'>): boolean => existsSync(join(dir, L2_GENESIS_FILE)) && node.ports.l2Rpc !== undefined;

export const l2RpcUrl = (node: Pick<NetworkNode, 'ports'>): string => `http://127.0.0.1:${node.ports.l2Rpc}`;
export const l2ExchangeUrl = (node: Pick<NetworkNode, 'ports'>): string => `http://127.0.0.1:${node.ports.l2Exchange}`;

export interface L2GenesisOptions {
  dir: string;
  deployerKey: `0x${string}`;
  /** Epoch 0's producer and its last L2 block. */
  epoch0: { signer: Address; endBlock: bigint };
  /** Validators' and the deployer's gas money. */
  funded: Address[];
  fundsWei: bigint;
  /** A free loopback port for the anvil that constructs SequencerSet. */
  constructorPort: number;
}

/** Writes DIR/l2-genesis.json; the L2 part of deployment.json (rpcUrl is node0's geth). */
export async function writeL2Genesis(o: L2GenesisOptions, firstNode: Pick<NetworkNode, 'ports'>): Promise<L2Deployment> {
  const pre = await predeploySequencerSet({ chainId: L2_CHAIN_ID, port: o.constructorPort, deployerKey: o.deployerKey, initialSigner: o.epoch0.signer, firstStartBlock: 1n, firstEndBlock: o.epoch0.endBlock });
  const alloc: Record<Address, bigint> = {};
  for (const a of [...o.funded, pre.deployer]) alloc[a] = o.fundsWei;
  for (let i = 0; i < DEV_ACCOUNTS; i++) alloc[mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }).address] = DEV_FUNDS;
  const genesis = l2Genesis({ chainId: L2_CHAIN_ID, alloc, accounts: pre.alloc, timestamp: BigInt(Math.floor(Date.now() / 1000)) });
  writeFileSync(join(o.dir, L2_GENESIS_FILE), JSON.stringify(genesis, null, 2) + '\n');
  return { chainId: L2_CHAIN_ID, rpcUrl: l2RpcUrl(firstNode), deployer: pre.deployer, startBlock: 0n, sequencerSet: pre.sequencerSet };
}

/**
 * HOME/geth for each node (`geth init` from the genesis, node key, JWT secret) and its static peers:
 * every other node's geth. Idempotent; `all` are the peers, `nodes` the homes to (re)write.
 */
export async function initL2Homes(dir: string, nodes: Pick<NetworkNode, 'home' | 'ports'>[], all: Pick<NetworkNode, 'home' | 'ports'>[] = nodes): Promise<void> {
  const genesis = join(dir, L2_GENESIS_FILE);
  for (const n of all) await initGeth(n.home, genesis);
  for (const n of nodes) writeGethPeers(n.home, all.filter((p) => p.home !== n.home).map((p) => enodeOf(gethHome(p.home).nodekeyFile, '127.0.0.1', p.ports.l2P2p)));
}

/** Sends `wei` to `to` on the L2 from `fromKey` and waits for the block (geth has no anvil_setBalance). */
export async function fundOnL2(rpcUrl: string, fromKey: Hex, to: Address, wei: bigint, timeoutMs = 30_000): Promise<void> {
  const chain = defineChain({ id: L2_CHAIN_ID, name: 'seqpool-l2', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
  const wallet = createWalletClient({ account: privateKeyToAccount(fromKey), chain, transport: http(rpcUrl) });
  const hash = await wallet.sendTransaction({ to, value: wei });
  const receipt = await createPublicClient({ chain, transport: http(rpcUrl) }).waitForTransactionReceipt({ hash, timeout: timeoutMs, pollingInterval: 250 });
  if (receipt.status !== 'success') throw new Error(`funding ${to} on L2 failed in block ${receipt.blockNumber}`);
}
