import type { Command } from 'commander';
import { SeqpoolClient } from '../client/seqpool-client.js';
import { loadValidatorKey } from '../cometbft-config/keys.js';
import { action } from './util.js';

export function registerQueryCommands(program: Command): void {
  program
    .command('query')
    .description('query a node: /status, /params, /validators, /validator/{address}, /observation/{digest}')
    .argument('<path>', 'query path, e.g. /status')
    .option('--rpc <url>', 'CometBFT RPC of the node', 'http://127.0.0.1:26657')
    .action(
      action(async (path: string, opts: { rpc: string }) => {
        const client = await SeqpoolClient.connect(opts.rpc);
        try {
          process.stdout.write(JSON.stringify(await client.query(path), null, 2) + '\n');
        } finally {
          client.disconnect();
        }
      }),
    );

  const tx = program.command('tx').description('send signed transactions (signed with the validator key of --home)');
  tx.command('bind-peer')
    .description("bind this validator's MPC sidecar libp2p identity to it (sidecars admit peers by it)")
    .requiredOption('--home <dir>', 'CometBFT home holding config/priv_validator_key.json')
    .requiredOption('--peer-id <id>', 'libp2p peer id (base58btc, e.g. 12D3KooW...)')
    .requiredOption('--addr <multiaddr...>', 'one or more multiaddrs, e.g. /ip4/127.0.0.1/tcp/26680')
    .option('--rpc <url>', 'CometBFT RPC of the node', 'http://127.0.0.1:26657')
    .action(
      action(async (opts: { home: string; peerId: string; addr: string[]; rpc: string }) => {
        const key = loadValidatorKey(opts.home);
        const client = await SeqpoolClient.connect(opts.rpc);
        try {
          const sent = await client.send(key.privKey, { bindPeer: { peerId: opts.peerId, addrs: opts.addr } });
          if (sent.code !== 0) throw new Error(`rejected by CheckTx with code ${sent.code}: ${sent.log}`);
          const done = await client.waitForTx(sent.hash);
          if (done.code !== 0) throw new Error(`tx ${sent.hash} failed in block ${done.height} with code ${done.code}: ${done.log}`);
          process.stdout.write(`bound ${opts.peerId} in block ${done.height} (tx ${sent.hash})\n`);
        } finally {
          client.disconnect();
        }
      }),
    );
}
