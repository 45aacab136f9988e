// config.toml for each node. We never write the file from a template of our own: the pinned binary's
// `cometbft init` produces that version's full default, we parse it (smol-toml), change only the
// keys a localnet needs, and write it back. A key missing from the default is an error, so a typo or
// a CometBFT upgrade that renames a key fails here instead of being silently ignored by the node.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse, stringify, type TomlTable, type TomlValue } from 'smol-toml';

const execFileP = promisify(execFile);

export const CONFIG_TOML_FILE = join('config', 'config.toml');

/** The consensus timeouts of [consensus], as Go duration strings. */
export interface ConsensusTimeouts {
  timeout_propose: string;
  timeout_propose_delta: string;
  timeout_prevote: string;
  timeout_prevote_delta: string;
  timeout_precommit: string;
  timeout_precommit_delta: string;
  timeout_commit: string;
}

/**
 * Localnet timeouts: the 0.38 defaults (3s/1s/1s/1s, deltas 500ms) scaled down about 3x, with the
 * propose timeout kept at 1s so a 64-node network on one machine still gets proposals through; the
 * per-round deltas make a slow round recover on its own.
 */
export const LOCALNET_TIMEOUTS: ConsensusTimeouts = {
  timeout_propose: '1s',
  timeout_propose_delta: '200ms',
  timeout_prevote: '300ms',
  timeout_prevote_delta: '200ms',
  timeout_precommit: '300ms',
  timeout_precommit_delta: '200ms',
  timeout_commit: '300ms',
};

/** What differs between the nodes of a network (and a few knobs that callers may turn). */
export interface NodeConfig {
  moniker: string;
  /** tcp://127.0.0.1:PORT or unix:///abs/path.sock: where CometBFT dials the app. */
  proxyApp: string;
  /** tcp://HOST:PORT CometBFT listens on for peers. */
  p2pLaddr: string;
  /** host:port other nodes should dial, advertised in the node info. */
  externalAddress: string;
  /** tcp://HOST:PORT of the RPC server. */
  rpcLaddr: string;
  /** id@host:port of every other validator. */
  persistentPeers: string[];
  /** host:port of CometBFT's Prometheus endpoint ([instrumentation]); metrics stay off without it. */
  prometheusListen?: string;
  logLevel?: string;
  consensus?: Partial<ConsensusTimeouts>;
  /** Extra overrides by dotted key ('mempool.size', 'log_format'); the key must exist in the default. */
  extra?: Record<string, TomlValue>;
}

/** The pinned binary: $SEQPOOL_COMETBFT_BIN, else `.bin/cometbft` in the nearest enclosing repo. */
export function defaultCometbftBin(): string {
  const fromEnv = process.env.SEQPOOL_COMETBFT_BIN;
  if (fromEnv) return resolve(fromEnv);
  // Walk up so the same code finds it from cometbft-config/ (jest) and from dist/cometbft-config/.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, '.bin', 'cometbft');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('cannot find .bin/cometbft; run scripts/ensure-cometbft.sh (or set SEQPOOL_COMETBFT_BIN)');
}

const defaults = new Map<string, Promise<TomlTable>>();

/** The pinned binary's default config.toml, parsed; `cometbft init` runs once per binary per process. */
export function defaultConfigToml(cometbftBin: string = defaultCometbftBin()): Promise<TomlTable> {
  let p = defaults.get(cometbftBin);
  if (!p) {
    p = readDefault(cometbftBin);
    defaults.set(cometbftBin, p);
    p.catch(() => defaults.delete(cometbftBin)); // do not cache a failure
  }
  return p.then((t) => structuredClone(t));
}

