// HOME/seqpool/node.json: per-node settings that are not consensus (so not in genesis.json) and not
// CometBFT's (so not in config.toml). Today only the L1 section: where this node's bridge reads
// LockingPool events. Validated with zod so a typo is reported with its path instead of surfacing
// later as a silent listener that never attests anything.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

export const NODE_CONFIG_FILE = join('seqpool', 'node.json');

const L1Schema = z
  .object({
    rpcUrl: z.string().url('l1.rpcUrl must be an http(s) URL of an Ethereum JSON-RPC'),
    chainId: z.number().int().positive(),
    lockingPool: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'l1.lockingPool must be a 0x-prefixed 20-byte address'),
    startBlock: z.number().int().nonnegative().default(0),
    confirmations: z.number().int().min(0).default(6),
    pollIntervalMs: z.number().int().positive().default(2_000),
  })
  .strict();

const NodeConfigSchema = z.object({ l1: L1Schema.optional() }).strict();

export type NodeConfig = z.output<typeof NodeConfigSchema>;
export type NodeConfigInput = z.input<typeof NodeConfigSchema>;
export type NodeL1Config = z.output<typeof L1Schema>;

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
