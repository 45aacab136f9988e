// The pool across hosts on devnet chains (`seqpool network generate --hosts ... --l1-rpc ... --l2-rpc
// ...`): one validator per machine, each home complete (config.toml, genesis with the pool's
// contracts and the validators' L1 locks, seqpool/node.json, sidecar/sidecar.json), for L1 and L2
// devnets (anvil) that every host reaches. It is `localnet up`'s generation step with the loopback
// addresses replaced by each host's: what a multi-host operator runs, and what
// test/integration/netns.test.ts runs with one network namespace per "host" (docs/operators.md
// "Across hosts").
//
// Like the localnet, genesis names the LockingPool, BatchInbox and SequencerSet before they exist
// (their addresses on a fresh chain follow from the deployer's nonces), so the chains must be fresh:
// that is checked before anything is written.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';
import { buildAppState } from '../app/genesis-state.js';
import { genesisProducer } from '../app/election.js';
import { createLogger } from '../common/log.js';
import { generateNetwork } from '../cometbft-config/network.js';
import type { NetworkManifest } from '../cometbft-config/manifest.js';
import { parseHostPort } from '../cometbft-config/ports.js';
import { chainIdAt } from '../contracts/devnet.js';
import type { Deployment } from '../contracts/deploy.js';
import { deployAndSeed, genesisLockFields, LOCALNET_DEPLOYER_KEY, LOCALNET_POOL_PARAMS, LOCALNET_POWER, predictedL1, predictedL2, writeLocalnetNodeConfig } from './l1-chains.js';

export interface HostsDevnetOptions {
  dir: string;
  /** p2p host:port of each validator, one per machine; every node uses the same port layout above it. */
  hosts: string[];
  chainId?: string;
  overwrite?: boolean;
  /** Where CometBFT's RPC and Prometheus, the gateway and the node's and sidecar's metrics listen on
   * each machine (default 127.0.0.1; 0.0.0.0 to reach them from other machines). */
  rpcListenHost?: string;
  /** JSON-RPC URLs of the L1 and L2 devnets, as every validator's machine reaches them. */
  l1Rpc: string;
  l2Rpc: string;
  say?: (line: string) => void;
}

async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), signal: AbortSignal.timeout(5_000) });
  const r = (await res.json()) as { result?: T; error?: { message: string } };
  if (r.error || r.result === undefined) throw new Error(`${method} at ${url}: ${r.error?.message ?? 'no result'}`);
  return r.result;
}

/** The chain id at `url`, after checking that the deployer has sent nothing there yet (a fresh devnet). */
async function freshChain(flag: string, url: string): Promise<bigint> {
  const id = await chainIdAt(url);
  if (id === undefined) throw new Error(`no Ethereum JSON-RPC answers at ${flag} ${url}`);
  const deployer = privateKeyToAccount(LOCALNET_DEPLOYER_KEY).address;
  const sent = BigInt(await rpc<string>(url, 'eth_getTransactionCount', [deployer, 'latest']));
  if (sent !== 0n) {
    throw new Error(`${flag} ${url} is not a fresh devnet: the deployer ${deployer} has sent ${sent} transactions there, and genesis names the pool's contracts at the addresses a fresh chain gives them; restart that chain from its genesis`);
  }
  return BigInt(id);
}

/**
 * Generates DIR/node0.. for `hosts`, deploys the contracts on the devnets, locks every validator's
 * stake (20,000 tokens: power 20,000), funds their gas and writes each home's node.json and
 * sidecar.json with its host's addresses. The pool parameters are the localnet's (20-block epochs,
 * short timeouts): a devnet, not mainnet.
 */
export async function generateHostsDevnet(o: HostsDevnetOptions): Promise<{ manifest: NetworkManifest; deployment: Deployment }> {
  const say = o.say ?? (() => {});
  const hosts = o.hosts.map(parseHostPort); // fails before anything is deployed
  const l1 = { ...predictedL1(), chainId: await freshChain('--l1-rpc', o.l1Rpc) };
  const l2 = { ...predictedL2(), chainId: await freshChain('--l2-rpc', o.l2Rpc) };
  const params = LOCALNET_POOL_PARAMS;
  const manifest = await generateNetwork({
    dir: resolve(o.dir),
    validators: o.hosts.length,
    hosts: o.hosts,
    ...(o.rpcListenHost !== undefined && { rpcListenHost: o.rpcListenHost }),
    ...(o.chainId !== undefined && { chainId: o.chainId }),
    overwrite: o.overwrite ?? false,
    power: LOCALNET_POWER,
    appState: (vals) => buildAppState(vals.map((v, i) => ({ ...v, ...genesisLockFields(i) })), params, l1, l2),
    logger: createLogger('cometbft-config', { level: 'warn' }),
  });
  const genesis = JSON.parse(readFileSync(join(manifest.nodes[0]!.home, 'config', 'genesis.json'), 'utf8')) as { app_state: unknown };
  const producer = genesisProducer(genesis.app_state, manifest.chainId);
  const deployment = await deployAndSeed(manifest.dir, { l1: { url: o.l1Rpc }, l2: { url: o.l2Rpc } }, manifest, { signer: producer.signer, endBlock: BigInt(params.epochLength!) }, say);
  manifest.nodes.forEach((node, i) => writeLocalnetNodeConfig(node, deployment, { listenHost: o.rpcListenHost ?? '127.0.0.1', peerHost: hosts[i]!.host }));
  return { manifest, deployment };
}
