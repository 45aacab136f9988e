import { InvalidArgumentError, type Command } from 'commander';
import { SeqpoolClient } from '../client/seqpool-client.js';
import { asUint64, toJson } from '../protocol/views/index.js';
import { registerBindPeerCommand } from './bind-peer-command.js';
import { action } from './util.js';

export function registerQueryCommands(program: Command): void {
  const DEFAULT_RPC = 'http://127.0.0.1:26657';
  const query = program
    .command('query')
    .description(
      'query a node over CometBFT RPC (abci_query). Either a raw path (/status, /params, /validators, /validator/{address}, ' +
        '/sequencer/{id}, /observation/{digest}, /epoch/{id}, /producer/{l2Height}, /mpc/key, /sign/{id}, /batch/{index}, ...; docs/api.md) ' +
        'or one of the subcommands below, which check their arguments and print typed JSON',
    )
    .argument('[path]', 'query path, e.g. /status')
    .option('--rpc <url>', 'CometBFT RPC of the node', DEFAULT_RPC)
    .action(
      action(async (path: string | undefined, opts: { rpc: string }) => {
        if (!path) throw new Error('give a query path (e.g. seqpool query /status) or a subcommand; see seqpool query --help');
        await withClient(opts.rpc, async (client) => client.query(path));
      }),
    );

  // --rpc belongs to `query` (commander would take it there even after a subcommand's name); the
  // subcommands read it through optsWithGlobals and list it under "Global Options".
  query.configureHelp({ showGlobalOptions: true });
  const sub = (name: string, description: string) => query.command(name).description(description);
  const rpcOf = (cmd: Command): string => (cmd.optsWithGlobals() as { rpc: string }).rpc;

  sub('epoch', 'an epoch: its L2 range, producer, signer, status (without [id]: the current epoch with the attested L2 head)')
    .argument('[id]', 'epoch id (decimal)', uint64Arg('epoch id'))
    .action(
      action(async (id: bigint | undefined, _o: unknown, cmd: Command) => {
        await withClient(rpcOf(cmd), (c) => (id === undefined ? c.currentEpoch() : c.epoch(id)));
      }),
    );
  sub('producer', 'the producer (CometBFT address and L2 signer) of an L2 block, and the epoch covering it')
    .argument('<l2Height>', 'L2 block number (decimal)', uint64Arg('l2Height'))
    .action(
      action(async (h: bigint, _o: unknown, cmd: Command) => {
        await withClient(rpcOf(cmd), (c) => c.producerOf(h));
      }),
    );
  sub('batch', 'a batch: L2 range, hashes, status, sign request ("meta" for the batch chain bookkeeping)')
    .argument('<index>', 'batch index (decimal) or "meta"', (v: string) => (v === 'meta' ? v : uint64Arg('batch index')(v)))
    .action(
      action(async (index: bigint | 'meta', _o: unknown, cmd: Command) => {
        await withClient(rpcOf(cmd), (c) => (index === 'meta' ? c.batchMeta() : c.batch(index)));
      }),
    );
  sub('sign', 'a sign request: purpose, payload, digest, status, signature ("pending" for every pending one)')
    .argument('<id>', 'sign request id (decimal) or "pending"', (v: string) => (v === 'pending' ? v : uint64Arg('sign request id')(v)))
    .action(
      action(async (id: bigint | 'pending', _o: unknown, cmd: Command) => {
        await withClient(rpcOf(cmd), (c) => (id === 'pending' ? c.pendingSignRequests() : c.signRequest(id)));
      }),
    );
  sub('mpc-key', "the pool's MPC key: group key (and its L1 form), threshold, key epoch, members and verifying shares").action(
    action(async (_o: unknown, cmd: Command) => {
      await withClient(rpcOf(cmd), (c) => c.mpcKey());
    }),
  );

  const tx = program.command('tx').description('send signed transactions (signed with the validator key of --home)');
  registerBindPeerCommand(tx);
}

function uint64Arg(name: string) {
  return (value: string): bigint => {
    const n = asUint64(value);
    if (n === null) throw new InvalidArgumentError(`${name} must be a non-negative decimal integer below 2^64`);
    return n;
  };
}

/** Connect to --rpc, run one read and print its answer as JSON (bigints as decimal strings). */
async function withClient(rpc: string, read: (c: SeqpoolClient) => Promise<unknown>): Promise<void> {
  const client = await SeqpoolClient.connect(rpc);
  process.stdout.write(toJson(await read(client), 2) + '\n');
}
