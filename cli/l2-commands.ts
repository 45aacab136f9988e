// `seqpool l2 ...`: the L2 as L1 records it. `l2 verify` is the rollup's verifier node (l2/verifier.ts):
// it rebuilds every L2 block from the batch data on L1 in a fresh geth and reports the first block
// that is INVALID or differs from the pool's L2. Targets: a localnet (--dir, everything read from its
// files) or any deployment (--l1, --inbox, --genesis). `l2 force-include` (cli/force-include-command.ts)
// forces a transaction through BatchInbox's queue on L1.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Address } from 'viem';
import { z } from 'zod';
import { readDeployment, DEPLOYMENT_FILE } from '../contracts/deploy.js';
import { EngineClient } from '../l2/engine.js';
import { readJwtSecret } from '../l2/jwt.js';
import { startVerifierGeth, type VerifierGeth } from '../l2/verifier-geth.js';
import { VerifyFailure, verifyL2FromL1, viemReason } from '../l2/verifier.js';
import { L2_GENESIS_FILE } from '../localnet/l2-chain.js';
import { LOCALNET_FILE, readLocalnet } from '../localnet/localnet.js';
import { action } from './util.js';
import { registerForceIncludeCommand } from './force-include-command.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`${line}\n`);

const httpUrl = (what: string) => z.string().regex(/^https?:\/\/[^\s/]+/, `${what} must be an http(s) URL`);
const uint = (what: string, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,19}$/, `${what} must be a non-negative integer`)
    .transform(Number)
    .refine((n) => n <= max, `${what} must be at most ${max}`);

const OptionsSchema = z
  .object({
    dir: z.string().min(1).optional(),
    l1: httpUrl('--l1').optional(),
    inbox: z.string().regex(/^0x[0-9a-fA-F]{40}$/, '--inbox must be a 20-byte address in 0x hex').optional(),
    genesis: z.string().min(1).optional(),
    l2: httpUrl('--l2').optional(),
    confirmations: uint('--confirmations', 1_000_000).optional(),
    fromL1Block: z.string().regex(/^[0-9]{1,19}$/, '--from-l1-block must be an L1 block number').transform(BigInt).optional(),
    gethEngine: httpUrl('--geth-engine').optional(),
    jwt: z.string().min(1).optional(),
    gethPorts: z
      .string()
      .regex(/^\d{1,5},\d{1,5},\d{1,5}$/, '--geth-ports must be HTTP,AUTH,P2P (three port numbers)')
      .transform((s) => s.split(',').map(Number) as [number, number, number])
      .refine((ps) => ps.every((p) => p >= 1 && p <= 65_535) && new Set(ps).size === 3, '--geth-ports must be three distinct ports from 1 to 65535')
      .optional(),
  })
  .strict()
  .refine((o) => !!o.dir || (!!o.l1 && !!o.inbox && !!o.genesis), 'say where the L2 is recorded: --dir DIR (a localnet) or --l1 URL --inbox ADDRESS --genesis FILE')
  .refine((o) => !o.gethEngine === !o.jwt, '--geth-engine and --jwt go together (the Engine API of a fresh geth and its JWT secret file)')
  .refine((o) => !(o.gethEngine && o.gethPorts), '--geth-ports is for the geth verify starts; it cannot go with --geth-engine');
type Options = z.output<typeof OptionsSchema>;

/** The verify target: explicit flags win, the rest comes from a localnet's files. */
function resolveTarget(o: Options): { l1Url: string; inbox: Address; genesis: string; l2Url?: string; fromL1Block?: bigint } {
  let fromDir: { l1Url: string; inbox: Address; genesis: string; l2Url?: string; fromL1Block: bigint } | undefined;
  if (o.dir) {
    if (!existsSync(join(o.dir, DEPLOYMENT_FILE))) throw new Error(`${join(o.dir, DEPLOYMENT_FILE)} not found: is ${o.dir} a localnet started with L1 (seqpool localnet up)?`);
    const l1 = readDeployment(o.dir).l1;
    if (!l1) throw new Error(`${join(o.dir, DEPLOYMENT_FILE)} has no l1 section`);
    const genesis = join(o.dir, L2_GENESIS_FILE);
    const l2Url = existsSync(join(o.dir, LOCALNET_FILE)) ? readLocalnet(o.dir).nodes[0]?.l2RpcUrl : undefined;
    fromDir = { l1Url: l1.rpcUrl, inbox: l1.batchInbox, genesis, fromL1Block: l1.startBlock, ...(l2Url ? { l2Url } : {}) };
  }
  const genesis = o.genesis ?? fromDir!.genesis;
  if (!existsSync(genesis)) throw new Error(`the L2 genesis ${genesis} does not exist`);
  const l2Url = o.l2 ?? fromDir?.l2Url;
  const fromL1Block = o.fromL1Block ?? fromDir?.fromL1Block;
  return { l1Url: o.l1 ?? fromDir!.l1Url, inbox: (o.inbox ?? fromDir!.inbox) as Address, genesis, ...(l2Url ? { l2Url } : {}), ...(fromL1Block !== undefined ? { fromL1Block } : {}) };
}

