// The pool across hosts (issue 14 item 4): `seqpool network generate --hosts` has its homes run on
// four "machines", each validator in its own network namespace with an address of its own on a
// private bridge (test/integration/netns-hosts.ts), the L1 and L2 anvils in the root namespace on the
// bridge's address. Each namespace runs that validator's cometbft, seqpool node and sidecar from the
// generated home exactly as an operator would on a host of its own; nothing runs on loopback across
// validators. The pool commits, runs its genesis DKG over the sidecars' bound addresses, signs and
// appends batches to L1; then one namespace's link goes down for 30 s (a real partition): the other
// three keep committing and batching, and once the link is back the cut-off node catches up and
// every node computes the same app hashes.
//
// Root only (CI is root); elsewhere it is skipped with the reason. docs/operators.md "Across hosts".
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PoolClient } from '../../client/pool-client.js';
import { defaultCometbftBin } from '../../cometbft-config/config-toml.js';
import { readManifest, type NetworkManifest } from '../../cometbft-config/manifest.js';
import { appendedBatches, expectContiguous } from '../../localnet/pool-observe.js';
import { appLogFile, cometbftLogFile, sidecarLogFile } from '../../localnet/processes.js';
import { tryNodeStatus, waitForHeight } from '../../localnet/rpc.js';
import { track } from '../children.js';
import { startTestAnvil } from '../anvil.js';
import { createHosts, ip, netnsUnavailable, removeHosts, runIn, spawnIn, type Hosts } from './netns-hosts.js';
import { assertAppHashesAgree, eventually, rpcQuery } from './testnet.js';
import type { ChildProcess } from 'node:child_process';

const unavailable = netnsUnavailable();
if (unavailable) console.warn(unavailable);
const netnsTest = unavailable ? test.skip : test;

const execFileP = promisify(execFile);
const SEQPOOL_BIN = fileURLToPath(new URL('../../bin/seqpool.js', import.meta.url));
/** Every node has the same port layout on its own host: p2p 26656, rpc +1, abci +2, rest +3, mpc +4. */
const P2P = 26_656;
const PORTS = { rpc: P2P + 1, abci: P2P + 2, rest: P2P + 3, mpc: P2P + 4 };
const PARTITION_MS = 30_000;

/** The test's temp dir: the anvils' logs, and `net/` for what `network generate` writes (it wants an empty dir). */
let root: string;
let dir: string;
let hosts: Hosts;
let manifest: NetworkManifest;
const rpcUrl = (i: number) => `http://${hosts.hosts[i]!.addr}:${PORTS.rpc}`;
const allRpc = () => hosts.hosts.map((_, i) => rpcUrl(i));

async function seqpool(args: string[], timeoutMs: number): Promise<string> {
  try {
    return (await execFileP(process.execPath, [SEQPOOL_BIN, ...args], { timeout: timeoutMs })).stdout;
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`seqpool ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}\n${err.stdout ?? ''}`);
  }
}

/** Waits, inside the namespace, until something accepts TCP connections on 127.0.0.1:port (the app's ABCI socket). */
async function waitListening(ns: string, port: number, child: ChildProcess, what: string): Promise<void> {
  const probe = `const net=require('net');const t0=Date.now();(function go(){const s=net.connect(${port},'127.0.0.1');s.on('connect',()=>process.exit(0));s.on('error',()=>Date.now()-t0>60000?process.exit(1):setTimeout(go,100))})()`;
  const exitedEarly = new Promise<never>((_, reject) => child.once('exit', (code, sig) => reject(new Error(`${what} exited (${code ?? sig}) before listening on 127.0.0.1:${port} in ${ns}`))));
  await Promise.race([runIn(ns, process.execPath, ['-e', probe], 65_000), exitedEarly]);
}

/** A validator on its own host: the app first (CometBFT needs it at start), then cometbft, then the sidecar. */
async function startValidator(i: number): Promise<void> {
  const { ns } = hosts.hosts[i]!;
  const home = manifest.nodes[i]!.home;
  const env = { ...process.env, SEQPOOL_LOG_LEVEL: 'info' };
  const app = spawnIn(ns, process.execPath, [SEQPOOL_BIN, 'node', 'start', '--home', home], appLogFile(home), env);
  await waitListening(ns, PORTS.abci, app, `node${i}'s app`);
  spawnIn(ns, defaultCometbftBin(), ['start', '--home', home], cometbftLogFile(home), env);
  spawnIn(ns, process.execPath, [SEQPOOL_BIN, 'sidecar', 'start', '--home', home], sidecarLogFile(home), env);
}

const heights = async (urls: string[]) => Promise.all(urls.map(async (u) => (await tryNodeStatus(u))?.height ?? -1n));

