// BindPeer messages for tests: a deterministic Ed25519 peer key per tag, with the proof of
// possession the app requires (protocol/peer-proof.ts, decision 29) made for the validator that binds.
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519Peer } from '../../protocol/peer-proof.js';
import { utf8 } from '../../common/bytes.js';
import type { BindPeer } from '../../proto/seqpool.js';
import { CHAIN_ID } from './harness.js';

/** The test peer named `tag`: the same tag is the same key (and peer id) everywhere. */
export const testPeer = (tag: string) => ed25519Peer(sha256(utf8(`seqpool test peer ${tag}`)));

/** A BindPeer of peer `tag` for the validator at `address`, provable on `chainId`. */
export function bindPeerMsg(address: Uint8Array, tag: string, addrs: string[], chainId = CHAIN_ID): BindPeer {
  const peer = testPeer(tag);
  return { peerId: peer.peerId, addrs, peerProof: peer.prove(chainId, address) };
}
