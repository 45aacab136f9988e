// The typed description of a generated network, returned by generateNetwork and saved as
// DIR/network.json so that later commands (start the nodes, point sidecars at them) need not re-derive
// anything from the homes. It holds public data only; keys stay in each home.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodePorts } from './ports.js';

export const MANIFEST_FILE = 'network.json';

export interface NetworkNode {
  /** node0..node{N-1}; also the moniker and the genesis validator name. */
  name: string;
  /** Absolute CometBFT home (--home). */
  home: string;
  /** p2p node id (lowercase hex). */
  nodeId: string;
  /** Upper-case hex, as in genesis.json and /validators. */
  validatorAddress: string;
  /** 33-byte compressed secp256k1 key. */
  pubKey: Uint8Array;
  power: bigint;
  ports: NodePorts;
  /** host:port other nodes dial. */
  p2pAddress: string;
  /** http://host:port of this node's CometBFT RPC, as seen from its own machine. */
  rpcUrl: string;
  /** Where the app must listen: proxy_app, tcp://127.0.0.1:PORT or unix:///path. */
  abciAddress: string;
}

export interface NetworkManifest {
  chainId: string;
  dir: string;
  nodes: NetworkNode[];
}

/** JSON form: bytes as base64 (like CometBFT), bigints as decimal strings. */
export function manifestJson(m: NetworkManifest): string {
  return JSON.stringify(
    { ...m, nodes: m.nodes.map((n) => ({ ...n, pubKey: Buffer.from(n.pubKey).toString('base64'), power: n.power.toString() })) },
    null,
    2,
  );
}

export function writeManifest(dir: string, m: NetworkManifest): void {
  writeFileSync(join(dir, MANIFEST_FILE), manifestJson(m));
}

export function hasManifest(dir: string): boolean {
  return existsSync(join(dir, MANIFEST_FILE));
}

/** Reads DIR/network.json back into the typed manifest. */
export function readManifest(dir: string): NetworkManifest {
  const file = join(dir, MANIFEST_FILE);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Omit<NetworkManifest, 'nodes'> & {
    nodes: (Omit<NetworkNode, 'pubKey' | 'power'> & { pubKey: string; power: string })[];
  };
  if (typeof raw.chainId !== 'string' || !Array.isArray(raw.nodes)) throw new Error(`${file} is not a network manifest`);
  return {
    ...raw,
    nodes: raw.nodes.map((n) => ({ ...n, pubKey: Uint8Array.from(Buffer.from(n.pubKey, 'base64')), power: BigInt(n.power) })),
  };
}
