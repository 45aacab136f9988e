import type { Command } from 'commander';
import { startNode } from '../node/index.js';
import { createLogger } from '../common/log.js';
import { action, intInRange } from './util.js';

export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('run the seqpool application for one validator');
  node
    .command('start')
    .description('serve the ABCI app for a CometBFT home (start this before `cometbft start --home HOME`)')
    .requiredOption('--home <dir>', 'the CometBFT home; state goes to HOME/seqpool/state')
    .option('--abci <address>', "listen address (tcp://host:port or unix:///path); default: config.toml's proxy_app")
    .option('--observations <file>', 'JSON file of synthetic observations to attest: [{"topic": "...", "payload": "..."}]')
    .option('--max-frame-size <bytes>', 'largest ABCI request accepted', intInRange('--max-frame-size', 1024, 2 ** 31), 100 * 1024 * 1024)
    .action(
      action(async (opts: { home: string; abci?: string; observations?: string; maxFrameSize: number }) => {
        const log = createLogger('seqpool-node');
        const running = await startNode({ home: opts.home, abciAddress: opts.abci, observationsFile: opts.observations, maxFrameSize: opts.maxFrameSize, logger: log });
        await new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            log.info({ signal }, 'stopping');
            void running.stop().then(resolve);
          };
          process.once('SIGINT', () => stop('SIGINT'));
          process.once('SIGTERM', () => stop('SIGTERM'));
        });
      }),
    );
}
