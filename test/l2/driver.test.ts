// The L2 adapter (l2/driver.ts) on three real geths: the producer the schedule names builds 1-s
// blocks with its fee recipient and signature, the others import them; a validator that builds out
// of turn is refused by every follower; a handover at the attested head drops the old producer's
// unattested blocks everywhere and the new producer extends the chain from there; a follower that
// was stopped catches up by pulling. The schedule is scripted here (the pool's committed state in
// the localnet tests); the transport hands blocks between drivers in memory (HTTP in those tests).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, createWalletClient, http, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { EngineClient } from '../../l2/engine.js';
import { l2Genesis } from '../../l2/genesis.js';
import { readJwtSecret } from '../../l2/jwt.js';
import { L2BlockStore } from '../../l2/block-store.js';
import { L2Driver } from '../../l2/driver.js';
import type { L2PeerTransport } from '../../l2/peers.js';
import type { L2Schedule, L2Slot } from '../../l2/schedule.js';
import type { SignedL2Block } from '../../protocol/l2-block.js';
import { enodeOf, gethHome, initGeth, launchGeth, writeGethPeers } from '../../localnet/geth.js';
import { isAlive } from '../../localnet/processes.js';
import { fromHex } from '../../common/bytes.js';
import { createLogger } from '../../common/log.js';
import { track } from '../children.js';
import { freePort } from '../ports.js';

const CHAIN_ID = 9902;
const KEYS: Hex[] = ['0x' + '11'.repeat(32), '0x' + '22'.repeat(32), '0x' + '33'.repeat(32)] as Hex[];
const ADDR = KEYS.map((k) => privateKeyToAccount(k).address.toLowerCase() as Hex);
const USER = privateKeyToAccount(`0x${'ab'.repeat(32)}`);
const dir = mkdtempSync(join(tmpdir(), 'seqpool-l2drv-'));

/** The pool's committed state, scripted: heights >= each `from` belong to `signer`. */
class ScriptedSchedule implements L2Schedule {
  height = 1n;
  attested = 0n;
  spans: { from: bigint; signer: Hex; epochId: bigint }[] = [{ from: 1n, signer: ADDR[0]!, epochId: 0n }];
  poolHeight(): bigint {
    return this.height;
  }
  poolTime(): bigint {
    return BigInt(Math.floor(Date.now() / 1000));
  }
  async slot(h: bigint): Promise<L2Slot | undefined> {
    const s = [...this.spans].reverse().find((x) => x.from <= h);
    return s && { signer: s.signer, epochId: s.epochId, mustRecommit: false };
  }
  async attestedHead(): Promise<bigint> {
    return this.attested;
  }
  async settled() {
    return { safe: 0n, finalized: 0n };
  }
  handTo(signer: Hex, from: bigint): void {
    this.spans.push({ from, signer, epochId: BigInt(this.spans.length) });
    this.height++;
  }
}

interface Node {
  name: string;
  engine: EngineClient;
  rpc: string;
  store: L2BlockStore;
  driver?: L2Driver;
  refused: string[];
  schedule: L2Schedule;
  home: string;
  ports: { p2p: number; http: number; auth: number };
  gethPid: number;
}
const nodes: Node[] = [];
const honest = new ScriptedSchedule();

/** In-memory transport: push calls the other running drivers, pull reads their stores. */
function transport(self: Node): L2PeerTransport {
  const others = () => nodes.filter((n) => n !== self && n.driver);
  return {
    publish: (b: SignedL2Block) => {
      for (const n of others()) void n.driver!.receive(b, self.name).catch(() => undefined);
    },
    fetch: async (h, accept) => {
      for (const n of others()) {
        const b = await n.driver!.blockAt(h);
        if (b && (await accept(b, n.name))) return true;
      }
      return false;
    },
  };
}

async function startDriver(n: Node, key: Hex): Promise<void> {
  n.driver = new L2Driver({
    engine: n.engine,
    chainId: BigInt(CHAIN_ID),
    privKey: fromHex(key),
    address: privateKeyToAccount(key).address,
    schedule: n.schedule,
    store: n.store,
    peers: transport(n),
    blockTimeMs: 1000,
    ...(process.env.DRIVER_LOG ? { logger: createLogger(n.name, { level: 'debug', destination: 2 }) } : {}),
    events: { refused: (h, from, reason) => n.refused.push(`${h} from ${from}: ${reason}`) },
  });
  n.driver.start();
  await until(`${n.name} ready`, () => n.driver!.ready, 10_000);
}