async function readDefault(bin: string): Promise<TomlTable> {
  if (!existsSync(bin)) throw new Error(`CometBFT binary ${bin} not found; run scripts/ensure-cometbft.sh`);
  const home = mkdtempSync(join(tmpdir(), 'seqpool-cometbft-init-'));
  try {
    try {
      await execFileP(bin, ['init', '--home', home], { timeout: 30_000 });
    } catch (e) {
      const err = e as Error & { stderr?: string };
      throw new Error(`\`${bin} init\` failed: ${err.stderr?.trim() || err.message}`);
    }
    const table = parse(readFileSync(join(home, CONFIG_TOML_FILE), 'utf8'));
    const version = table.version;
    // Our genesis and key formats are those of 0.38; another major/minor would need a review.
    if (typeof version !== 'string' || !version.startsWith('0.38.')) {
      throw new Error(`${bin} is CometBFT ${String(version)}, expected v0.38.x (see cometbft.version)`);
    }
    return table;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Sets an existing key by dotted path; throws if the section or key is not in the default. */
export function setKnown(table: TomlTable, dotted: string, value: TomlValue): void {
  const parts = dotted.split('.');
  const key = parts.pop()!;
  let t: TomlTable = table;
  for (const section of parts) {
    const next = t[section];
    if (typeof next !== 'object' || next === null || Array.isArray(next) || next instanceof Date) {
      throw new Error(`config.toml has no section [${parts.join('.')}] (setting ${dotted})`);
    }
    t = next as TomlTable;
  }
  if (!(key in t)) throw new Error(`config.toml has no key ${dotted} in this CometBFT version`);
  const old = t[key];
  if (old !== undefined && typeof old !== typeof value && !(Array.isArray(old) && Array.isArray(value))) {
    throw new Error(`config.toml ${dotted} is a ${typeof old}, cannot set it to ${typeof value}`);
  }
  t[key] = value;
}

/** Applies one node's overrides to a copy of the default table and returns the TOML text. */
export function renderConfigToml(base: TomlTable, node: NodeConfig, peerCount: number): string {
  const t = structuredClone(base);
  const timeouts = { ...LOCALNET_TIMEOUTS, ...node.consensus };
  const set = (k: string, v: TomlValue): void => setKnown(t, k, v);
  set('moniker', node.moniker);
  set('proxy_app', node.proxyApp);
  set('abci', 'socket');
  set('db_backend', 'goleveldb');
  set('log_level', node.logLevel ?? 'info');
  set('rpc.laddr', node.rpcLaddr);
  set('rpc.pprof_laddr', ''); // pprof off: it exposes goroutine dumps to anyone on the port
  set('p2p.laddr', node.p2pLaddr);
  set('p2p.external_address', node.externalAddress);
  set('p2p.persistent_peers', node.persistentPeers.join(','));
  // Every peer is on a private or loopback address and several share an IP in a localnet.
  set('p2p.addr_book_strict', false);
  set('p2p.allow_duplicate_ip', true);
  // Inbound connections beyond max_num_inbound_peers (default 40) are refused even from persistent
  // peers, which would split a 64-validator localnet; make room for all of them.
  const inbound = t.p2p && (t.p2p as TomlTable).max_num_inbound_peers;
  const outbound = t.p2p && (t.p2p as TomlTable).max_num_outbound_peers;
  if (typeof inbound === 'number' && inbound < peerCount) set('p2p.max_num_inbound_peers', peerCount);
  if (typeof outbound === 'number' && outbound < peerCount) set('p2p.max_num_outbound_peers', peerCount);
  for (const [k, v] of Object.entries(timeouts)) set(`consensus.${k}`, v);
  set('consensus.create_empty_blocks', true);
  // CometBFT's own metrics (cometbft_consensus_height, _missing_validators, ...) on the node's
  // cometMetrics port; loopback on a localnet, like the RPC.
  set('instrumentation.prometheus', node.prometheusListen !== undefined);
  if (node.prometheusListen !== undefined) set('instrumentation.prometheus_listen_addr', node.prometheusListen);
  for (const [k, v] of Object.entries(node.extra ?? {})) set(k, v);
  return `# Generated by seqpool cometbft-config from the pinned CometBFT's default config.\n${stringify(t)}\n`;
}

export function writeConfigToml(home: string, text: string): void {
  writeFileSync(join(home, CONFIG_TOML_FILE), text);
}
