// `seqpool l1 ...`: an operator's view of and hand on the L1 LockingPool. The target comes from a
// localnet's DIR/deployment.json (--dir) or from --rpc/--pool; the paying account is --from-key, or
// the localnet deployer with --dir (devnet key, never for a real network).
import type { Command } from 'commander';
import { parseUnits, type Address, type Hex } from 'viem';
import { l1Session, lockFor, unlock } from '../client/locking-pool-client.js';
import { loadValidatorKey } from '../cometbft-config/keys.js';
import { readDeployment } from '../contracts/deploy.js';
import { LOCALNET_DEPLOYER_KEY } from '../localnet/l1-chains.js';
import { readLocalnet } from '../localnet/localnet.js';
import { action } from './util.js';
import { printL1Status } from './l1-status.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

interface TargetOpts {
  dir?: string;
  rpc?: string;
  pool?: string;
  fromKey?: string;
}

function target(o: TargetOpts): { rpcUrl: string; pool: Address } {
  if (o.rpc && o.pool) return { rpcUrl: o.rpc, pool: o.pool as Address };
  if (!o.dir) throw new Error('say where L1 is: --dir DIR (a localnet with deployment.json) or --rpc URL --pool ADDRESS');
  const l1 = readDeployment(o.dir).l1;
  if (!l1) throw new Error(`${o.dir}/deployment.json has no l1 section`);
  return { rpcUrl: o.rpc ?? l1.rpcUrl, pool: (o.pool ?? l1.lockingPool) as Address };
}

function payer(o: TargetOpts): Hex {
  if (o.fromKey) {
    const k = o.fromKey.startsWith('0x') ? o.fromKey : `0x${o.fromKey}`;
    if (!/^0x[0-9a-fA-F]{64}$/.test(k)) throw new Error('--from-key must be a 32-byte private key in hex');
    return k as Hex;
  }
  if (o.dir) return LOCALNET_DEPLOYER_KEY;
  throw new Error('--from-key HEX is required without --dir (the whitelisted account that pays the stake)');
}

const withTarget = (c: Command): Command =>
  c
    .option('--dir <dir>', 'a localnet directory: L1 RPC and LockingPool from its deployment.json, payer = its deployer')
    .option('--rpc <url>', 'L1 JSON-RPC URL')
    .option('--pool <address>', 'LockingPool address')
    .option('--from-key <hex>', 'private key of the whitelisted account that pays (and owns) the lock');

export function registerL1Commands(program: Command): void {
  const l1 = program.command('l1').description('stake on the L1 LockingPool: join (lock), leave (unlock), compare L1 with the pool');

  withTarget(l1.command('lock').description('lock stake for a validator key: it joins the pool once the event is confirmed and attested'))
    .requiredOption('--amount <tokens>', 'tokens to lock (whole tokens, 18 decimals; min 20000, max 100000 by default)')
    .requiredOption('--key <file>', "the validator's priv_validator_key.json (its key becomes the L1 signer)")
    .action(
      action(async (opts: TargetOpts & { amount: string; key: string }) => {
        const { rpcUrl, pool } = target(opts);
        const key = loadValidatorKey('', opts.key);
        const s = await l1Session(rpcUrl, payer(opts));
        const ev = await lockFor(s, pool, key.pubKey, parseUnits(opts.amount, 18));
        say(`locked ${opts.amount} tokens for ${ev.signer}: sequencer ${ev.sequencerId}, nonce ${ev.nonce}, L1 block ${ev.blockNumber}, tx ${ev.txHash}`);
        say('it enters the validator set once the pool attests the event (K confirmations, then a block or two)');
      }),
    );

  withTarget(l1.command('unlock').description('start the exit of a sequencer (its owner only): it leaves the validator set once attested'))
    .requiredOption('--sequencer-id <n>', 'LockingPool sequencer id')
    .action(
      action(async (opts: TargetOpts & { sequencerId: string }) => {
        const { rpcUrl, pool } = target(opts);
        const s = await l1Session(rpcUrl, payer(opts));
        const ev = await unlock(s, pool, BigInt(opts.sequencerId));
        say(`unlock started for sequencer ${ev.sequencerId}: nonce ${ev.nonce}, L1 block ${ev.blockNumber}, tx ${ev.txHash}`);
      }),
    );

  l1.command('status')
    .description('every LockingPool sequencer as L1 has it (at its finalized block) next to its record in seqpool state, with every disagreement flagged')
    .option('--dir <dir>', 'a localnet directory (L1 and BatchInbox from deployment.json, node RPC from localnet.json)')
    .option('--rpc <url>', 'L1 JSON-RPC URL')
    .option('--pool <address>', 'LockingPool address')
    .option('--inbox <address>', 'BatchInbox address (compares the batches the pool counts final with L1)')
    .option('--node <url>', 'CometBFT RPC of a seqpool node')
    .option('--block <n>', 'compare at this L1 block (default: the finalized block, or the head on a chain without finality)')
    .option('--check', 'exit with status 1 when L1 and the pool disagree (for scripts and alerts)')
    .action(
      action(async (opts: TargetOpts & { node?: string; inbox?: string; block?: string; check?: boolean }) => {
        const { rpcUrl, pool } = target(opts);
        const inbox = opts.inbox ?? (opts.dir ? readDeployment(opts.dir).l1?.batchInbox : undefined);
        const nodeRpc = opts.node ?? (opts.dir ? readLocalnet(opts.dir).nodes[0]?.rpcUrl : undefined);
        if (opts.block !== undefined && !/^[0-9]{1,19}$/.test(opts.block)) throw new Error(`--block must be an L1 block number, got ${JSON.stringify(opts.block)}`);
        const n = await printL1Status({ rpcUrl, pool, ...(inbox ? { inbox: inbox as Address } : {}), ...(nodeRpc ? { nodeRpc } : {}), ...(opts.block !== undefined ? { block: BigInt(opts.block) } : {}) }, say);
        if (opts.check && n > 0) process.exitCode = 1;
      }),
    );
}
