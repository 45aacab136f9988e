import { createServer, type Server } from 'node:net';
import {
  allocateAutoPorts,
  allocateFixedPorts,
  isPortFree,
  multiHostPorts,
  parseHostPort,
  PortInUseError,
  PORTS_PER_NODE,
} from '../../cometbft-config/ports.js';
import { freePortBlock } from '../ports.js';

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** Holds a loopback port for the rest of the file. */
async function occupy(port: number): Promise<number> {
  const s = createServer();
  servers.push(s);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen({ port, host: '127.0.0.1' }, resolve);
  });
  const addr = s.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return addr.port;
}

/** A free range to test in, from the test suite's port allocator (test/ports.ts). */
async function freeBase(count: number): Promise<number> {
  return freePortBlock(count * PORTS_PER_NODE);
}

test('each node gets a contiguous block of nine ports in role order', async () => {
  const base = await freeBase(3);
  const ports = await allocateFixedPorts(3, base);
  expect(PORTS_PER_NODE).toBe(13);
  expect(ports[0]).toEqual({ p2p: base, rpc: base + 1, abci: base + 2, rest: base + 3, mpc: base + 4, spare: base + 5, cometMetrics: base + 6, nodeMetrics: base + 7, sidecarMetrics: base + 8, l2Rpc: base + 9, l2Auth: base + 10, l2P2p: base + 11, l2Exchange: base + 12 });
  expect(ports[2]!.p2p).toBe(base + 2 * PORTS_PER_NODE);
  const all = ports.flatMap((p) => Object.values(p));
  expect(new Set(all).size).toBe(3 * PORTS_PER_NODE);
});

test('a busy port in a fixed range fails with an error naming the port, node and role', async () => {
  const base = await freeBase(2);
  const busy = await occupy(base + PORTS_PER_NODE + 1); // node1 rpc
  expect(await isPortFree(busy)).toBe(false);
  const err = await allocateFixedPorts(2, base).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PortInUseError);
  expect((err as PortInUseError).port).toBe(busy);
  expect((err as Error).message).toBe(`port ${busy} (node1 rpc) is not free on 127.0.0.1: EADDRINUSE`);
});

test("'auto' skips past a busy port to the next free contiguous range", async () => {
  const base = await freeBase(2);
  const busy = await occupy(base + 3);
  const ports = await allocateAutoPorts(2, base);
  expect(ports[0]!.p2p).toBeGreaterThan(busy);
  for (const p of ports.flatMap((b) => Object.values(b))) expect(await isPortFree(p)).toBe(true);
});

test('ranges that run past 65535 are refused', async () => {
  await expect(allocateFixedPorts(2, 65_530)).rejects.toThrow(/beyond 65535/);
});

test('host:port parsing accepts names, IPv4 and bracketed IPv6, and rejects the rest', () => {
  expect(parseHostPort('val1.example.com:26656')).toEqual({ host: 'val1.example.com', port: 26656 });
  expect(parseHostPort('10.0.0.2:1')).toEqual({ host: '10.0.0.2', port: 1 });
  expect(parseHostPort('[::1]:26656')).toEqual({ host: '::1', port: 26656 });
  for (const bad of ['host', 'host:', ':26656', 'host:0', 'host:65536', 'ho st:1', '::1:26656', 'tcp://h:1', 'h:1:2']) {
    expect(() => parseHostPort(bad)).toThrow(/is not host:port/);
  }
});

test('multi-host ports follow each p2p port, and overlapping blocks on one host are refused', () => {
  const ports = multiHostPorts([parseHostPort('a:26656'), parseHostPort('b:26656')]);
  expect(ports[1]).toEqual({ p2p: 26656, rpc: 26657, abci: 26658, rest: 26659, mpc: 26660, spare: 26661, cometMetrics: 26662, nodeMetrics: 26663, sidecarMetrics: 26664, l2Rpc: 26665, l2Auth: 26666, l2P2p: 26667, l2Exchange: 26668 });
  expect(() => multiHostPorts([parseHostPort('a:26656'), parseHostPort('a:26668')])).toThrow(/node0 \(a:26656\) and node1 \(a:26668\) share a host/);
  expect(multiHostPorts([parseHostPort('a:26656'), parseHostPort('a:26669')])).toHaveLength(2);
  expect(() => multiHostPorts([parseHostPort('a:65533')])).toThrow(/no room/);
});
