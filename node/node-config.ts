// HOME/seqpool/node.json: per-node settings that are not consensus (so not in genesis.json) and not
// CometBFT's (so not in config.toml): where this node's bridge reads L1 (LockingPool and BatchInbox)
// and L2, which CometBFT RPC it sends its own txs to, and where the query gateway and the metrics
// endpoint listen (docs/operators.md). Validated with zod so a typo is reported with its path instead of surfacing
// later as a silent listener that never attests anything.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

export const NODE_CONFIG_FILE = join('seqpool', 'node.json');

const address = (what: string) => z.string().regex(/^0x[0-9a-fA-F]{40}$/, `${what} must be a 0x-prefixed 20-byte address`);

const L1Schema = z
  .object({
    rpcUrl: z.string().url('l1.rpcUrl must be an http(s) URL of an Ethereum JSON-RPC'),
    chainId: z.number().int().positive(),
    lockingPool: address('l1.lockingPool'),
    /** The BatchInbox (genesis app_state.l1.batchInbox): followed for BatchAppended, and where this node submits its batches. */
    batchInbox: address('l1.batchInbox').optional(),
    startBlock: z.number().int().nonnegative().default(0),
    confirmations: z.number().int().min(0).default(6),
    /** 'auto': L1's finalized block when the RPC serves one, else `confirmations` (decision 38). */
    finality: z.enum(['auto', 'finalized', 'confirmations']).default('auto'),
    /** How often the pool is compared with L1's contract state when nothing called for it. */
    reconcileIntervalMs: z.number().int().positive().default(300_000),
    /** Comparisons read L1 at multiples of this many blocks (every validator must read the same). */
    checkpointBlocks: z.number().int().positive().default(32),
    pollIntervalMs: z.number().int().positive().default(2_000),
  })
  .strict();

const hostPort = (what: string, example: string) => z.string().regex(/^[^\s:]+:[0-9]{1,5}$/, `${what} must be host:port, e.g. ${example}`);

const L2Schema = z
  .object({
    /** This validator's geth JSON-RPC: the batcher reads blocks there, the relayer submits epochs. */
    rpcUrl: z.string().url('l2.rpcUrl must be an http(s) URL of the L2 JSON-RPC'),
    chainId: z.number().int().positive(),
    sequencerSet: address('l2.sequencerSet'),
    /** How often the L2 head is read when no engine drives the L2 (engineUrl unset). */
    pollIntervalMs: z.number().int().positive().default(1_000),
    /**
     * The L2 adapter (docs/l2.md): with engineUrl this node drives its geth over the Engine API,
     * builds when the pool elected it and imports only blocks the pool's producer signed. Without it
     * the node only reads the L2 head (an L2 someone else drives).
     */
    engineUrl: z.string().url('l2.engineUrl must be the http(s) URL of geth\'s authenticated RPC (--authrpc.addr/port)').optional(),
    /** geth's --authrpc.jwtsecret file (hex); relative paths are from HOME. */
    jwtSecretFile: z.string().min(1).optional(),
    /** L2 block interval when this validator produces (whole seconds: block timestamps are seconds). */
    blockTimeMs: z.number().int().min(1_000).multipleOf(1_000, 'l2.blockTimeMs must be whole seconds (a multiple of 1000)').default(1_000),
    /** Where this node's L2 block exchange listens (other validators push and pull signed blocks). */
    listen: hostPort('l2.listen', '127.0.0.1:26670').optional(),
    /** The other validators' L2 block exchange URLs (their l2.listen), e.g. http://10.0.0.2:26670. */
    peers: z.array(z.string().url('l2.peers must be http(s) URLs of other validators\' l2.listen')).max(1024).default([]),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.engineUrl && !v.jwtSecretFile) ctx.addIssue({ code: 'custom', path: ['jwtSecretFile'], message: 'l2.engineUrl needs l2.jwtSecretFile (the file geth was started with, --authrpc.jwtsecret)' });
    if (v.engineUrl && !v.listen) ctx.addIssue({ code: 'custom', path: ['listen'], message: 'l2.engineUrl needs l2.listen: the other validators pull blocks from it' });
  });

const GatewaySchema = z
  .object({
    listen: z.string().regex(/^[^\s:]+:[0-9]{1,5}$/, 'gateway.listen must be host:port, e.g. 127.0.0.1:1317'),
  })
  .strict();

const MetricsSchema = z
  .object({
    listen: z.string().regex(/^[^\s:]+:[0-9]{1,5}$/, 'metrics.listen must be host:port, e.g. 127.0.0.1:26663'),
  })
  .strict();

const NodeConfigSchema = z
  .object({
    l1: L1Schema.optional(),
    l2: L2Schema.optional(),
    /** This node's CometBFT RPC (default: config.toml [rpc] laddr). */
    cometRpcUrl: z.string().url('cometRpcUrl must be an http(s) URL of the node\'s CometBFT RPC').optional(),
    gateway: GatewaySchema.optional(),
    /** Prometheus /metrics of this node (docs/operators.md "Metrics"); none without it. */
    metrics: MetricsSchema.optional(),
  })
  .strict();

export type NodeConfig = z.output<typeof NodeConfigSchema>;
export type NodeConfigInput = z.input<typeof NodeConfigSchema>;
export type NodeL1Config = z.output<typeof L1Schema>;
export type NodeL2Config = z.output<typeof L2Schema>;

export const nodeConfigFile = (home: string): string => join(home, NODE_CONFIG_FILE);

/** The node's config, or `{}` when HOME/seqpool/node.json does not exist (a node without L1). */
export function readNodeConfig(home: string): NodeConfig {
  const file = nodeConfigFile(home);
  if (!existsSync(file)) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} is not JSON: ${(e as Error).message}`);
  }
  const parsed = NodeConfigSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${file} is invalid (see docs/operators.md):\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

export function writeNodeConfig(home: string, config: NodeConfigInput): string {
  const file = nodeConfigFile(home);
  const checked = NodeConfigSchema.parse(config); // never write a file the node would refuse
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(checked, null, 2) + '\n');
  return file;
}
