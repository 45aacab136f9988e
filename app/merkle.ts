// The app hash: a binary Merkle tree over the sorted (key, value) pairs of state, in the RFC 6962
// shape CometBFT's crypto/merkle uses (leaf = sha256(0x00||leaf), inner = sha256(0x01||l||r), split
// at the largest power of two below n), so a client can check a query's proof against a header.
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes, uvarint } from '../common/bytes.js';

const LEAF = Uint8Array.of(0);
const INNER = Uint8Array.of(1);
const EMPTY_ROOT = sha256(new Uint8Array(0));

/** The leaf of one state entry: length-prefixed key and the hash of its value. */
export function kvLeaf(key: Uint8Array, value: Uint8Array): Uint8Array {
  return concatBytes(uvarint(key.length), key, uvarint(32), sha256(value));
}

export const leafHash = (leaf: Uint8Array): Uint8Array => sha256(concatBytes(LEAF, leaf));
export const innerHash = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256(concatBytes(INNER, l, r));

function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Root over already-hashed leaves. */
export function rootOfLeafHashes(hashes: Uint8Array[], lo = 0, hi = hashes.length): Uint8Array {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return hashes[lo]!;
  const k = splitPoint(n);
  return innerHash(rootOfLeafHashes(hashes, lo, lo + k), rootOfLeafHashes(hashes, lo + k, hi));
}

export interface MerkleProof {
  total: number;
  index: number;
  leafHash: Uint8Array;
  aunts: Uint8Array[]; // bottom-up siblings
}

export function proveLeaf(hashes: Uint8Array[], index: number): MerkleProof {
  if (index < 0 || index >= hashes.length) throw new RangeError(`leaf ${index} out of range 0..${hashes.length - 1}`);
  const aunts: Uint8Array[] = [];
  const walk = (lo: number, hi: number): void => {
    const n = hi - lo;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (index < lo + k) {
      walk(lo, lo + k);
      aunts.push(rootOfLeafHashes(hashes, lo + k, hi));
    } else {
      walk(lo + k, hi);
      aunts.push(rootOfLeafHashes(hashes, lo, lo + k));
    }
  };
  walk(0, hashes.length);
  return { total: hashes.length, index, leafHash: hashes[index]!, aunts };
}

/** Recompute the root a proof implies; undefined when its shape is inconsistent. */
export function rootFromProof(p: MerkleProof): Uint8Array | undefined {
  const climb = (index: number, total: number, leaf: Uint8Array, aunts: Uint8Array[]): Uint8Array | undefined => {
    if (index >= total || index < 0 || total <= 0) return undefined;
    if (total === 1) return aunts.length === 0 ? leaf : undefined;
    if (aunts.length === 0) return undefined;
    const k = splitPoint(total);
    const last = aunts[aunts.length - 1]!;
    const rest = aunts.slice(0, -1);
    if (index < k) {
      const left = climb(index, k, leaf, rest);
      return left && innerHash(left, last);
    }
    const right = climb(index - k, total - k, leaf, rest);
    return right && innerHash(last, right);
  };
  return climb(p.index, p.total, p.leafHash, p.aunts);
}

/** Does (key, value) belong to the state whose app hash is `root`? */
export function verifyKvProof(root: Uint8Array, key: Uint8Array, value: Uint8Array, proof: MerkleProof): boolean {
  if (!equalBytes(leafHash(kvLeaf(key, value)), proof.leafHash)) return false;
  const got = rootFromProof(proof);
  return got !== undefined && equalBytes(got, root);
}
