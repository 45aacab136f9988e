// `seqpool l1 ...`: an operator's view of and hand on the L1 LockingPool. The target comes from a
// localnet's DIR/deployment.json (--dir) or from --rpc/--pool; the paying account is --from-key, or
// the localnet deployer with --dir (devnet key, never for a real network).
import type { Command } from 'commander';
import { formatUnits, parseUnits, type Address, type Hex } from 'viem';
import { L1_STATUS, l1Session, lockFor, readSequencers, unlock } from '../client/l1-staking.js';
import { loadValidatorKey } from '../cometbft-config/keys.js';
import { readDeployment } from '../contracts/deploy.js';
import { LOCALNET_DEPLOYER_KEY } from '../localnet/l1-chains.js';
import { readLocalnet } from '../localnet/localnet.js';
import { abciQueryJson } from '../localnet/rpc.js';
import { action } from './util.js';

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
    .description('every LockingPool sequencer next to its record in seqpool state')
    .option('--dir <dir>', 'a localnet directory (L1 from deployment.json, node RPC from localnet.json)')
    .option('--rpc <url>', 'L1 JSON-RPC URL')
    .option('--pool <address>', 'LockingPool address')
    .option('--node <url>', 'CometBFT RPC of a seqpool node')
    .action(
      action(async (opts: TargetOpts & { node?: string }) => {
        const { rpcUrl, pool } = target(opts);
        const nodeRpc = opts.node ?? (opts.dir ? readLocalnet(opts.dir).nodes[0]?.rpcUrl : undefined);
        const s = await l1Session(rpcUrl, LOCALNET_DEPLOYER_KEY); // read-only; the key signs nothing
        const head = await s.pub.getBlockNumber();
        const rows = await readSequencers(s.pub, pool);
        say(`L1 ${rpcUrl} head ${head}, LockingPool ${pool}; seqpool node ${nodeRpc ?? '(none: pass --node)'}`);
        say('id  L1: status     tokens   nonce signer                                      | seqpool: status     power  l1Nonce');
        for (const r of rows) {
          let pool = 'not queried';
          if (nodeRpc) {
            const q = await abciQueryJson<{ status: string; power: string; l1Nonce: string }>(nodeRpc, `/sequencer/${r.sequencerId}`).catch((e: Error) => ({ code: -1, value: undefined, error: e.message }));
            pool = q.value ? `${q.value.status.padEnd(10)} ${q.value.power.padStart(6)}  ${q.value.l1Nonce}` : 'not in state (not yet attested)';
          }
          const tokens = formatUnits(r.amount, 18).padStart(8);
          say(`${String(r.sequencerId).padEnd(3)} ${(L1_STATUS[r.status] ?? '?').padEnd(12)} ${tokens} ${String(r.nonce).padStart(5)} ${r.signer} | ${pool}`);
        }
        if (rows.length === 0) say('(no sequencers on L1)');
      }),
    );
}