beforeAll(async () => {
  if (unavailable) return;
  root = mkdtempSync(join(tmpdir(), 'seqpool-netns-'));
  dir = join(root, 'net');
  // One stop for everything, in order: processes, then links, namespaces and bridge (then the dir).
  track({
    stop: async () => {
      await removeHosts();
      if (!process.env.SEQPOOL_KEEP_TESTNET) rmSync(root, { recursive: true, force: true });
    },
  });
  hosts = await createHosts(4);
  // The devnets, as every host reaches them: on the bridge's address, with ports from the allocator.
  // L1 automines for the deployment (the generate step then switches it to a block a second) and
  // finalizes two blocks behind its head, like the localnet's (localnet/anvil.ts).
  const l1 = await startTestAnvil({ chainId: 31337, host: hosts.bridgeAddr, extraArgs: ['--slots-in-an-epoch', '1'], logFile: join(root, 'l1-anvil.log') });
  const l2 = await startTestAnvil({ chainId: 31338, host: hosts.bridgeAddr, blockTime: 1, logFile: join(root, 'l2-anvil.log') });

  const out = await seqpool(
    ['network', 'generate', '--dir', dir, '--hosts', hosts.hosts.map((h) => `${h.addr}:${P2P}`).join(','), '--rpc-listen-host', '0.0.0.0', '--l1-rpc', l1.url, '--l2-rpc', l2.url],
    60_000,
  );
  expect(out).toContain('wrote HOME/seqpool/node.json and HOME/sidecar/sidecar.json for every node');
  manifest = readManifest(dir);
  await Promise.all(manifest.nodes.map((_, i) => startValidator(i)));
  await Promise.all(allRpc().map((u) => waitForHeight(u, 2n, 60_000)));
  // The genesis DKG runs over the addresses the sidecars bound on chain; its key goes to the contracts.
  const keyOut = await seqpool(['network', 'group-key', '--dir', dir, '--rpc', rpcUrl(0), '--timeout', '120'], 130_000);
  expect(keyOut).toMatch(/group key [0-9a-f]+ \(threshold 3 of 4\)/);
}, 240_000);

afterAll(async () => {
  await removeHosts();
}, 60_000);

netnsTest('four validators on four hosts commit, bind their sidecars to their own addresses, sign and batch to L1', async () => {
  const before = await heights(allRpc());
  await eventually('every host to commit 3 more blocks', async () => ((await heights(allRpc())).every((h, i) => h >= before[i]! + 3n) ? true : undefined), 30_000);
  for (const u of allRpc()) expect((await tryNodeStatus(u))!.peers).toBe(3);

  // Each sidecar bound the address its host is reached at (announce), not a wildcard or loopback.
  const vals = (await rpcQuery<{ address: string; peer?: { addrs: string[] } }[]>(rpcUrl(1), '/validators')).value!;
  for (const [i, n] of manifest.nodes.entries()) {
    expect(vals.find((v) => v.address.toUpperCase() === n.validatorAddress)?.peer?.addrs).toEqual([`/ip4/${hosts.hosts[i]!.addr}/tcp/${PORTS.mpc}`]);
  }

  // Batches signed by the pool's threshold key, verified and appended by BatchInbox on L1.
  const batches = await eventually('2 batches appended on L1', async () => {
    const b = await appendedBatches(dir);
    return b.length >= 2 ? b : undefined;
  }, 90_000);
  expectContiguous(batches);
  // Every host's gateway answers from its own address, and agrees on what was finalized.
  await eventually('batch 0 final on every host', async () => {
    const seen = await Promise.all(hosts.hosts.map((h) => new PoolClient(`http://${h.addr}:${PORTS.rest}`).batch(0n)));
    return seen.every((b) => b.status === 'finalized' && b.hash === batches[0]!.batchHash) ? true : undefined;
  }, 30_000);
}, 150_000);

netnsTest('a 30 s partition of one host: the other three go on, it rejoins, catches up and agrees on the app hash', async () => {
  const cut = hosts.hosts[3]!;
  const others = allRpc().slice(0, 3);
  // The cut-off node's height, asked from inside its namespace (the root namespace cannot reach it then).
  const innerHeight = async () => BigInt(JSON.parse(await runIn(cut.ns, process.execPath, ['-e', `fetch('http://127.0.0.1:${PORTS.rpc}/status').then(r=>r.json()).then(j=>console.log(JSON.stringify(j.result.sync_info.latest_block_height)))`])) as string);
  const batchesBefore = (await appendedBatches(dir)).length;
  const h0 = await heights(others);

  await ip('link', 'set', cut.link, 'down');
  const cutAt = await innerHeight();
  await new Promise((r) => setTimeout(r, PARTITION_MS));
  const during = await heights(others);
  const cutAfter = await innerHeight();
  const batchesDuring = (await appendedBatches(dir)).length;
  await ip('link', 'set', cut.link, 'up');

  // 3 of 4 equal powers are more than 2/3: the others kept committing; the cut-off node could not.
  during.forEach((h, i) => expect(h).toBeGreaterThanOrEqual(h0[i]! + 10n));
  expect(cutAfter).toBeLessThanOrEqual(cutAt + 1n);
  // ...and kept signing: 3 sidecars are the threshold.
  expect(batchesDuring).toBeGreaterThan(batchesBefore);

  const head = during.reduce((a, b) => (a > b ? a : b));
  await eventually('the partitioned node to catch up past the others\' head', async () => ((await tryNodeStatus(rpcUrl(3)))?.height ?? 0n) > head + 2n ? true : undefined, 60_000);
  await eventually('it to be connected to its 3 peers again', async () => ((await tryNodeStatus(rpcUrl(3)))?.peers === 3 ? true : undefined), 30_000);
  expect(await assertAppHashesAgree(allRpc())).toBeGreaterThan(0);
  expectContiguous(await appendedBatches(dir));
}, 150_000);
