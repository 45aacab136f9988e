// `seqpool l2 force-include`: a user forces an L2 transaction through L1 (issue 16 part 5, decision
// 46). It checks the signed transaction against the rule the pool applies (client/forced-inclusion.ts)
// or signs a small transfer itself, pays BatchInbox.forceInclude, prints the entry with its deadline
// and escape time, and with --wait follows it into an L2 block and a batch on L1
// (client/forced-wait.ts). Targets: a localnet (--dir: L1, BatchInbox, a funded L1 key, node0's L2
// RPC and a genesis-funded L2 key from its files) or any deployment (--l1 --inbox --key [--l2]).
// Exit codes: 0 done, 1 failed (the message says why and what to do), 2 bad arguments (usage).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { type Account, type Address, type Hex } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { z } from 'zod';
import { buildForcedTransfer, checkForcedTx, ForceIncludeError, rpcClient, submitForcedTx, viemLine, type ForcedEntryReceipt } from '../client/forced-inclusion.js';
import { ForcedWaitError, viemWaitSources, waitForForcedTx } from '../client/forced-wait.js';
import { DEPLOYMENT_FILE, readDeployment } from '../contracts/deploy.js';
import { LOCALNET_DEPLOYER_KEY } from '../localnet/l1-chains.js';
import { DEV_MNEMONIC } from '../localnet/l2-chain.js';
import { LOCALNET_FILE, readLocalnet } from '../localnet/localnet.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`${line}\n`);

/** The localnet's L2 sender: the last of the development accounts its L2 genesis funds, so a forced
 * transaction's nonce does not race the README's sends (first account) or bench:l2's. */
export const LOCALNET_FORCED_SENDER_INDEX = 2;
/** Default value of the transfer force-include builds (1 gwei: visible, and cheap). */
const DEFAULT_VALUE = 1_000_000_000n;
const DEFAULT_TIMEOUT_S = 300;

/** The command line is wrong: exit 2 with the usage line. */
class UsageError extends Error {}

const httpUrl = (what: string) => z.string().regex(/^https?:\/\/[^\s/]+/, `${what} must be an http(s) URL`);
const address = (what: string) => z.string().regex(/^0x[0-9a-fA-F]{40}$/, `${what} must be a 20-byte address in 0x hex`);
const wei = (what: string) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,77})$/, `${what} must be an amount in wei (a non-negative decimal integer)`)
    .transform(BigInt);

const OptionsSchema = z
  .object({
    dir: z.string().min(1).optional(),
    l1: httpUrl('--l1').optional(),
    inbox: address('--inbox').optional(),
    key: z.string().min(1).optional(),
    l2: httpUrl('--l2').optional(),
    tx: z.string().regex(/^0x([0-9a-fA-F]{2})+$/, '--tx must be the signed transaction in 0x hex (whole bytes)').optional(),
    forceInvalid: z.boolean().optional(),
    to: address('--to').optional(),
    value: wei('--value').optional(),
    l2Key: z.string().min(1).optional(),
    fee: wei('--fee').optional(),
    wait: z.boolean().optional(),
    timeout: z
      .string()
      .regex(/^[1-9][0-9]{0,5}$/, '--timeout must be a number of seconds from 1 to 86400')
      .transform(Number)
      .refine((n) => n <= 86_400, '--timeout must be a number of seconds from 1 to 86400')
      .optional(),
  })
  .strict()
  .refine((o) => !!o.dir || (!!o.l1 && !!o.inbox && !!o.key), 'say where to force it: --dir DIR (a localnet) or --l1 URL --inbox ADDRESS --key FILE')
  .refine((o) => !o.tx || (!o.to && o.value === undefined && !o.l2Key), '--to, --value and --l2-key describe the transfer force-include builds; they cannot go with --tx')
  .refine((o) => !!o.tx || !!o.dir || (!!o.l2 && !!o.l2Key), 'without --tx, force-include signs a transfer: it needs --l2 URL (nonce and fees) and --l2-key FILE (the sender), or --dir')
  .refine((o) => !o.wait || !!o.l2 || !!o.dir, '--wait follows the transaction on the L2: give --l2 URL (or --dir)')
  .refine((o) => o.timeout === undefined || !!o.wait, '--timeout is how long --wait waits; it needs --wait');
