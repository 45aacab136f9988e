// Port layout for a network. Each node owns one contiguous block of PORTS_PER_NODE ports so that a
// node's ports can be read off its index, and the ones CometBFT does not use are reserved in it so
// that the REST gateway, the MPC sidecar and the Prometheus endpoints never collide with another
// node's p2p port. Roles are only ever appended: a role's offset in the block never changes.
// cometMetrics is CometBFT's own Prometheus ([instrumentation]), nodeMetrics and sidecarMetrics the
// seqpool node's and sidecar's /metrics (docs/operators.md "Metrics"). The L2 (docs/l2.md): l2Rpc is
// the validator's geth JSON-RPC, l2Auth its Engine API, l2P2p its devp2p port, l2Exchange the node's
// L2 block exchange (l2.listen).
import { createServer } from 'node:net';

export const PORT_ROLES = ['p2p', 'rpc', 'abci', 'rest', 'mpc', 'spare', 'cometMetrics', 'nodeMetrics', 'sidecarMetrics', 'l2Rpc', 'l2Auth', 'l2P2p', 'l2Exchange'] as const;
export type PortRole = (typeof PORT_ROLES)[number];
export type NodePorts = Record<PortRole, number>;
export const PORTS_PER_NODE = PORT_ROLES.length;

const MAX_PORT = 65_535;
/** CometBFT's default p2p port; where 'auto' starts looking unless told otherwise. */
export const DEFAULT_PORT_SEARCH_FROM = 26_656;

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly node: number,
    readonly role: PortRole,
    detail: string,
  ) {
    super(`port ${port} (node${node} ${role}) is not free on 127.0.0.1: ${detail}`);
    this.name = 'PortInUseError';
  }
}

/** The block of ports starting at `first`, in PORT_ROLES order. */
export function portBlock(first: number): NodePorts {
  const ports = {} as NodePorts;
  PORT_ROLES.forEach((role, i) => (ports[role] = first + i));
  return ports;
}

/** Resolves to undefined when `port` can be bound on `host`, or to the bind error's code otherwise. */
export function probePort(port: number, host = '127.0.0.1'): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    // exclusive: do not share a handle with a cluster primary; we want the kernel's answer.
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return (await probePort(port, host)) === undefined;
}

function checkRange(first: number, count: number): void {
  if (!Number.isInteger(first) || first < 1) throw new Error(`base port must be a positive integer, got ${first}`);
  const last = first + count * PORTS_PER_NODE - 1;
  if (last > MAX_PORT) throw new Error(`${count} node(s) need ports ${first}..${last}, beyond ${MAX_PORT}`);
}

/**
 * Loopback ports for `count` nodes starting at `basePort`, every one checked by a real bind on
 * 127.0.0.1; throws PortInUseError naming the first busy port. The check is a snapshot: the ports
 * are not held, so start the nodes promptly.
 */
export async function allocateFixedPorts(count: number, basePort: number): Promise<NodePorts[]> {
  checkRange(basePort, count);
  const out: NodePorts[] = [];
  for (let node = 0; node < count; node++) {
    const ports = portBlock(basePort + node * PORTS_PER_NODE);
    for (const role of PORT_ROLES) {
      const err = await probePort(ports[role]);
      if (err !== undefined) throw new PortInUseError(ports[role], node, role, err);
    }
    out.push(ports);
  }
  return out;
}

/**
 * Searches upward from `searchFrom` for `count` contiguous free blocks. On a busy port the search
 * restarts just past it, so each port is probed about once.
 */
export async function allocateAutoPorts(count: number, searchFrom = DEFAULT_PORT_SEARCH_FROM): Promise<NodePorts[]> {
  checkRange(searchFrom, count);
  const need = count * PORTS_PER_NODE;
  let start = searchFrom;
  search: while (start + need - 1 <= MAX_PORT) {
    for (let p = start; p < start + need; p++) {
      if (!(await isPortFree(p))) {
        start = p + 1;
        continue search;
      }
    }
    return Array.from({ length: count }, (_, i) => portBlock(start + i * PORTS_PER_NODE));
  }
  throw new Error(`no ${need} contiguous free loopback ports between ${searchFrom} and ${MAX_PORT}`);
}

export function allocateLoopbackPorts(count: number, basePort: number | 'auto', searchFrom?: number): Promise<NodePorts[]> {
  return basePort === 'auto' ? allocateAutoPorts(count, searchFrom) : allocateFixedPorts(count, basePort);
}

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses "host:port" or "[v6addr]:port". The host must be a DNS name or an IP literal because it ends
 * up in persistent_peers and external_address, which CometBFT parses the same way.
 */
export function parseHostPort(s: string): HostPort {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > MAX_PORT) throw new Error(`"${s}" is not host:port (port 1..${MAX_PORT}; IPv6 as [addr]:port)`);
  return { host: m[1] ?? m[2] ?? '', port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Multi-host mode: one p2p address per validator, each node on its own machine. The other roles take
 * the ports just above the p2p port on that machine, so the same layout holds everywhere.
 */
export function multiHostPorts(p2pAddrs: HostPort[]): NodePorts[] {
  return p2pAddrs.map((a, i) => {
    if (a.port + PORTS_PER_NODE - 1 > MAX_PORT) throw new Error(`p2p port ${a.port} on ${a.host} leaves no room for the ${PORTS_PER_NODE - 1} ports above it`);
    // Two validators may share a machine, but then their port blocks must not overlap.
    for (let j = 0; j < i; j++) {
      const b = p2pAddrs[j]!;
      if (b.host.toLowerCase() === a.host.toLowerCase() && Math.abs(b.port - a.port) < PORTS_PER_NODE) {
        throw new Error(`node${j} (${formatHostPort(b)}) and node${i} (${formatHostPort(a)}) share a host and their ${PORTS_PER_NODE}-port blocks overlap`);
      }
    }
    return portBlock(a.port);
  });
}
