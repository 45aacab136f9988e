// Proof of possession for BindPeer (decision 29): the libp2p key behind a peer id signs
//   "seqpool/bind-peer/v1" || u16 length || chain id || the validator's 20-byte address
// so only the holder of that key can bind the peer id, only to that validator and only on this
// chain (a proof seen on chain cannot be replayed by another validator or on another network).
//
// Only Ed25519 peer ids ("12D3KooW…", the key type our sidecars use, sidecar/net/peer-key.ts) are
// accepted: their id is an identity multihash that embeds the public key, so the app verifies from
// the id alone. RSA ("Qm…", a SHA-256 of the key) and secp256k1 ("16Uiu2…") ids are refused rather
// than given a second verification path nothing uses.
//
// Verification is @noble/curves' ed25519 in RFC 8032 strict mode (zip215: false): pinned in
// package-lock, so every node accepts exactly the same proofs, which an OpenSSL build could not
// promise. It costs ~1.2 ms (0.1 ms through OpenSSL), so verdicts are memoised: CheckTx, ReCheckTx
// and FinalizeBlock ask about the same proof, and it is verified once per node.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes, toHex, utf8 } from '../common/bytes.js';

export const PEER_PROOF_DOMAIN = 'seqpool/bind-peer/v1';
const PEER_PROOF_BYTES = 64;

/** The bytes the peer key signs. `address` is the validator's 20-byte CometBFT address. */
export function peerProofMessage(chainId: string, address: Uint8Array): Uint8Array {
  const chain = utf8(chainId);
  if (chain.length > 0xffff) throw new Error(`chain id of ${chain.length} bytes is too long`);
  if (address.length !== 20) throw new Error(`validator address must be 20 bytes, got ${address.length}`);
  return concatBytes(utf8(PEER_PROOF_DOMAIN), Uint8Array.of(chain.length >> 8, chain.length & 0xff), chain, address);
}

// ---------- Ed25519 peer ids: base58btc of the identity multihash of the protobuf public key ----------

// multihash identity (0x00), length 36, then the libp2p PublicKey protobuf: Type = Ed25519 (08 01),
// Data of 32 bytes (12 20).
const ED25519_ID_PREFIX = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20);
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** An Ed25519 peer id as the app accepts it: "12D3KooW" and 44 more base58btc characters. */
export const ED25519_PEER_ID = /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/;

function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  let n = 0n;
  for (const b of bytes) n = n * 256n + BigInt(b);
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)]! + out;
    n /= 58n;
  }
  return '1'.repeat(zeros) + out;
}

function base58Decode(s: string): Uint8Array | undefined {
  let zeros = 0;
  while (zeros < s.length && s[zeros] === '1') zeros++;
  let n = 0n;
  for (const c of s) {
    const d = B58.indexOf(c);
    if (d < 0) return undefined;
    n = n * 58n + BigInt(d);
  }
  const body: number[] = [];
  while (n > 0n) {
    body.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  return Uint8Array.from([...new Array<number>(zeros).fill(0), ...body]);
}

/** The peer id of a 32-byte Ed25519 public key (what libp2p's peerIdFromPublicKey prints). */
export function ed25519PeerId(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new Error(`an Ed25519 public key is 32 bytes, got ${publicKey.length}`);
  return base58Encode(concatBytes(ED25519_ID_PREFIX, publicKey));
}

/** The Ed25519 public key an id embeds, or undefined when it is not a canonical Ed25519 peer id. */
export function peerIdPublicKey(peerId: string): Uint8Array | undefined {
  if (!ED25519_PEER_ID.test(peerId)) return undefined;
  const bytes = base58Decode(peerId);
  if (!bytes || bytes.length !== ED25519_ID_PREFIX.length + 32 || !equalBytes(bytes.subarray(0, ED25519_ID_PREFIX.length), ED25519_ID_PREFIX)) return undefined;
  const key = bytes.slice(ED25519_ID_PREFIX.length);
  // One spelling per key, so the peer/<id> uniqueness index cannot be dodged by a second one.
  return ed25519PeerId(key) === peerId ? key : undefined;
}

// ---------- verification ----------

const MEMO_MAX = 1024; // entries of ~70 bytes: cleared whole when full, a miss only costs a re-verify
const verdicts = new Map<string, boolean>();

/** Why `proof` does not show that the key of `peerId` binds it to `address` on `chainId`, or undefined. */
export function peerProofProblem(peerId: string, proof: Uint8Array, chainId: string, address: Uint8Array): string | undefined {
  const key = peerIdPublicKey(peerId);
  if (!key) return `peer_id ${JSON.stringify(peerId.slice(0, 80))} is not an Ed25519 libp2p peer id (12D3KooW…, base58btc): only those embed the key that signs the proof`;
  if (proof.length !== PEER_PROOF_BYTES) return `peer_proof must be a ${PEER_PROOF_BYTES}-byte Ed25519 signature by the peer key, got ${proof.length} bytes`;
  const message = peerProofMessage(chainId, address);
  const memoKey = toHex(sha256(concatBytes(key, proof, message)));
  let ok = verdicts.get(memoKey);
  if (ok === undefined) {
    try {
      ok = ed25519.verify(proof, message, key, { zip215: false });
    } catch {
      ok = false;
    }
    if (verdicts.size >= MEMO_MAX) verdicts.clear();
    verdicts.set(memoKey, ok);
  }
  if (!ok) return `peer_proof does not verify: it must be the peer key's Ed25519 signature over "${PEER_PROOF_DOMAIN}" || chain id ${JSON.stringify(chainId)} || validator ${toHex(address).toUpperCase()} (only the holder of the peer id's key can bind it)`;
  return undefined;
}

/** Signs a proof with a 32-byte Ed25519 secret key (clients and tests; the sidecar signs with its libp2p key). */
function signPeerProof(secretKey: Uint8Array, chainId: string, address: Uint8Array): Uint8Array {
  return ed25519.sign(peerProofMessage(chainId, address), secretKey);
}

/** A peer identity from a 32-byte Ed25519 secret key: its id and a signer of proofs. */
export function ed25519Peer(secretKey: Uint8Array): { peerId: string; prove: (chainId: string, address: Uint8Array) => Uint8Array } {
  return { peerId: ed25519PeerId(ed25519.getPublicKey(secretKey)), prove: (chainId, address) => signPeerProof(secretKey, chainId, address) };
}
