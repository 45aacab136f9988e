// protocol/peer-proof.ts against libp2p itself: the app reads the key out of a peer id and checks a
// proof made by a libp2p Ed25519 key (what the sidecar and `seqpool tx bind-peer` sign with).
import { randomBytes } from 'node:crypto';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { ed25519PeerId, peerIdPublicKey, peerProofMessage, peerProofProblem, PEER_PROOF_DOMAIN } from '../../protocol/peer-proof.js';

const address = new Uint8Array(20).fill(0xab);

test('the peer id of an Ed25519 key is the one libp2p prints, and the app reads the key back out of it', async () => {
  for (let i = 0; i < 8; i++) {
    const key = await generateKeyPair('Ed25519');
    const id = peerIdFromPrivateKey(key).toString();
    expect(ed25519PeerId(key.publicKey.raw)).toBe(id);
    expect(Buffer.from(peerIdPublicKey(id)!)).toEqual(Buffer.from(key.publicKey.raw));
  }
});

test("a libp2p key's signature over the message is a valid proof; for another chain or validator it is not", async () => {
  const key = await generateKeyPair('Ed25519');
  const id = peerIdFromPrivateKey(key).toString();
  const proof = await key.sign(peerProofMessage('chain-a', address));
  expect(peerProofProblem(id, proof, 'chain-a', address)).toBeUndefined();
  expect(peerProofProblem(id, proof, 'chain-a', address)).toBeUndefined(); // memoised: same verdict
  expect(peerProofProblem(id, proof, 'chain-b', address)).toContain('does not verify');
  expect(peerProofProblem(id, proof, 'chain-a', new Uint8Array(20).fill(0xac))).toContain('does not verify');
  const other = await generateKeyPair('Ed25519');
  expect(peerProofProblem(peerIdFromPrivateKey(other).toString(), proof, 'chain-a', address)).toContain('does not verify');
  const flipped = proof.slice();
  flipped[10]! ^= 1;
  expect(peerProofProblem(id, flipped, 'chain-a', address)).toContain('does not verify');
});

test('the signed bytes are domain || u16 length || chain id || address (a layout change would strand every proof)', () => {
  const m = peerProofMessage('ab', address);
  expect(Buffer.from(m).toString('hex')).toBe(Buffer.from(PEER_PROOF_DOMAIN).toString('hex') + '0002' + '6162' + 'ab'.repeat(20));
  expect(PEER_PROOF_DOMAIN).toBe('seqpool/bind-peer/v1');
  expect(() => peerProofMessage('ab', new Uint8Array(32))).toThrow('20 bytes');
});

test('only canonical Ed25519 peer ids yield a key', async () => {
  const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString();
  expect(peerIdPublicKey(`1${id}`)).toBeUndefined(); // an extra leading zero byte
  expect(peerIdPublicKey(id.slice(0, -1))).toBeUndefined();
  expect(peerIdPublicKey(peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString())).toBeUndefined();
  expect(peerIdPublicKey(`12D3KooW${'0'.repeat(44)}`)).toBeUndefined(); // '0' is not base58
  // Whatever random base58 tail decodes to, a key comes back only if the id is that key's one spelling.
  const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  for (let i = 0; i < 50; i++) {
    const s = `12D3KooW${[...randomBytes(44)].map((b) => B58[b % 58]).join('')}`;
    const k = peerIdPublicKey(s);
    if (k) expect(ed25519PeerId(k)).toBe(s);
  }
});
