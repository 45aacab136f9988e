// The options of generateNetwork, checked with zod before anything touches the disk or the network,
// so a bad call fails with one message that names every offending field.
import { z } from 'zod';
import type { TomlValue } from 'smol-toml';
import type { ConsensusTimeouts } from './config-toml.js';
import type { AppStateFn } from './genesis-doc.js';
import type { Logger } from '../common/log.js';
import { parseHostPort } from './ports.js';

export const MAX_VALIDATORS = 64;

export interface GenerateNetworkOptions {
  /** Parent directory; node homes are DIR/node0..node{N-1}. */
  dir: string;
  /** Number of validators, 1..64. */
  validators: number;
  chainId?: string;
  /** Localnet: first port of node0's block, or 'auto' to search for a free range (default 'auto'). */
  basePort?: number | 'auto';
  /** Where an 'auto' search starts (default 26656). */
  portSearchFrom?: number;
  /** Multi-host: one p2p "host:port" per validator instead of loopback ports. */
  hosts?: string[];
  /** Multi-host: the address RPC binds to on each machine (default 127.0.0.1). */
  rpcListenHost?: string;
  /** How CometBFT reaches the app: TCP on the node's abci port, or a unix socket in its home. */
  abciTransport?: 'tcp' | 'unix';
  /** Derive all keys from this seed (tests, reproducible localnets). Default: CSPRNG keys. */
  seed?: string | Uint8Array;
  /** Replace a network previously generated into `dir`. */
  overwrite?: boolean;
  /** Voting power of every validator, or one per validator (default 10). */
  power?: bigint | bigint[];
  genesisTime?: Date;
  voteExtensionsEnableHeight?: bigint | number;
  blockMaxBytes?: bigint;
  blockMaxGas?: bigint;
  consensus?: Partial<ConsensusTimeouts>;
  logLevel?: string;
  /** Further config.toml overrides by dotted key, applied to every node. */
  configOverrides?: Record<string, TomlValue>;
  appState?: AppStateFn;
  cometbftBin?: string;
  logger?: Logger;
}

export class NetworkOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkOptionsError';
  }
}

const goDuration = z.string().regex(/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/, 'must be a Go duration like "300ms" or "1s"');
const port = z.number().int().min(1).max(65_535);

const schema = z
  .object({
    dir: z.string().min(1, 'dir is required'),
    validators: z
      .number()
      .int('validators must be an integer')
      .min(1, `validators must be between 1 and ${MAX_VALIDATORS}`)
      .max(MAX_VALIDATORS, `validators must be between 1 and ${MAX_VALIDATORS}`),
    chainId: z.string().min(1).max(50).optional(),
    basePort: z.union([port, z.literal('auto')]).optional(),
    portSearchFrom: port.optional(),
    hosts: z
      .array(
        z.string().superRefine((s, ctx) => {
          try {
            parseHostPort(s);
          } catch (e) {
            ctx.addIssue({ code: 'custom', message: (e as Error).message });
          }
        }),
      )
      .optional(),
    rpcListenHost: z.string().min(1).optional(),
    abciTransport: z.enum(['tcp', 'unix']).optional(),
    seed: z.union([z.string().min(1), z.instanceof(Uint8Array).refine((b) => b.length > 0, 'seed must not be empty')]).optional(),
    overwrite: z.boolean().optional(),
    power: z.union([z.bigint().positive(), z.array(z.bigint().positive())]).optional(),
    genesisTime: z.date().optional(),
    voteExtensionsEnableHeight: z.union([z.bigint().nonnegative(), z.number().int().nonnegative()]).optional(),
    blockMaxBytes: z.bigint().optional(),
    blockMaxGas: z.bigint().optional(),
    consensus: z
      .object({
        timeout_propose: goDuration,
        timeout_propose_delta: goDuration,
        timeout_prevote: goDuration,
        timeout_prevote_delta: goDuration,
        timeout_precommit: goDuration,
        timeout_precommit_delta: goDuration,
        timeout_commit: goDuration,
      })
      .partial()
      .strict()
      .optional(),
    logLevel: z.string().min(1).optional(),
    configOverrides: z.record(z.string(), z.unknown()).optional(),
    appState: z.custom<AppStateFn>((f) => typeof f === 'function', 'appState must be a function').optional(),
    cometbftBin: z.string().min(1).optional(),
    logger: z.unknown().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.hosts !== undefined) {
      if (o.hosts.length !== o.validators) {
        ctx.addIssue({ code: 'custom', path: ['hosts'], message: `hosts has ${o.hosts.length} entries for ${o.validators} validators` });
      }
      if (o.basePort !== undefined) ctx.addIssue({ code: 'custom', path: ['basePort'], message: 'basePort is for a localnet; multi-host mode takes ports from hosts' });
      if (new Set(o.hosts.map((h) => h.toLowerCase())).size !== o.hosts.length) ctx.addIssue({ code: 'custom', path: ['hosts'], message: 'hosts contains duplicates' });
    } else if (o.rpcListenHost !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['rpcListenHost'], message: 'rpcListenHost is for multi-host mode (a localnet binds 127.0.0.1)' });
    }
    if (Array.isArray(o.power) && o.power.length !== o.validators) {
      ctx.addIssue({ code: 'custom', path: ['power'], message: `power has ${o.power.length} entries for ${o.validators} validators` });
    }
  });

/** Validates options; throws NetworkOptionsError listing every problem. */
export function parseNetworkOptions(opts: GenerateNetworkOptions): GenerateNetworkOptions {
  const r = schema.safeParse(opts);
  if (!r.success) throw new NetworkOptionsError(`invalid network options:\n${z.prettifyError(r.error)}`);
  return opts;
}
