// One validator's L2 execution client: a geth (go-ethereum, pinned in geth.version, built into .bin/
// by scripts/ensure-geth.sh) in HOME/geth, initialised from the L2 genesis, peered with the other
// validators' geths by static peers (no discovery), its Engine API on loopback behind a JWT secret
// (mode 0600) and its JSON-RPC for users and the node's bridge. Like the validators, it may outlive
// the command that started it (`up --detach`): spawned detached, its pid recorded in localnet.json.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { readFileSync } from 'node:fs';
import { ensureJwtSecret } from '../l2/jwt.js';

/** .bin/geth of this checkout (SEQPOOL_GETH_BIN overrides). */
export function defaultGethBin(): string {
  const fromEnv = process.env.SEQPOOL_GETH_BIN;
  if (fromEnv) return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, '.bin', 'geth');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return join(process.cwd(), '.bin', 'geth');
    dir = parent;
  }
}

export interface GethPorts {
  p2p: number;
  http: number;
  auth: number;
}

export interface GethHome {
  dir: string;
  datadir: string;
  jwtFile: string;
  nodekeyFile: string;
  configFile: string;
  logFile: string;
}

export const gethHome = (home: string): GethHome => {
  const dir = join(home, 'geth');
  return { dir, datadir: join(dir, 'data'), jwtFile: join(dir, 'jwt.hex'), nodekeyFile: join(dir, 'nodekey'), configFile: join(dir, 'config.toml'), logFile: join(dir, 'geth.log') };
};

/** The enode URL of a geth with this node key, reachable at host:port. */
export function enodeOf(nodekeyFile: string, host: string, port: number): string {
  const key = Buffer.from(readFileSync(nodekeyFile, 'utf8').trim(), 'hex');
  const pub = Buffer.from(secp256k1.getPublicKey(key, false).subarray(1)).toString('hex');
  return `enode://${pub}@${host}:${port}`;
}

/**
 * Creates HOME/geth: the node key, the JWT secret, and the chain database from `genesisFile`
 * (`geth init`). Idempotent: an initialised datadir is left as it is.
 */
export async function initGeth(home: string, genesisFile: string): Promise<GethHome> {
  const g = gethHome(home);
  mkdirSync(g.dir, { recursive: true, mode: 0o700 });
  if (!existsSync(g.nodekeyFile)) writeFileSync(g.nodekeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  ensureJwtSecret(g.jwtFile);
  if (!existsSync(join(g.datadir, 'geth', 'chaindata'))) {
    const bin = defaultGethBin();
    if (!existsSync(bin)) throw new Error(`${bin} is missing; run \`make deps\` (it builds geth into .bin/)`);
    try {
      await promisify(execFile)(bin, ['init', '--datadir', g.datadir, genesisFile], { timeout: 60_000 });
    } catch (e) {
      throw new Error(`geth init of ${g.datadir} failed: ${(e as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ') ?? (e as Error).message}`);
    }
  }
  return g;
}

/** geth's config file: only the static peers (every other setting is a flag). */
export function writeGethPeers(home: string, enodes: string[]): void {
  const g = gethHome(home);
  writeFileSync(g.configFile, `[Node.P2P]\nStaticNodes = [${enodes.map((e) => JSON.stringify(e)).join(', ')}]\n`);
}

export interface GethLaunch {
  home: string;
  chainId: number;
  ports: GethPorts;
  /** Interface geth listens on for p2p (default 127.0.0.1) and RPC (default 127.0.0.1). */
  p2pHost?: string;
  rpcHost?: string;
  detach?: boolean;
  /** Tip (wei) a transaction must pay to be included (geth --miner.gasprice; default 1). */
  minTipWei?: bigint;
  /** Called with the process as soon as it is spawned, before it answers: a caller that must kill it on an interrupt needs it then. */
  onSpawn?: (child: ChildProcess) => void;
}

/** The flags of a validator's geth. */
export function gethArgs(l: GethLaunch): string[] {
  const g = gethHome(l.home);
  return [
    '--datadir', g.datadir,
    '--networkid', String(l.chainId),
    '--nodekey', g.nodekeyFile,
    '--config', g.configFile,
    '--port', String(l.ports.p2p),
    '--nat', 'none',
    '--nodiscover',
    '--maxpeers', '64',
    '--authrpc.addr', l.rpcHost ?? '127.0.0.1',
    '--authrpc.port', String(l.ports.auth),
    '--authrpc.jwtsecret', g.jwtFile,
    '--http',
    '--http.addr', l.rpcHost ?? '127.0.0.1',
    '--http.port', String(l.ports.http),
    '--http.api', 'eth,net,web3,txpool',
    '--http.vhosts', '*',
    '--syncmode', 'full',
    '--miner.gasprice', String(l.minTipWei ?? 1n),
    // A transaction that arrives while a block is being built makes the next rebuild (geth's default
    // is 2 s, longer than our 1-s blocks), so it is in the block sealed at the end of the slot.
    '--miner.recommit', '250ms',
    // The adapter is geth's only consensus client and never rewinds below the pool's attested head;
    // a re-span may drop more unattested blocks than geth's default 32.
    '--engine.maxreorgdepth', '0',
    // Forced blocks are derived with eth_simulateV1 (decision 46): a 5 s evm timeout (geth's default)
    // would make a slow but valid forced transaction underivable on a loaded machine, and the L2 would
    // stall on it; execution is bounded by the block gas limit instead.
    '--rpc.evmtimeout', '0s',
    '--verbosity', '3',
  ];
}

/** Starts geth and resolves with its process once its JSON-RPC answers with the chain id. */
export async function launchGeth(l: GethLaunch, timeoutMs = 30_000): Promise<ChildProcess> {
  const g = gethHome(l.home);
  const bin = defaultGethBin();
  if (!existsSync(bin)) throw new Error(`${bin} is missing; run \`make deps\` (it builds geth into .bin/)`);
  if (!existsSync(g.configFile)) writeGethPeers(l.home, []);
  const fd = openSync(g.logFile, 'a');
  const child = spawn(bin, gethArgs(l), { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  l.onSpawn?.(child);
  if (l.detach) child.unref();
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `${code ?? signal}`));
  const url = `http://${l.rpcHost ?? '127.0.0.1'}:${l.ports.http}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const id = await chainIdAt(url);
    if (id === l.chainId) break;
    if (id !== undefined) {
      child.kill('SIGKILL');
      throw new Error(`${url} answers with chain id ${id}, expected ${l.chainId}`);
    }
    if (exited) throw new Error(`geth exited (${exited}) before answering on ${url}; see ${g.logFile}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`geth did not answer on ${url} within ${timeoutMs} ms; see ${g.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (child.pid === undefined) throw new Error('geth has no pid');
  return child;
}

async function chainIdAt(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }), signal: AbortSignal.timeout(1_000) });
    const r = (await res.json()) as { result?: string };
    return r.result ? Number(r.result) : undefined;
  } catch {
    return undefined;
  }
}
