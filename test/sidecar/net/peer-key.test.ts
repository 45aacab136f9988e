// The sidecar's libp2p key signs BindPeer's proof (decision 29): the channel's signature is one the
// app accepts, and `seqpool tx bind-peer` finds the same key or says clearly why it cannot.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519PeerId, peerProofMessage, peerProofProblem } from '../../../protocol/peer-proof.js';
import { silentLogger } from '../../../common/log.js';
import { MpcChannel } from '../../../sidecar/net/channel.js';
import { bindingPeerKey, loadOrCreatePeerKey } from '../../../sidecar/net/peer-key.js';
import { loopbackMultiaddr } from '../../ports.js';

const address = new Uint8Array(20).fill(0x42);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'seqpool-peer-key-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("the channel's proof verifies in the app, and bind-peer's key lookup finds that same peer id", async () => {
  const file = join(dir, 'peer-key');
  const ch = await MpcChannel.create({ listen: [await loopbackMultiaddr()], logger: silentLogger(), peerKeyFile: file });
  try {
    const proof = await ch.signAsPeer(peerProofMessage('chain-x', address));
    expect(peerProofProblem(ch.peerId, proof, 'chain-x', address)).toBeUndefined();
    expect(peerProofProblem(ch.peerId, proof, 'chain-y', address)).toContain('does not verify');
    const { key, peerId } = await bindingPeerKey(file, ch.peerId);
    expect(peerId).toBe(ch.peerId);
    expect(peerProofProblem(peerId, await key.sign(peerProofMessage('chain-x', address)), 'chain-x', address)).toBeUndefined();
  } finally {
    await ch.stop();
  }
});

test('bind-peer never creates a key, and refuses a --peer-id that is not the key\'s', async () => {
  const file = join(dir, 'sidecar', 'peer-key');
  await expect(bindingPeerKey(file)).rejects.toThrow(`no MPC peer key at ${file}: the sidecar creates it on its first start`);
  const { key } = await loadOrCreatePeerKey(file); // what the sidecar's first start does
  const { peerId } = await bindingPeerKey(file);
  expect(peerId).toBe(ed25519PeerId(key.publicKey.raw));
  const typo = '12D3KooWQFWPMuDt1yX3LJHQKmWjfRTkJ26bnNa2zJsGNECzmSEV';
  await expect(bindingPeerKey(file, typo)).rejects.toThrow(`peer id ${typo} is not the id of the peer key in ${file} (${peerId})`);
});