type Options = z.output<typeof OptionsSchema>;

interface Target {
  l1Url: string;
  inbox: Address;
  l1Key: Hex;
  l2Url?: string;
  /** The L2 chain id a localnet's deployment.json records (checked against the L2 RPC's). */
  l2ChainId?: bigint;
  l2Account?: Account;
}

/** A private key from a file (0x and 64 hex digits, surrounding whitespace ignored). Never echoes it. */
function keyFile(option: string, file: string): Hex {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new ForceIncludeError(`cannot read ${option} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const k = text.startsWith('0x') ? text : `0x${text}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(k)) throw new ForceIncludeError(`${option} ${file} does not hold a private key: expected 0x and 64 hex digits`);
  return k as Hex;
}

/** Explicit flags win; the rest comes from a localnet's files (as `seqpool l2 verify --dir` reads them). */
function resolveTarget(o: Options): Target {
  let dir: Partial<Target> = {};
  if (o.dir) {
    if (!existsSync(o.dir)) throw new ForceIncludeError(`no localnet directory ${o.dir}: start one with \`seqpool localnet up --dir ${o.dir}\`, or give --l1 URL --inbox ADDRESS --key FILE`);
    if (!existsSync(join(o.dir, DEPLOYMENT_FILE))) throw new ForceIncludeError(`${join(o.dir, DEPLOYMENT_FILE)} not found: is ${o.dir} a localnet started with L1 (seqpool localnet up)?`);
    const d = readDeployment(o.dir);
    if (!d.l1) throw new ForceIncludeError(`${join(o.dir, DEPLOYMENT_FILE)} has no l1 section`);
    const l2Url = existsSync(join(o.dir, LOCALNET_FILE)) ? readLocalnet(o.dir).nodes[0]?.l2RpcUrl : undefined;
    dir = {
      l1Url: d.l1.rpcUrl,
      inbox: d.l1.batchInbox,
      l1Key: LOCALNET_DEPLOYER_KEY, // the localnet's deployer: anvil's first development account
      ...(l2Url ? { l2Url } : {}),
      ...(d.l2 ? { l2ChainId: BigInt(d.l2.chainId) } : {}),
      l2Account: mnemonicToAccount(DEV_MNEMONIC, { addressIndex: LOCALNET_FORCED_SENDER_INDEX }),
    };
  }
  const l2Url = o.l2 ?? dir.l2Url;
  const l2Account = o.l2Key ? privateKeyToAccount(keyFile('--l2-key', o.l2Key)) : dir.l2Account;
  return {
    l1Url: o.l1 ?? dir.l1Url!,
    inbox: (o.inbox ?? dir.inbox!) as Address,
    l1Key: o.key ? keyFile('--key', o.key) : dir.l1Key!,
    ...(l2Url ? { l2Url } : {}),
    ...(dir.l2ChainId !== undefined ? { l2ChainId: dir.l2ChainId } : {}),
    ...(l2Account ? { l2Account } : {}),
  };
}

const iso = (unixSeconds: bigint) => new Date(Number(unixSeconds) * 1000).toISOString().replace('.000Z', 'Z');
function fromNow(unixSeconds: bigint): string {
  const s = Math.round(Number(unixSeconds) - Date.now() / 1000);
  return s >= 0 ? `in ${s} s` : `${-s} s ago`;
}

