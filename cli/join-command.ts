// `seqpool localnet join --dir DIR`: one more validator for a running localnet, by locking on L1.
import type { Command } from 'commander';
import type { Hex } from 'viem';
import { parseUnits } from 'viem';
import { localnetJoin } from '../localnet/join.js';
import { action } from './util.js';

export function registerJoinCommand(localnet: Command, say: (line: string) => void): void {
  localnet
    .command('join')
    .description('add a validator to the running localnet in --dir: new home, sync as a full node, lock on L1, wait until it is in the validator set')
    .option('--dir <dir>', 'where the network lives', '.localnet')
    .option('--amount <tokens>', 'tokens to lock (whole tokens, 18 decimals)', '20000')
    .option('--from-key <hex>', 'whitelisted L1 account paying the lock (default: the localnet deployer)')
    .option('--timeout <seconds>', 'give up after this long', '180')
    .action(
      action(async (opts: { dir: string; amount: string; fromKey?: string; timeout: string }) => {
        const started = Date.now();
        const r = await localnetJoin({
          dir: opts.dir,
          amount: parseUnits(opts.amount, 18),
          fromKey: opts.fromKey as Hex | undefined,
          detach: true, // the new node keeps running after this command, like `up --detach`
          timeoutMs: Number(opts.timeout) * 1000,
          onProgress: (line) => say(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`),
        });
        say(
          `${r.node.name} joined as sequencer ${r.sequencerId}: ${r.validator.l1Block - r.confirmed.l1Block} L1 blocks, ` +
            `${r.validator.cometHeight - r.confirmed.cometHeight} CometBFT blocks and ${((r.validator.atMs - r.confirmed.atMs) / 1000).toFixed(1)} s from L1 confirmation to the validator set`,
        );
        say(`stop everything with: seqpool localnet down --dir ${opts.dir}`);
      }),
    );
}
