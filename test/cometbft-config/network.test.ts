import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { generateNetwork, NetworkOptionsError, readManifest, loadValidatorKey, loadNodeKey, type GenerateNetworkOptions } from '../../cometbft-config/index.js';
import { PORTS_PER_NODE } from '../../cometbft-config/ports.js';
import { freePortBlock } from '../ports.js';
import { silentLogger } from '../../common/log.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'seqpool-net-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const logger = silentLogger();
// Whole blocks: `validators: 2.5` is one of the refused options, and half a port is no port.
const gen = async (o: Partial<GenerateNetworkOptions>) =>
  generateNetwork({ dir: join(root, 'net'), validators: 1, portSearchFrom: await freePortBlock(PORTS_PER_NODE * Math.ceil(o.validators ?? 1)), logger, ...o });
type Toml = Record<string, Record<string, unknown>> & Record<string, unknown>;
const toml = (home: string): Toml => parse(readFileSync(join(home, 'config', 'config.toml'), 'utf8')) as Toml;

test('four nodes: homes, manifest, peers and genesis agree with each other', async () => {
  const m = await gen({ validators: 4, chainId: 'seqpool-test' });
  expect(m.chainId).toBe('seqpool-test');
  expect(m.nodes.map((n) => n.name)).toEqual(['node0', 'node1', 'node2', 'node3']);
  const genesis = JSON.parse(readFileSync(join(m.nodes[0]!.home, 'config', 'genesis.json'), 'utf8'));
  expect(genesis.validators.map((v: { address: string }) => v.address)).toEqual(m.nodes.map((n) => n.validatorAddress));
  for (const [i, n] of m.nodes.entries()) {
    expect(n.home).toBe(join(root, 'net', `node${i}`));
    for (const f of ['config/config.toml', 'config/genesis.json', 'config/priv_validator_key.json', 'config/node_key.json', 'data/priv_validator_state.json']) {
      expect(existsSync(join(n.home, f))).toBe(true);
    }
    expect(readFileSync(join(n.home, 'config', 'genesis.json'), 'utf8')).toBe(JSON.stringify(genesis, null, 2));
    const key = loadValidatorKey(n.home);
    expect(Buffer.from(key.pubKey).toString('hex')).toBe(Buffer.from(n.pubKey).toString('hex'));
    expect(loadNodeKey(n.home).id).toBe(n.nodeId);
    const t = toml(n.home);
    expect(t.moniker).toBe(n.name);
    expect(t.proxy_app).toBe(`tcp://127.0.0.1:${n.ports.abci}`);
    expect(n.abciAddress).toBe(t.proxy_app);
    // CometBFT's own Prometheus on the node's cometMetrics port, loopback like the RPC.
    expect(t.instrumentation!.prometheus).toBe(true);
    expect(t.instrumentation!.prometheus_listen_addr).toBe(`127.0.0.1:${n.ports.cometMetrics}`);
    expect(n.rpcUrl).toBe(`http://127.0.0.1:${n.ports.rpc}`);
    expect(t.rpc!.laddr).toBe(`tcp://127.0.0.1:${n.ports.rpc}`);
    expect(t.p2p!.laddr).toBe(`tcp://127.0.0.1:${n.ports.p2p}`);
    const peers = String(t.p2p!.persistent_peers).split(',').sort();
    expect(peers).toEqual(m.nodes.filter((o) => o !== n).map((o) => `${o.nodeId}@127.0.0.1:${o.ports.p2p}`).sort());
  }
  const ports = m.nodes.flatMap((n) => Object.values(n.ports));
  expect(new Set(ports).size).toBe(4 * PORTS_PER_NODE);
  // The manifest on disk reads back to what was returned.
  expect(readManifest(join(root, 'net'))).toEqual(m);
});

test('a seed gives the same keys every time, different seeds give different keys', async () => {
  const from = await freePortBlock(2 * PORTS_PER_NODE);
  const a = await generateNetwork({ dir: join(root, 'a'), validators: 2, seed: 's1', portSearchFrom: from, logger });
  const b = await generateNetwork({ dir: join(root, 'b'), validators: 2, seed: 's1', portSearchFrom: from, logger });
  const c = await generateNetwork({ dir: join(root, 'c'), validators: 2, seed: 's2', portSearchFrom: from, logger });
  expect(b.nodes.map((n) => [n.validatorAddress, n.nodeId])).toEqual(a.nodes.map((n) => [n.validatorAddress, n.nodeId]));
  expect(c.nodes[0]!.validatorAddress).not.toBe(a.nodes[0]!.validatorAddress);
  expect(a.nodes[0]!.validatorAddress).not.toBe(a.nodes[1]!.validatorAddress);
  const r = await generateNetwork({ dir: join(root, 'r'), validators: 2, portSearchFrom: from, logger });
  expect(r.nodes[0]!.validatorAddress).not.toBe(a.nodes[0]!.validatorAddress);
});

