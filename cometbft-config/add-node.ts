// addNode: one more home for an existing loopback network (`seqpool localnet join`). The new node
// gets fresh validator and node keys, the network's genesis.json byte for byte (a different genesis
// is a different chain), ports past every existing node's, and all existing nodes as persistent
// peers. It starts as a full node: it becomes a validator only when the chain says so (for seqpool,
// after its stake is locked on L1 and attested). The manifest gains the node with power 0.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { defaultCometbftBin, defaultConfigToml, renderConfigToml, writeConfigToml, type ConsensusTimeouts } from './config-toml.js';
import { GENESIS_FILE } from './genesis-doc.js';
import { generateNodeKey, generateValidatorKey, writeNodeKey, writeValidatorKey } from './keys.js';
import { readManifest, writeManifest, type NetworkManifest, type NetworkNode } from './manifest.js';
import { allocateLoopbackPorts } from './ports.js';

export interface AddNodeOptions {
  /** Default node{N}, the next free index. */
  name?: string;
  /** First port of the new node's block, or 'auto' (default): the first free block past every existing node's ports. */
  basePort?: number | 'auto';
  logLevel?: string;
  consensus?: Partial<ConsensusTimeouts>;
  cometbftBin?: string;
}

export async function addNode(dir: string, opts: AddNodeOptions = {}): Promise<{ manifest: NetworkManifest; node: NetworkNode }> {
  const manifest = readManifest(dir);
  if (manifest.nodes.length === 0) throw new Error(`${dir}/network.json lists no nodes to join`);
  let index = manifest.nodes.length;
  while (manifest.nodes.some((n) => n.name === `node${index}`)) index++;
  const name = opts.name ?? `node${index}`;
  if (manifest.nodes.some((n) => n.name === name)) throw new Error(`${name} already exists in ${dir}/network.json`);
  const home = join(manifest.dir, name);
  if (existsSync(home)) throw new Error(`${home} already exists; remove it or pick another name`);
  const source = manifest.nodes[0]!;
  if (!source.p2pAddress.startsWith('127.0.0.1:')) throw new Error('addNode supports loopback networks only (multi-host: generate the home on the new machine)');

  const highest = Math.max(...manifest.nodes.flatMap((n) => Object.values(n.ports)));
  const [ports] = await allocateLoopbackPorts(1, opts.basePort ?? 'auto', highest + 1);
  const validator = generateValidatorKey();
  const nodeKey = generateNodeKey();
  const abciAddress = `tcp://127.0.0.1:${ports!.abci}`;
  const node: NetworkNode = {
    name,
    home,
    nodeId: nodeKey.id,
    validatorAddress: bytesToHex(validator.address).toUpperCase(),
    pubKey: validator.pubKey,
    power: 0n,
    ports: ports!,
    p2pAddress: `127.0.0.1:${ports!.p2p}`,
    rpcUrl: `http://127.0.0.1:${ports!.rpc}`,
    abciAddress,
  };
  const peers = manifest.nodes.map((p) => `${p.nodeId}@${p.p2pAddress}`);
  const config = renderConfigToml(
    await defaultConfigToml(opts.cometbftBin ?? defaultCometbftBin()),
    {
      moniker: name,
      proxyApp: abciAddress,
      p2pLaddr: `tcp://127.0.0.1:${ports!.p2p}`,
      externalAddress: node.p2pAddress,
      rpcLaddr: `tcp://127.0.0.1:${ports!.rpc}`,
      prometheusListen: `127.0.0.1:${ports!.cometMetrics}`,
      persistentPeers: peers,
      ...(opts.logLevel && { logLevel: opts.logLevel }),
      ...(opts.consensus && { consensus: opts.consensus }),
    },
    peers.length,
  );
  mkdirSync(join(home, 'config'), { recursive: true, mode: 0o700 });
  mkdirSync(join(home, 'data'), { recursive: true, mode: 0o700 });
  writeConfigToml(home, config);
  copyFileSync(join(source.home, GENESIS_FILE), join(home, GENESIS_FILE));
  writeValidatorKey(home, validator);
  writeNodeKey(home, nodeKey);
  const next: NetworkManifest = { ...manifest, nodes: [...manifest.nodes, node] };
  writeManifest(manifest.dir, next);
  return { manifest: next, node };
}