function printEntry(e: ForcedEntryReceipt, tx: { hash: Hex; from?: Address; nonce: number }): void {
  const deadline = e.timestamp + e.settings.forceWindow;
  const escape = deadline + e.settings.escapeDelay;
  say(`entry ${e.index}: L1 block ${e.l1Block}, L1 tx ${e.l1TxHash}, fee ${e.fee} wei`);
  say(`L2 tx ${tx.hash} (from ${tx.from ?? 'an unrecoverable signature'}, nonce ${tx.nonce})`);
  say(`deadline ${iso(deadline)} (${fromNow(deadline)}): every batch appended after it must have consumed the entry (its transaction in an L2 block, or refused there as invalid)`);
  say(`escape ${iso(escape)} (${fromNow(escape)}): if it is still not consumed then (the pool appended no batch since the deadline), anyone may append it with BatchInbox.appendForcedBatch`);
}

async function forceInclude(o: Options): Promise<void> {
  const t = resolveTarget(o);
  if (!t.l2Url && (!o.tx || o.wait)) throw new ForceIncludeError(`no L2 RPC: ${o.dir ? `${join(o.dir, LOCALNET_FILE)} names none for node0` : 'none given'}; pass --l2 URL (${o.wait ? '--wait follows the transaction there' : 'a built transfer needs its nonce and fees'})`);
  let l2 = t.l2Url ? rpcClient(t.l2Url) : undefined;
  let chainId = t.l2ChainId;
  if (l2) {
    try {
      const id = BigInt(await l2.getChainId());
      if (chainId !== undefined && id !== chainId) throw new ForceIncludeError(`the L2 at ${t.l2Url} has chain id ${id}, deployment.json records ${chainId}: is it this localnet's L2?`);
      chainId = id;
    } catch (e) {
      if (e instanceof ForceIncludeError) throw e;
      // The escape hatch is for when the pool is down: a pre-signed --tx is still checked statically.
      if (!o.tx || o.wait) throw new ForceIncludeError(`cannot reach the L2 at ${t.l2Url}: ${viemLine(e)}. ${o.wait ? '--wait follows the transaction there' : 'Building a transfer needs its nonce and fees'}; start the pool, or sign a transaction yourself and pass --tx (without --wait)`);
      progress(`the L2 at ${t.l2Url} does not answer (${viemLine(e)}): checking --tx without it`);
      l2 = undefined;
    }
  }
  let tx = o.tx as Hex | undefined;
  if (!tx) {
    const account = t.l2Account!;
    const to = (o.to ?? account.address) as Address;
    tx = await buildForcedTransfer(l2!, account, to, o.value ?? DEFAULT_VALUE).catch((e: unknown) => {
      throw e instanceof ForceIncludeError ? e : new ForceIncludeError(`cannot build the transfer on the L2 at ${t.l2Url}: ${viemLine(e)}`);
    });
    progress(`signed a transfer of ${o.value ?? DEFAULT_VALUE} wei from ${account.address} to ${to} (fee cap 4x the L2 base fee plus the tip)`);
  }
  const check = await checkForcedTx(tx, chainId, l2).catch((e: unknown) => {
    throw e instanceof ForceIncludeError ? e : new ForceIncludeError(`cannot check the transaction on the L2 at ${t.l2Url}: ${viemLine(e)}`);
  });
  for (const n of check.notes) progress(`note: ${n}`);
  if (check.problem) {
    if (!o.forceInvalid) throw new ForceIncludeError(`the pool would consume this transaction as invalid, without executing it: ${check.problem}. Fix it, or pass --force-invalid to enqueue it anyway (the fee is paid either way)`);
    progress(`warning: the pool would consume this transaction as invalid (${check.problem}); enqueuing it anyway (--force-invalid)`);
  }
  progress(`forceInclude on BatchInbox ${t.inbox} (L1 ${t.l1Url})`);
  const entry = await submitForcedTx({ l1Url: t.l1Url, inbox: t.inbox, key: t.l1Key, tx, ...(o.fee !== undefined ? { fee: o.fee } : {}) });
  printEntry(entry, check);
  progress(`the pool takes the entry once L1 block ${entry.l1Block} is final (or its confirmations deep)`);
  if (!o.wait) return;

  const timeoutMs = (o.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
  const sources = viemWaitSources(rpcClient(t.l1Url), l2!, t.inbox);
  const r = await waitForForcedTx({
    ...sources,
    txHash: check.hash,
    entry: entry.index,
    fromL1Block: entry.l1Block,
    timeoutMs,
    progress,
    onL2Block: (n, status) => say(`L2 block ${n}${status === 'reverted' ? ' (the transaction reverted)' : ''}`),
  });
  say(`batch ${r.batch.batchIndex} (L1 block ${r.batch.l1Block}, tx ${r.batch.l1TxHash})`);
}

const HELP = `
How it works: BatchInbox on L1 keeps a queue of signed L2 transactions that anyone adds to with
forceInclude, paying its forceFee. Every batch the pool appends after an entry's deadline (the
entry's L1 time + forceWindow) must have consumed it: the transaction in an L2 block, or consumed
as invalid when the L2 refuses it then (nonce already used, too little balance, fee cap below the
base fee; the fee is not refunded, hence the checks before paying). A censoring producer cannot get
such a batch signed and is replaced. If the pool appends nothing at all, escapeDelay after the
deadline anyone may append the entry without the pool (BatchInbox.appendForcedBatch, the escape
hatch): the whole pool can delay a forced transaction by forceWindow + escapeDelay, never drop it.

Exit codes: 0 done; 1 failed (the message says why and what to do); 2 bad arguments.

Examples:
  seqpool l2 force-include --dir .localnet --wait
  seqpool l2 force-include --l1 URL --inbox 0x… --key l1.key --l2 URL --tx 0x02f8…
`;

/** `seqpool l2 force-include`, under the `l2` command. */
export function registerForceIncludeCommand(l2: Command): void {
  const cmd = l2
    .command('force-include')
    .description('force an L2 transaction through L1: pay BatchInbox.forceInclude, print the entry, its deadline and escape time; with --wait, the L2 block and the batch that carry it')
    .option('--dir <dir>', "a localnet directory: L1 RPC and BatchInbox from deployment.json, its deployer as the L1 payer, node0's L2 RPC as --l2, a genesis-funded development account as the L2 sender")
    .option('--l1 <url>', 'L1 JSON-RPC URL')
    .option('--inbox <address>', 'BatchInbox address on L1')
    .option('--key <file>', 'file holding the private key (0x hex) of the L1 account that pays forceFee and the gas')
    .option('--l2 <url>', "the L2 JSON-RPC: chain id, nonce and fees of the transfer, the checks, and --wait's receipt")
    .option('--tx <hex>', 'a signed L2 transaction (EIP-1559, for the L2 chain id) to force; without it, a transfer is built')
    .option('--force-invalid', 'enqueue --tx even though the checks say the pool would consume it as invalid')
    .option('--to <address>', 'recipient of the built transfer (default: the sender itself)')
    .option('--value <wei>', `value of the built transfer in wei (default ${DEFAULT_VALUE})`)
    .option('--l2-key <file>', 'file holding the private key (0x hex) of the built transfer\'s sender (default with --dir: a development account the L2 genesis funds)')
    .option('--fee <wei>', 'wei to pay (default: BatchInbox.forceFee)')
    .option('--wait', 'then wait for the transaction in an L2 block and for the batch on L1 that covers it')
    .option('--timeout <seconds>', `longest --wait, in seconds (default ${DEFAULT_TIMEOUT_S})`)
    .addHelpText('after', HELP)
    // Commander's own argument errors (unknown option, missing value) exit 2 too; --help exits 0.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  cmd.action(async (raw: Record<string, unknown>) => {
    try {
      const parsed = OptionsSchema.safeParse(raw);
      if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join('; '));
      await forceInclude(parsed.data);
    } catch (e) {
      if (e instanceof UsageError) {
        process.stderr.write(`error: ${e.message}\n${cmd.helpInformation().split('\n')[0]}\n(run with --help for the flow and every option)\n`);
        process.exitCode = 2;
      } else {
        const msg = e instanceof ForceIncludeError || e instanceof ForcedWaitError ? e.message : viemLine(e);
        process.stderr.write(`error: ${msg}\n`);
        process.exitCode = 1;
      }
    }
  });
}
