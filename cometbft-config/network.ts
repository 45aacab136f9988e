// generateNetwork: N CometBFT homes that form one network, either a loopback localnet or one node per
// machine. Everything that can fail (options, the directory, ports, the binary, genesis checks) is
// done before the first write, and an existing network is replaced only when asked.
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { createLogger } from '../common/log.js';
import { defaultCometbftBin, defaultConfigToml, renderConfigToml, writeConfigToml } from './config-toml.js';
import { buildGenesis, writeGenesis, type GenesisValidator } from './genesis-doc.js';
import {
  generateNodeKey,
  generateValidatorKey,
  nodeKeyFromSecret,
  validatorKeyFromSecret,
  writeNodeKey,
  writeValidatorKey,
  type NodeKey,
  type ValidatorKey,
} from './keys.js';
import { hasManifest, MANIFEST_FILE, writeManifest, type NetworkManifest, type NetworkNode } from './manifest.js';
import { parseNetworkOptions, NetworkOptionsError, type GenerateNetworkOptions } from './options.js';
import { allocateLoopbackPorts, formatHostPort, multiHostPorts, parseHostPort, type NodePorts } from './ports.js';

export const DEFAULT_CHAIN_ID = 'seqpool-localnet';
export const DEFAULT_POWER = 10n;
// sockaddr_un.sun_path is 108 bytes on Linux and 104 on macOS, including the NUL.
const MAX_UNIX_SOCKET_PATH = 103;

/** Where each node is reached, before keys exist. */
interface Placement {
  ports: NodePorts;
  /** host:port peers dial. */
  p2pAddress: string;
  p2pLaddr: string;
  rpcLaddr: string;
  rpcUrl: string;
  /** CometBFT's Prometheus listen address (host:port). */
  prometheusListen: string;
}

async function place(o: GenerateNetworkOptions): Promise<Placement[]> {
  if (o.hosts) {
    const addrs = o.hosts.map(parseHostPort);
    const rpcHost = o.rpcListenHost ?? '127.0.0.1';
    // A node on 0.0.0.0 is reached locally through loopback.
    const rpcUrlHost = rpcHost === '0.0.0.0' ? '127.0.0.1' : rpcHost;
    return multiHostPorts(addrs).map((ports, i) => ({
      ports,
      p2pAddress: formatHostPort(addrs[i]!),
      p2pLaddr: `tcp://0.0.0.0:${ports.p2p}`,
      rpcLaddr: `tcp://${formatHostPort({ host: rpcHost, port: ports.rpc })}`,
      rpcUrl: `http://${formatHostPort({ host: rpcUrlHost, port: ports.rpc })}`,
      // Scraped from where the RPC is reachable: the same listen host.
      prometheusListen: formatHostPort({ host: rpcHost, port: ports.cometMetrics }),
    }));
  }
  const blocks = await allocateLoopbackPorts(o.validators, o.basePort ?? 'auto', o.portSearchFrom);
  return blocks.map((ports) => ({
    ports,
    p2pAddress: `127.0.0.1:${ports.p2p}`,
    p2pLaddr: `tcp://127.0.0.1:${ports.p2p}`,
    rpcLaddr: `tcp://127.0.0.1:${ports.rpc}`,
    rpcUrl: `http://127.0.0.1:${ports.rpc}`,
    prometheusListen: `127.0.0.1:${ports.cometMetrics}`,
  }));
}

/** Domain-separated per-node secrets, so a seed gives every node distinct, reproducible keys. */
function keysFor(seed: string | Uint8Array | undefined, i: number): { validator: ValidatorKey; node: NodeKey } {
  if (seed === undefined) return { validator: generateValidatorKey(), node: generateNodeKey() };
  const s = typeof seed === 'string' ? utf8ToBytes(seed) : seed;
  const secret = (kind: string): Uint8Array => sha256(concatBytes(utf8ToBytes(`seqpool/cometbft-config/v1/${kind}/${i}/`), s));
  return { validator: validatorKeyFromSecret(secret('validator')), node: nodeKeyFromSecret(secret('node')) };
}

const NODE_DIR = /^node\d+$/;

/**
 * Refuses a non-empty directory unless `overwrite` is set and the directory holds a network we
 * generated (our manifest is present); returns the entries to delete once everything else succeeded.
 */
function checkDir(dir: string, overwrite: boolean): string[] {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new NetworkOptionsError(`${dir} exists and is not a directory`);
    entries = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  if (entries.length === 0) return [];
  if (!overwrite) throw new NetworkOptionsError(`${dir} is not empty; pass overwrite to replace the network in it`);
  if (!hasManifest(dir)) {
    throw new NetworkOptionsError(`${dir} is not empty and holds no ${MANIFEST_FILE}, so it is not a network we generated; refusing to delete it even with overwrite`);
  }
  return entries.filter((e) => NODE_DIR.test(e) || e === MANIFEST_FILE);
}

