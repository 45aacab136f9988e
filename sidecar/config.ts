// HOME/sidecar/sidecar.json: where the sidecar finds its node, its peers and its L2 RPC. Every field
// is optional; a missing file means all defaults. Validation errors name the field and say what fits.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { loadPassphrase } from './store/secret-box.js';

export const PASSPHRASE_ENV = 'SEQPOOL_KEY_PASSPHRASE';
export const SIDECAR_DIR = 'sidecar';
export const CONFIG_FILE = 'sidecar.json';

const multiaddr = z.string().regex(/^\/(ip4|ip6|dns|dns4|dns6)\/[^/]+\/tcp\/\d{1,5}(\/.*)?$/, 'expected a TCP multiaddr such as /ip4/127.0.0.1/tcp/26680');
const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, 'expected an http(s) URL such as http://127.0.0.1:26657');

export const SidecarConfigSchema = z
  .object({
    /** CometBFT RPC of this validator's node. Default: config.toml's rpc.laddr, else http://127.0.0.1:26657. */
    cometRpcUrl: httpUrl.optional(),
    /** libp2p listen addresses of the MPC channel. */
    listen: z.array(multiaddr).min(1).max(8).default(['/ip4/127.0.0.1/tcp/26680']),
    /** Addresses bound on chain (BindPeer) when they differ from the listen addresses (NAT, 0.0.0.0). */
    announce: z.array(multiaddr).min(1).max(8).optional(),
    /** This validator's own L2 RPC, to re-derive appendBatch data hashes. Without it appendBatch is refused. */
    l2RpcUrl: httpUrl.optional(),
    /** This validator's own L1 view of BatchInbox's forced-inclusion queue (decision 46): read at the
     * finalized block, or `confirmations` below the head where L1 has no finality. Without it
     * appendBatch is refused (its forced inclusion cannot be checked). */
    l1: z
      .object({
        rpcUrl: httpUrl,
        batchInbox: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte address'),
        confirmations: z.number().int().min(0).max(1000).default(6),
      })
      .strict()
      .optional(),
    /** File holding the key-store passphrase (relative to HOME/sidecar); SEQPOOL_KEY_PASSPHRASE wins. */
    passphraseFile: z.string().min(1).optional(),
    /** Per-round response deadline of a signing coordinator, ms. */
    roundTimeoutMs: z.number().int().min(100).max(600_000).default(3_000),
    /** Fallback `status` poll interval, ms (the WebSocket normally reports blocks first). */
    pollIntervalMs: z.number().int().min(50).max(60_000).default(1_000),
    /** Largest envelope accepted on the channel, bytes. */
    maxMessageBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(1 << 20),
    /** Prometheus /metrics of this sidecar (docs/operators.md "Metrics"); none without it. */
    metrics: z.object({ listen: z.string().regex(/^[^\s:]+:[0-9]{1,5}$/, 'expected host:port such as 127.0.0.1:26664') }).strict().optional(),
  })
  .strict();

export type SidecarConfig = z.infer<typeof SidecarConfigSchema> & { cometRpcUrl: string };

/** Validates a parsed sidecar.json; throws one error listing each bad field by name. */
export function parseSidecarConfig(raw: unknown, source = CONFIG_FILE): z.infer<typeof SidecarConfigSchema> {
  const r = SidecarConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new Error(`invalid ${source}:\n${lines.join('\n')}\n(fields: cometRpcUrl, listen, announce, l2RpcUrl, l1, passphraseFile, roundTimeoutMs, pollIntervalMs, maxMessageBytes, metrics; see docs/operators.md "Running the sidecar")`);
  }
  return r.data;
}

/** CometBFT's rpc.laddr (tcp://0.0.0.0:26657) as a URL the sidecar can call. */
function rpcUrlFromCometConfig(home: string): string | undefined {
  const file = join(home, 'config', 'config.toml');
  if (!existsSync(file)) return undefined;
  try {
    const toml = parseToml(readFileSync(file, 'utf8')) as { rpc?: { laddr?: string } };
    const m = /^tcp:\/\/([^:]+):(\d+)$/.exec(toml.rpc?.laddr ?? '');
    if (!m) return undefined;
    const host = m[1] === '0.0.0.0' || m[1] === '' ? '127.0.0.1' : m[1];
    return `http://${host}:${m[2]}`;
  } catch {
    return undefined;
  }
}

export function loadSidecarConfig(home: string): SidecarConfig {
  const file = join(home, SIDECAR_DIR, CONFIG_FILE);
  let raw: unknown = {};
  if (existsSync(file)) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const cfg = parseSidecarConfig(raw, file);
  return { ...cfg, cometRpcUrl: cfg.cometRpcUrl ?? rpcUrlFromCometConfig(home) ?? 'http://127.0.0.1:26657' };
}

/** The key-store passphrase: SEQPOOL_KEY_PASSPHRASE, else the passphraseFile. */
export function sidecarPassphrase(home: string, cfg: Pick<SidecarConfig, 'passphraseFile'>): string {
  const file = cfg.passphraseFile === undefined ? undefined : isAbsolute(cfg.passphraseFile) ? cfg.passphraseFile : join(home, SIDECAR_DIR, cfg.passphraseFile);
  try {
    return loadPassphrase({ env: PASSPHRASE_ENV, ...(file ? { file } : {}) });
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `passphraseFile ${file} does not exist` : (e as Error).message;
    throw new Error(`no passphrase for the sidecar key store (${why}): set ${PASSPHRASE_ENV}, or put "passphraseFile" in ${join(home, SIDECAR_DIR, CONFIG_FILE)}`);
  }
}
