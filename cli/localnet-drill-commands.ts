// `seqpool localnet kill|restart|logs NODE`: failure drills and logs of one validator of a running
// localnet, from any shell (they read DIR/localnet.json; localnet/drill.ts, localnet/logs.ts).
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { localnetKill, localnetRestart, findNode, PROCESS_NAMES, type ProcessName } from '../localnet/drill.js';
import { readLocalnet } from '../localnet/localnet.js';
import { followFile, lastLines, logFileOf } from '../localnet/logs.js';
import { action, intInRange } from './util.js';

const NODE_ARG = 'a node of the localnet: node0, node1, ... (`seqpool localnet status` lists them)';

export function registerDrillCommands(localnet: Command, say: (line: string) => void): void {
  localnet
    .command('kill')
    .description('kill one validator\'s processes on purpose (a crash: SIGKILL unless --signal); the others keep committing, and a foreground `localnet up` reports the death on its status line')
    .argument('<node>', NODE_ARG)
    .addOption(
      new Option('--process <process>', 'which process: node (the app; its cometbft then stops too), cometbft, sidecar, geth (its L2), or all of them').choices([...PROCESS_NAMES, 'all']).default('all'),
    )
    .addOption(new Option('--signal <signal>', 'SIGKILL (a crash) or SIGTERM / SIGINT (a clean shutdown)').choices(['SIGKILL', 'SIGTERM', 'SIGINT']).default('SIGKILL'))
    .option('--dir <dir>', 'where the network lives', '.localnet')
    .action(
      action(async (name: string, opts: { process: ProcessName | 'all'; signal: NodeJS.Signals; dir: string }) => {
        await localnetKill(opts.dir, name, opts.process, { signal: opts.signal, say });
      }),
    );

  localnet
    .command('restart')
    .description(
      'bring one validator back: what is down starts again, geth first (the L2 its app drives), then the app, then cometbft (which needs the app, so a surviving one of the two is stopped first), then the sidecar; a node with everything running restarts whole. Waits until it has caught up',
    )
    .argument('<node>', NODE_ARG)
    .option('--dir <dir>', 'where the network lives', '.localnet')
    .option('--timeout <seconds>', 'how long to wait for it to catch up with the others (0: do not wait)', intInRange('--timeout', 0, 3600), 120)
    .action(
      action(async (name: string, opts: { dir: string; timeout: number }) => {
        await localnetRestart(opts.dir, name, { say, catchUpTimeoutMs: opts.timeout * 1000 });
      }),
    );

  localnet
    .command('logs')
    .description('print the end of one validator\'s log (the file it reads is shown on stderr); --follow keeps printing like tail -f until Ctrl-C')
    .argument('<node>', NODE_ARG)
    .addOption(
      new Option('--process <process>', 'whose log: node (the app, HOME/seqpool/node.log), cometbft (HOME/cometbft.log), sidecar (HOME/sidecar/sidecar.log) or geth (HOME/geth/geth.log)').choices([...PROCESS_NAMES]).default('node'),
    )
    .option('-n, --lines <n>', 'how many lines from the end to print first', intInRange('--lines', 0, 1_000_000), 50)
    .option('-f, --follow', 'keep printing what is appended, until Ctrl-C', false)
    .option('--dir <dir>', 'where the network lives', '.localnet')
    .action(
      action(async (name: string, opts: { process: ProcessName; lines: number; follow: boolean; dir: string }) => {
        const node = findNode(readLocalnet(opts.dir), name);
        const file = logFileOf(node.home, opts.process);
        process.stderr.write(`==> ${file} (${name}'s ${opts.process}${opts.follow ? '; Ctrl-C to stop' : ''}) <==\n`);
        let from = 0;
        if (existsSync(file)) {
          const { text, size } = lastLines(file, opts.lines);
          process.stdout.write(text);
          from = size;
        } else if (!opts.follow) {
          const why = opts.process === 'sidecar' && node.pids.sidecar === undefined ? `: ${name} runs no sidecar (this localnet runs without L1)` : `: ${name}'s ${opts.process} has not written a log yet`;
          throw new Error(`${file} does not exist${why}`);
        }
        if (!opts.follow) return;
        const stop = new AbortController();
        process.once('SIGINT', () => stop.abort());
        process.once('SIGTERM', () => stop.abort());
        await followFile(file, from, (chunk) => process.stdout.write(chunk), stop.signal);
      }),
    );
}