/** Runs the verifier; the exit code is 0 when every block L1 records is VALID (and the pool's), else 1. */
async function verifyCommand(raw: Record<string, unknown>): Promise<void> {
  const parsed = OptionsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join('; '));
  const o = parsed.data;
  const t = resolveTarget(o);
  let geth: VerifierGeth | undefined;
  // Ctrl-C or a kill: the geth we started goes with us (it runs in its own process group).
  const onSignal = (sig: NodeJS.Signals) => {
    progress(`${sig}: stopping the verifier's geth`);
    void (geth?.stop() ?? Promise.resolve()).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let engine: EngineClient;
    if (o.gethEngine) engine = new EngineClient({ url: o.gethEngine, secret: readJwtSecret(o.jwt!) });
    else {
      progress(`starting a fresh geth from ${t.genesis}`);
      geth = await startVerifierGeth(t.genesis, o.gethPorts && { http: o.gethPorts[0], auth: o.gethPorts[1], p2p: o.gethPorts[2] });
      engine = geth.engine;
    }
    const r = await verifyL2FromL1({ l1Url: t.l1Url, inbox: t.inbox, engine, progress, ...(t.l2Url ? { l2Url: t.l2Url } : {}), ...(o.confirmations !== undefined ? { confirmations: o.confirmations } : {}), ...(t.fromL1Block !== undefined ? { fromL1Block: t.fromL1Block } : {}) });
    say(`verified ${r.blocks} L2 blocks from L1, head ${r.head}`);
    progress(`(${r.batches} batches up to L1 block ${r.l1Block}, ${r.l1BlockChoice}${t.l2Url ? `; every hash equal to the pool's L2 at ${t.l2Url}` : ''})`);
  } catch (e) {
    if (!(e instanceof VerifyFailure)) throw new Error(viemReason(e)); // one line, not viem's request dump
    say(e.message);
    process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await geth?.stop();
  }
}

export function registerL2Commands(program: Command): void {
  const l2 = program.command('l2').description('the L2 as L1 records it');
  l2.command('verify')
    .description("rebuild every L2 block from the batch data on L1 in a fresh geth (trusting only L1 and the L2 genesis); report the first block that is INVALID or differs from the pool's L2, else `verified N L2 blocks from L1, head HASH`")
    .option('--dir <dir>', 'a localnet directory: L1 RPC, BatchInbox and its deployment block from deployment.json, the genesis from l2-genesis.json, node0\'s L2 RPC as --l2')
    .option('--l1 <url>', 'L1 JSON-RPC URL')
    .option('--inbox <address>', 'BatchInbox address on L1')
    .option('--genesis <file>', 'the L2 genesis file (geth genesis JSON)')
    .option('--l2 <url>', "the pool's L2 JSON-RPC: every rebuilt block's hash must equal its")
    .option('--confirmations <n>', "read L1 up to latest - N (default: the L1's finalized block; latest - 64 on an L1 without the tag)")
    .option('--from-l1-block <n>', 'first L1 block to search for batches (default: the deployment block with --dir, else 0)')
    .option('--geth-engine <url>', 'Engine API of an existing fresh geth initialised from the genesis (default: start one)')
    .option('--jwt <file>', 'the JWT secret file of --geth-engine')
    .option('--geth-ports <http,auth,p2p>', "ports of the geth verify starts (default: free ones in 20000-32767)")
    .action(action(verifyCommand));
  registerForceIncludeCommand(l2);
}
