// `seqpool tx bind-peer`: binds a validator's MPC peer id by hand (the sidecar does it by itself,
// docs/operators.md). The app accepts a binding only with a proof of possession of the peer key
// (decision 29), so the command signs it with the sidecar's libp2p key file.
import { join } from 'node:path';
import type { Command } from 'commander';
import { peerProofMessage } from '../protocol/peer-proof.js';
import { SeqpoolClient } from '../client/seqpool-client.js';
import { pubKeyToAddress, publicKeyOf } from '../common/secp.js';
import { loadValidatorKey } from '../cometbft-config/keys.js';
import { bindingPeerKey, SIDECAR_DIR } from '../sidecar/index.js';
import { action } from './util.js';

interface Opts {
  home: string;
  peerKey?: string;
  peerId?: string;
  addr: string[];
  rpc: string;
}

export function registerBindPeerCommand(tx: Command): void {
  tx.command('bind-peer')
    .description("bind this validator's MPC sidecar libp2p identity to it (sidecars admit peers by it); signed with the validator key and, as proof of possession, with the sidecar's peer key")
    .requiredOption('--home <dir>', 'CometBFT home holding config/priv_validator_key.json')
    .option('--peer-key <file>', "the sidecar's libp2p key file (default HOME/sidecar/peer-key, created by the sidecar's first start)")
    .option('--peer-id <id>', "expected peer id (12D3KooW...): refused unless it is the key's")
    .requiredOption('--addr <multiaddr...>', 'one or more multiaddrs, e.g. /ip4/127.0.0.1/tcp/26680')
    .option('--rpc <url>', 'CometBFT RPC of the node', 'http://127.0.0.1:26657')
    .action(
      action(async (opts: Opts) => {
        const key = loadValidatorKey(opts.home);
        const { key: peerKey, peerId } = await bindingPeerKey(opts.peerKey ?? join(opts.home, SIDECAR_DIR, 'peer-key'), opts.peerId);
        const client = await SeqpoolClient.connect(opts.rpc);
        const peerProof = await peerKey.sign(peerProofMessage(await client.chainId(), pubKeyToAddress(publicKeyOf(key.privKey))));
        const sent = await client.send(key.privKey, { bindPeer: { peerId, addrs: opts.addr, peerProof } });
        if (sent.code !== 0) throw new Error(`rejected by CheckTx with code ${sent.code}: ${sent.log}`);
        const done = await client.waitForTx(sent.hash);
        if (done.code !== 0) throw new Error(`tx ${sent.hash} failed in block ${done.height} with code ${done.code}: ${done.log}`);
        process.stdout.write(`bound ${peerId} in block ${done.height} (tx ${sent.hash})\n`);
      }),
    );
}
