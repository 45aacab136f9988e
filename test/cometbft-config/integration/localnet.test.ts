// Generated homes run on the real pinned binary: one validator, then four separate processes, all
// with the built-in kvstore app, secp256k1 validator keys and vote extensions on from height 2.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCometbftBin } from '../../../cometbft-config/config-toml.js';
import { generateNetwork } from '../../../cometbft-config/network.js';
import type { NetworkManifest, NetworkNode } from '../../../cometbft-config/manifest.js';
import { silentLogger } from '../../../common/log.js';
import { PORTS_PER_NODE } from '../../../cometbft-config/ports.js';
import { freePortBlock } from '../../ports.js';

const bin = defaultCometbftBin();
const WAIT_MS = 60_000;
const children: ChildProcess[] = [];
const dirs: string[] = [];

function start(node: NetworkNode): ChildProcess {
  const logFile = join(node.home, 'cometbft.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(bin, ['start', '--home', node.home, '--proxy_app=kvstore'], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.push(child);
  return child;
}

function logTail(node: NetworkNode): string {
  try {
    return readFileSync(join(node.home, 'cometbft.log'), 'utf8').split('\n').slice(-25).join('\n');
  } catch {
    return '(no log)';
  }
}

async function rpc<T>(node: NetworkNode, path: string): Promise<T> {
  const res = await fetch(`${node.rpcUrl}${path}`, { signal: AbortSignal.timeout(2_000) });
  const body = (await res.json()) as { result?: T; error?: unknown };
  if (!body.result) throw new Error(`${path}: ${JSON.stringify(body.error)}`);
  return body.result;
}

interface Status {
  node_info: { id: string };
  sync_info: { latest_block_height: string };
  validator_info: { address: string; pub_key: { type: string; value: string } };
}

/** Polls /status until the node reports `height`, or fails naming the node and showing its log. */
async function waitForHeight(node: NetworkNode, height: number, child: ChildProcess): Promise<Status> {
  const deadline = Date.now() + WAIT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${node.name} exited with ${child.exitCode}:\n${logTail(node)}`);
    try {
      const s = await rpc<Status>(node, '/status');
      last = `height ${s.sync_info.latest_block_height}`;
      if (Number(s.sync_info.latest_block_height) >= height) return s;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${node.name} did not reach height ${height} within ${WAIT_MS / 1000}s (last: ${last}):\n${logTail(node)}`);
}

async function network(validators: number): Promise<NetworkManifest> {
  const portSearchFrom = await freePortBlock(validators * PORTS_PER_NODE);
  const dir = mkdtempSync(join(tmpdir(), `seqpool-localnet${validators}-`));
  dirs.push(dir);
  return generateNetwork({ dir: join(dir, 'net'), validators, portSearchFrom, logLevel: 'info', logger: silentLogger() });
}

afterAll(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const hard = setTimeout(() => c.kill('SIGKILL'), 5_000);
          c.once('exit', () => {
            clearTimeout(hard);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('a single secp256k1 validator commits blocks past the vote-extension height', async () => {
  const m = await network(1);
  const node = m.nodes[0]!;
  const status = await waitForHeight(node, 4, start(node));
  // The running node reports the identity we generated, so the binary accepted our key files.
  expect(status.node_info.id).toBe(node.nodeId);
  expect(status.validator_info.address).toBe(node.validatorAddress);
  expect(status.validator_info.pub_key).toEqual({ type: 'tendermint/PubKeySecp256k1', value: Buffer.from(node.pubKey).toString('base64') });
  const params = await rpc<{ consensus_params: { abci: { vote_extensions_enable_height: string }; validator: { pub_key_types: string[] } } }>(node, '/consensus_params');
  expect(params.consensus_params.abci.vote_extensions_enable_height).toBe('2');
  expect(params.consensus_params.validator.pub_key_types).toEqual(['secp256k1']);
}, 90_000);

test('four validators in four processes reach height 5 and all of them sign', async () => {
  const m = await network(4);
  const procs = m.nodes.map(start);
  await Promise.all(m.nodes.map((n, i) => waitForHeight(n, 5, procs[i]!)));

  const vals = await rpc<{ validators: { address: string; voting_power: string }[] }>(m.nodes[0]!, '/validators');
  expect(vals.validators.map((v) => v.address).sort()).toEqual(m.nodes.map((n) => n.validatorAddress).sort());

  // Each commit needs > 2/3 of the power; over heights 1..5 every validator must have signed.
  const signers = new Set<string>();
  for (let h = 1; h <= 5; h++) {
    const c = await rpc<{ signed_header: { commit: { signatures: { block_id_flag: number; validator_address: string }[] } } }>(m.nodes[0]!, `/commit?height=${h}`);
    const committed = c.signed_header.commit.signatures.filter((s) => s.block_id_flag === 2).map((s) => s.validator_address);
    expect(committed.length).toBeGreaterThanOrEqual(3);
    committed.forEach((a) => signers.add(a));
  }
  expect([...signers].sort()).toEqual(m.nodes.map((n) => n.validatorAddress).sort());

  // Every node is connected to the other three through the generated persistent_peers.
  for (const n of m.nodes) {
    const ni = await rpc<{ n_peers: string }>(n, '/net_info');
    expect(Number(ni.n_peers)).toBe(3);
  }
}, 120_000);