/** Writes DIR/node0..node{N-1} and DIR/network.json; returns the manifest. */
export async function generateNetwork(opts: GenerateNetworkOptions): Promise<NetworkManifest> {
  const o = parseNetworkOptions(opts);
  const log = o.logger ?? createLogger('cometbft-config');
  const dir = resolve(o.dir);
  const chainId = o.chainId ?? DEFAULT_CHAIN_ID;
  const n = o.validators;
  const transport = o.abciTransport ?? 'tcp';
  const stale = checkDir(dir, o.overwrite ?? false);

  const homes = Array.from({ length: n }, (_, i) => join(dir, `node${i}`));
  if (transport === 'unix') {
    const longest = join(homes[n - 1]!, 'abci.sock');
    if (Buffer.byteLength(longest) > MAX_UNIX_SOCKET_PATH) {
      throw new NetworkOptionsError(`unix socket path ${longest} is longer than ${MAX_UNIX_SOCKET_PATH} bytes; use a shorter dir or abciTransport 'tcp'`);
    }
  }

  const placements = await place(o);
  const keys = homes.map((_, i) => keysFor(o.seed, i));
  const powers = homes.map((_, i) => (Array.isArray(o.power) ? o.power[i]! : (o.power ?? DEFAULT_POWER)));
  const validators: GenesisValidator[] = homes.map((_, i) => ({
    name: `node${i}`,
    address: bytesToHex(keys[i]!.validator.address).toUpperCase(),
    pubKey: keys[i]!.validator.pubKey,
    power: powers[i]!,
  }));
  const genesis = buildGenesis({
    chainId,
    validators,
    ...(o.genesisTime && { genesisTime: o.genesisTime }),
    ...(o.voteExtensionsEnableHeight !== undefined && { voteExtensionsEnableHeight: BigInt(o.voteExtensionsEnableHeight) }),
    ...(o.blockMaxBytes !== undefined && { blockMaxBytes: o.blockMaxBytes }),
    ...(o.blockMaxGas !== undefined && { blockMaxGas: o.blockMaxGas }),
    ...(o.appState && { appState: o.appState }),
  });
  const base = await defaultConfigToml(o.cometbftBin ?? defaultCometbftBin());

  const nodes: NetworkNode[] = homes.map((home, i) => {
    const p = placements[i]!;
    return {
      name: `node${i}`,
      home,
      nodeId: keys[i]!.node.id,
      validatorAddress: validators[i]!.address,
      pubKey: keys[i]!.validator.pubKey,
      power: powers[i]!,
      ports: p.ports,
      p2pAddress: p.p2pAddress,
      rpcUrl: p.rpcUrl,
      abciAddress: transport === 'unix' ? `unix://${join(home, 'abci.sock')}` : `tcp://127.0.0.1:${p.ports.abci}`,
    };
  });
  // Render every config before writing anything, so an override error leaves the disk untouched.
  const configs = nodes.map((node, i) =>
    renderConfigToml(
      base,
      {
        moniker: node.name,
        proxyApp: node.abciAddress,
        p2pLaddr: placements[i]!.p2pLaddr,
        externalAddress: node.p2pAddress,
        rpcLaddr: placements[i]!.rpcLaddr,
        prometheusListen: placements[i]!.prometheusListen,
        persistentPeers: nodes.filter((_, j) => j !== i).map((peer) => `${peer.nodeId}@${peer.p2pAddress}`),
        ...(o.logLevel && { logLevel: o.logLevel }),
        ...(o.consensus && { consensus: o.consensus }),
        ...(o.configOverrides && { extra: o.configOverrides }),
      },
      n - 1,
    ),
  );

  for (const e of stale) rmSync(join(dir, e), { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    nodes.forEach((node, i) => {
      mkdirSync(join(node.home, 'config'), { recursive: true, mode: 0o700 });
      mkdirSync(join(node.home, 'data'), { recursive: true, mode: 0o700 });
      writeConfigToml(node.home, configs[i]!);
      writeGenesis(node.home, genesis);
      writeValidatorKey(node.home, keys[i]!.validator);
      writeNodeKey(node.home, keys[i]!.node);
    });
  } catch (e) {
    // Do not leave half a network that a later run would mistake for a whole one.
    for (const home of homes) rmSync(home, { recursive: true, force: true });
    throw e;
  }
  const manifest: NetworkManifest = { chainId, dir, nodes };
  writeManifest(dir, manifest);
  log.info({ chainId, dir, validators: n, mode: o.hosts ? 'multi-host' : 'localnet', abci: transport, seeded: o.seed !== undefined }, 'generated CometBFT network');
  return manifest;
}
