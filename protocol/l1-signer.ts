// A validator's L1 identity (DESIGN.md decision 3): its CometBFT secp256k1 key is also its Ethereum
// account. LockingPool records that address as the sequencer's signer, the app matches attested
// events to keys by it and names it as an epoch's producer on L2, and the node submits with it.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Hex } from 'viem';
import { toHex } from '../common/bytes.js';
import { publicKeyOf } from '../common/secp.js';

/** The L1 (Ethereum) address of a compressed secp256k1 key. */
export function ethAddress(pubKey33: Uint8Array): Uint8Array {
  return keccak_256(secp256k1.Point.fromBytes(pubKey33).toBytes(false).subarray(1)).subarray(12);
}

/** The Ethereum address of a validator key, 0x lower hex. */
export function ethAddressOf(privKey: Uint8Array): Hex {
  return `0x${toHex(ethAddress(publicKeyOf(privKey)))}`;
}