const until = async (what: string, cond: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
const hashAt = async (n: Node, h: bigint) => (await n.engine.block(h))?.hash;

beforeAll(async () => {
  const genesisFile = join(dir, 'genesis.json');
  writeFileSync(genesisFile, JSON.stringify(l2Genesis({ chainId: CHAIN_ID, alloc: { [USER.address]: 10n ** 21n } })));
  const ports: { p2p: number; http: number; auth: number }[] = [];
  for (let i = 0; i < 3; i++) {
    await initGeth(join(dir, `v${i}`), genesisFile);
    ports.push({ p2p: await freePort(), http: await freePort(), auth: await freePort() });
  }
  for (let i = 0; i < 3; i++) {
    const home = join(dir, `v${i}`);
    writeGethPeers(home, ports.flatMap((p, j) => (j === i ? [] : [enodeOf(gethHome(join(dir, `v${j}`)).nodekeyFile, '127.0.0.1', p.p2p)])));
    const pid = (await launchGeth({ home, chainId: CHAIN_ID, ports: ports[i]! })).pid!;
    const idx = i;
    track({ stop: async () => void (() => { try { process.kill(nodes[idx]?.gethPid ?? pid, 'SIGKILL'); } catch { /* gone */ } })() });
    const store = new L2BlockStore(join(home, 'l2store'));
    await store.open();
    track({ stop: () => store.close().catch(() => undefined) });
    nodes.push({ name: `v${i}`, engine: new EngineClient({ url: `http://127.0.0.1:${ports[i]!.auth}`, secret: readJwtSecret(gethHome(home).jwtFile) }), rpc: `http://127.0.0.1:${ports[i]!.http}`, store, refused: [], schedule: honest, home, ports: ports[i]!, gethPid: pid });
  }
  for (let i = 0; i < 3; i++) await startDriver(nodes[i]!, KEYS[i]!);
  track({ stop: async () => { for (const n of nodes) await n.driver?.stop(); } });
}, 90_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the elected producer builds 1-s blocks with its fee recipient; a transfer sent to a follower is included; all agree', async () => {
  const [a, b, c] = nodes as [Node, Node, Node];
  await until('block 2 everywhere', async () => nodes.every((n) => n.driver!.head().number >= 2n));
  const chain = { id: CHAIN_ID, name: 'l2', nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [c.rpc] } } } as const;
  const tx = await createWalletClient({ account: USER, chain, transport: http() }).sendTransaction({ to: ADDR[2]!, value: 1n, maxPriorityFeePerGas: 10n ** 9n, maxFeePerGas: 5n * 10n ** 9n });
  const receipt = await createPublicClient({ transport: http(c.rpc) }).waitForTransactionReceipt({ hash: tx, timeout: 15_000, pollingInterval: 100 });
  const block = await createPublicClient({ transport: http(b.rpc) }).getBlock({ blockNumber: receipt.blockNumber });
  expect(block.miner.toLowerCase()).toBe(ADDR[0]);
  const h = a.driver!.head().number;
  await until('followers at the producer head', () => nodes.every((n) => n.driver!.head().number >= h));
  for (let i = 1n; i <= h; i++) {
    const want = await hashAt(a, i);
    expect(await hashAt(b, i)).toBe(want);
    expect(await hashAt(c, i)).toBe(want);
  }
  // One second apart: timestamps of consecutive blocks.
  const t1 = (await a.engine.block(h - 1n))!.timestamp;
  const t2 = (await a.engine.block(h))!.timestamp;
  expect(BigInt(t2) - BigInt(t1)).toBe(1n);
}, 60_000);