test('options are checked with clear errors', async () => {
  const bad: [Partial<GenerateNetworkOptions>, RegExp][] = [
    [{ validators: 0 }, /validators must be between 1 and 64/],
    [{ validators: 65 }, /validators must be between 1 and 64/],
    [{ validators: 2.5 }, /validators must be an integer/],
    [{ validators: 2, hosts: ['a:1', 'nope'] }, /"nope" is not host:port/],
    [{ validators: 2, hosts: ['a:26656'] }, /hosts has 1 entries for 2 validators/],
    [{ validators: 2, hosts: ['a:26656', 'b:26656'], basePort: 30000 }, /basePort is for a localnet/], // port-lint: refused before any bind
    [{ basePort: 70000 }, /basePort/], // port-lint: refused before any bind
    [{ validators: 2, power: [1n] }, /power has 1 entries for 2 validators/],
    [{ consensus: { timeout_commit: 'fast' } }, /Go duration/],
    [{ chainId: '' }, /chainId/],
    [{ abciTransport: 'grpc' as 'tcp' }, /abciTransport/],
    [{ bogus: 1 } as Partial<GenerateNetworkOptions>, /bogus/],
  ];
  for (const [o, re] of bad) {
    const err = await gen(o).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkOptionsError);
    expect((err as Error).message).toMatch(re);
  }
  expect(existsSync(join(root, 'net'))).toBe(false);
});

test('refuses a non-empty directory, and overwrite replaces only a network we generated', async () => {
  const dir = join(root, 'net');
  mkdirSync(dir);
  writeFileSync(join(dir, 'precious.txt'), 'x');
  await expect(gen({})).rejects.toThrow(/is not empty; pass overwrite/);
  await expect(gen({ overwrite: true })).rejects.toThrow(/holds no network.json[\s\S]*refusing/);
  rmSync(join(dir, 'precious.txt'));

  const first = await gen({ validators: 3 });
  await expect(gen({})).rejects.toThrow(NetworkOptionsError);
  expect(existsSync(join(dir, 'node2'))).toBe(true);
  writeFileSync(join(dir, 'notes.txt'), 'kept');
  const second = await gen({ validators: 2, overwrite: true });
  expect(second.nodes[0]!.validatorAddress).not.toBe(first.nodes[0]!.validatorAddress);
  expect(existsSync(join(dir, 'node2'))).toBe(false);
  expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('kept');
});

test('a busy fixed base port fails before anything is written', async () => {
  const base = await freePortBlock(PORTS_PER_NODE);
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen({ port: base + 2, host: '127.0.0.1' }, r));
  try {
    await expect(gen({ basePort: base })).rejects.toThrow(`port ${base + 2} (node0 abci) is not free`);
    expect(existsSync(join(root, 'net'))).toBe(false);
  } finally {
    await new Promise((r) => s.close(r));
  }
});

test('unix ABCI sockets live in each home', async () => {
  const m = await gen({ validators: 2, abciTransport: 'unix' });
  for (const n of m.nodes) {
    expect(n.abciAddress).toBe(`unix://${join(n.home, 'abci.sock')}`);
    expect(toml(n.home).proxy_app).toBe(n.abciAddress);
  }
  const deep = join(root, 'x'.repeat(120));
  await expect(generateNetwork({ dir: deep, validators: 1, abciTransport: 'unix', logger })).rejects.toThrow(/unix socket path .* longer than/);
});

test('multi-host mode advertises each host and dials peers there', async () => {
  const hosts = ['val0.example.org:26656', '10.1.2.3:27000', '[fd00::5]:26656'];
  const m = await gen({ validators: 3, hosts, power: [1n, 2n, 3n] });
  expect(m.nodes.map((n) => n.p2pAddress)).toEqual(hosts);
  expect(m.nodes[1]!.ports).toEqual({ p2p: 27000, rpc: 27001, abci: 27002, rest: 27003, mpc: 27004, spare: 27005, cometMetrics: 27006, nodeMetrics: 27007, sidecarMetrics: 27008, l2Rpc: 27009, l2Auth: 27010, l2P2p: 27011, l2Exchange: 27012 });
  const t = toml(m.nodes[0]!.home);
  expect(t.p2p!.laddr).toBe('tcp://0.0.0.0:26656');
  expect(t.p2p!.external_address).toBe('val0.example.org:26656');
  expect(String(t.p2p!.persistent_peers).split(',')).toEqual([`${m.nodes[1]!.nodeId}@10.1.2.3:27000`, `${m.nodes[2]!.nodeId}@[fd00::5]:26656`]);
  expect(t.rpc!.laddr).toBe('tcp://127.0.0.1:26657');
  expect(t.instrumentation!.prometheus_listen_addr).toBe('127.0.0.1:26662');
  const genesis = JSON.parse(readFileSync(join(m.nodes[2]!.home, 'config', 'genesis.json'), 'utf8'));
  expect(genesis.validators.map((v: { power: string }) => v.power)).toEqual(['1', '2', '3']);
});

test('the upper bound of 64 validators generates, with room for every peer', async () => {
  const m = await gen({ validators: 64, seed: 'big' });
  expect(m.nodes).toHaveLength(64);
  expect(new Set(m.nodes.map((n) => n.validatorAddress)).size).toBe(64);
  expect(new Set(m.nodes.map((n) => n.nodeId)).size).toBe(64);
  const t = toml(m.nodes[63]!.home);
  expect(String(t.p2p!.persistent_peers).split(',')).toHaveLength(63);
  expect(t.p2p!.max_num_inbound_peers).toBe(63);
}, 60_000);
