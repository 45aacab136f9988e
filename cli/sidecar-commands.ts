import type { Command } from 'commander';
import { createLogger } from '../common/log.js';
import { startSidecar } from '../sidecar/index.js';
import { action } from './util.js';

const HELP = `
The sidecar is this validator's MPC process (docs/pool.md, docs/operators.md "Running the sidecar").
It follows committed state through its node's CometBFT RPC, takes part in key sessions (DKG,
reshare, refresh) and threshold-signs approved sign requests with the other validators' sidecars
over libp2p. It signs its txs (lane 1) with HOME/config/priv_validator_key.json.

Files under HOME/sidecar/:
  sidecar.json   optional config, e.g.
                 {"cometRpcUrl": "http://127.0.0.1:26657", "listen": ["/ip4/127.0.0.1/tcp/26680"],
                  "l2RpcUrl": "http://127.0.0.1:8546", "passphraseFile": "passphrase", "roundTimeoutMs": 3000}
  keys/, nonces/ key shares and signing nonces, encrypted with the passphrase
                 (env SEQPOOL_KEY_PASSPHRASE, or the file named by passphraseFile)
  peer-key       libp2p identity of the channel (created on first start; bound on chain by BindPeer)
  sessions/      markers of sessions this sidecar dealt in (never deal twice)

Stop with Ctrl-C (SIGINT) or SIGTERM. Log level: SEQPOOL_LOG_LEVEL (default info).`;

export function registerSidecarCommands(program: Command): void {
  const sidecar = program.command('sidecar').description("run this validator's MPC sidecar (threshold signing, DKG, reshare, refresh)");
  sidecar
    .command('start')
    .description('start the MPC sidecar of a validator (run it next to `seqpool node start` and cometbft)')
    .requiredOption('--home <dir>', 'the CometBFT home of the validator; sidecar files live in HOME/sidecar')
    .addHelpText('after', HELP)
    .action(
      action(async (opts: { home: string }) => {
        const log = createLogger('seqpool-sidecar');
        const running = await startSidecar({ home: opts.home, logger: log });
        await new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            log.info({ signal }, 'stopping');
            void running.stop().then(resolve, (e: unknown) => {
              log.error({ err: (e as Error).message }, 'error while stopping');
              resolve();
            });
          };
          process.once('SIGINT', () => stop('SIGINT'));
          process.once('SIGTERM', () => stop('SIGTERM'));
        });
      }),
    );
}