test('a validator building out of turn is refused by every follower', async () => {
  const [a, b, c] = nodes as [Node, Node, Node];
  // v1 runs with a schedule that says it is the producer (byzantine: it ignores the pool), and v0,
  // the elected producer, is down: v1's blocks are the only ones at the followers' next height.
  await a.driver!.stop();
  await b.driver!.stop();
  await new Promise((r) => setTimeout(r, 300)); // v0's last push has landed
  const h = c.driver!.head().number;
  const rogue = new ScriptedSchedule();
  rogue.spans = [{ from: 1n, signer: ADDR[0]!, epochId: 0n }, { from: h + 1n, signer: ADDR[1]!, epochId: 1n }];
  b.schedule = rogue;
  const before = c.refused.length;
  await startDriver(b, KEYS[1]!);
  await until('v2 refuses v1\'s blocks', () => c.refused.length > before);
  expect(c.refused.slice(before).join('\n')).toMatch(new RegExp(`from v1: signed by ${ADDR[1]}, but the pool elected ${ADDR[0]}`));
  await until('v1 built two blocks', () => b.driver!.head().number >= h + 2n);
  expect(c.driver!.head().number).toBe(h);
  // v0 comes back: it too refuses v1's blocks (pushed and pulled), and v2 follows v0 again.
  await startDriver(a, KEYS[0]!);
  await until('v2 follows v0 again', async () => c.driver!.head().number >= h + 2n);
  for (const n of [a, c]) expect((await n.engine.block(h + 1n))!.miner.toLowerCase()).toBe(ADDR[0]);
  expect(await hashAt(c, h + 2n)).toBe(await hashAt(a, h + 2n));
  await b.driver!.stop();
  b.schedule = honest;
}, 60_000);

test('a handover at the attested head drops the old producer\'s unattested blocks; the new producer extends the chain; a stopped follower catches up', async () => {
  const [a, b, c] = nodes as [Node, Node, Node];
  // v1 comes back as an honest follower: the blocks it built out of turn are in its store, were
  // never elected, and are dropped at start; it pulls v0's chain instead.
  await startDriver(b, KEYS[1]!);
  await until('v1 follows v0', async () => b.driver!.head().number >= a.driver!.head().number - 1n && (await hashAt(b, b.driver!.head().number)) === (await hashAt(a, b.driver!.head().number)), 30_000);
  await c.driver!.stop();
  const attested = a.driver!.head().number;
  honest.attested = attested;
  await until('v0 builds beyond the attested head', () => a.driver!.head().number >= attested + 2n);
  // The pool re-spans: v1 builds from attested + 1; v0's blocks above it are no longer elected.
  honest.handTo(ADDR[1]!, attested + 1n);
  await until('v1 builds 3 blocks of its own', async () => b.driver!.head().number >= attested + 3n && (await b.engine.block(attested + 3n))?.miner.toLowerCase() === ADDR[1]);
  await until('v0 follows v1', async () => a.driver!.head().number >= attested + 3n && (await hashAt(a, attested + 3n)) === (await hashAt(b, attested + 3n)));
  expect((await a.engine.block(attested + 1n))!.miner.toLowerCase()).toBe(ADDR[1]);
  expect((await a.engine.block(attested))!.miner.toLowerCase()).toBe(ADDR[0]);
  // v2 was stopped before the handover: it restarts, drops what the pool no longer assigns and pulls.
  await startDriver(c, KEYS[2]!);
  await until('v2 catches up', async () => c.driver!.head().number >= attested + 3n && (await hashAt(c, attested + 3n)) === (await hashAt(b, attested + 3n)), 30_000);
  const head = b.driver!.head().number;
  await until('v2 at v1\'s head', () => c.driver!.head().number >= head);
  expect(await hashAt(c, head)).toBe(await hashAt(b, head));
}, 90_000);

test('a follower whose geth is SIGKILLed (it comes back behind its canonical index) and restarted returns to the others\' head', async () => {
  const [a, , c] = nodes as [Node, Node, Node];
  await until('v2 has blocks', () => c.driver!.head().number >= 3n);
  await c.driver!.stop();
  process.kill(c.gethPid, 'SIGKILL');
  await until('v2\'s geth gone', () => !isAlive(c.gethPid));
  c.gethPid = (await launchGeth({ home: c.home, chainId: CHAIN_ID, ports: c.ports })).pid!;
  // geth keeps recent state in memory: killed, it usually comes back at an older block, sometimes
  // with its canonical index still naming the blocks above (then it ignores a forkchoiceUpdated to
  // them until told its own head: l2/driver.ts restore).
  await startDriver(c, KEYS[2]!);
  const head = a.driver!.head().number;
  await until('v2 back at v0\'s head, in geth too', async () => c.driver!.head().number >= head && (await c.engine.block('latest'))!.hash === (await hashAt(a, c.driver!.head().number)), 30_000);
  expect(await hashAt(c, head)).toBe(await hashAt(a, head));
}, 60_000);
