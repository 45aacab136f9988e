// Ethereum's Merkle-Patricia trie root (yellow paper appendix D), built in one pass from sorted keys:
// what a block header commits to for its transactions, receipts and withdrawals (orderedTrieRoot,
// the list keyed by rlp(index), geth's types.DeriveSha). Forced blocks (issue 16) need it to compute
// a block's hash from its payload before any geth has seen the block. No trie library: the
// construction is small, and a dependency for it would be one more thing every validator trusts.
//
// A node is an RLP item:
//   leaf      [hexPrefix(rest of key, leaf), value]
//   extension [hexPrefix(shared nibbles, not leaf), child]
//   branch    [child 0, ..., child 15, value]       (empty slots are the empty string)
// A child whose RLP is shorter than 32 bytes is embedded as its RLP item; any other is referenced by
// the keccak256 of its RLP. The root is always hashed, so the root of [] is keccak256(rlp('')).
import { keccak_256 } from '@noble/hashes/sha3.js';
import { toRlp } from 'viem';
import { compareBytes, toHex } from '../common/bytes.js';

type Node = Uint8Array | readonly Node[];

interface Entry {
  key: Uint8Array; // nibbles, one per byte (0-15)
  value: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const rlp = (n: Node): Uint8Array => toRlp(n, 'bytes');

/** keccak256(rlp('')) = 0x56e81f...b421: the root of an empty trie. */
export const EMPTY_TRIE_ROOT: Uint8Array = keccak_256(Uint8Array.of(0x80));

const nibbles = (b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(b.length * 2);
  for (let i = 0; i < b.length; i++) {
    out[2 * i] = b[i]! >> 4;
    out[2 * i + 1] = b[i]! & 0x0f;
  }
  return out;
};

/**
 * Hex-prefix encoding of a nibble path: the first nibble is the flag (2 if leaf, +1 if the path has
 * an odd length); an odd path's first nibble shares the flag's byte, an even path gets a zero pad.
 */
function hexPrefix(path: Uint8Array, leaf: boolean): Uint8Array {
  const odd = path.length % 2;
  const out = new Uint8Array(1 + (path.length >> 1));
  out[0] = ((leaf ? 2 : 0) + odd) << 4;
  let i = 0;
  if (odd) out[0] = out[0]! | path[i++]!;
  for (let o = 1; i < path.length; i += 2, o++) out[o] = (path[i]! << 4) | path[i + 1]!;
  return out;
}

/** How a parent holds `node`: the node itself if its RLP is under 32 bytes, else its hash. */
function ref(node: Node): Node {
  const enc = rlp(node);
  return enc.length < 32 ? node : keccak_256(enc);
}

/** Length of the nibble prefix two keys share from `depth`. */
function shared(a: Uint8Array, b: Uint8Array, depth: number): number {
  let n = 0;
  while (depth + n < a.length && depth + n < b.length && a[depth + n] === b[depth + n]) n++;
  return n;
}

/** The node holding `entries` (sorted, distinct keys that all share their first `depth` nibbles). */
function build(entries: readonly Entry[], depth: number): Node {
  if (entries.length === 1) return [hexPrefix(entries[0]!.key.subarray(depth), true), entries[0]!.value];
  // Sorted keys: what the first and last share, all share.
  const common = shared(entries[0]!.key, entries[entries.length - 1]!.key, depth);
  if (common > 0) return [hexPrefix(entries[0]!.key.subarray(depth, depth + common), false), ref(build(entries, depth + common))];
  const slots: Node[] = new Array<Node>(17).fill(EMPTY);
  let i = 0;
  // A key ending here (a prefix of the others) sorts first and is the branch's own value.
  if (entries[0]!.key.length === depth) slots[16] = entries[i++]!.value;
  while (i < entries.length) {
    const nibble = entries[i]!.key[depth]!;
    let j = i;
    while (j < entries.length && entries[j]!.key[depth] === nibble) j++;
    slots[nibble] = ref(build(entries.slice(i, j), depth + 1));
    i = j;
  }
  return slots;
}

/** The root of a trie holding `pairs` (key bytes, value bytes); keys must be distinct, values non-empty. */
export function trieRoot(pairs: readonly (readonly [Uint8Array, Uint8Array])[]): Uint8Array {
  if (pairs.length === 0) return EMPTY_TRIE_ROOT;
  const sorted = [...pairs].sort((a, b) => compareBytes(a[0], b[0]));
  for (let i = 0; i < sorted.length; i++) {
    // An empty value is a deletion in Ethereum's tries: no list item may be empty.
    if (sorted[i]![1].length === 0) throw new Error(`trie: the value at key 0x${toHex(sorted[i]![0])} is empty`);
    if (i > 0 && compareBytes(sorted[i - 1]![0], sorted[i]![0]) === 0) throw new Error(`trie: key 0x${toHex(sorted[i]![0])} appears twice`);
  }
  return keccak_256(rlp(build(sorted.map(([k, v]) => ({ key: nibbles(k), value: v })), 0)));
}

/** rlp(i) as bytes: 0 -> 0x80, 1..127 -> one byte, then 0x81xx, 0x82xxxx, ... */
export function rlpIndex(i: number): Uint8Array {
  if (!Number.isSafeInteger(i) || i < 0) throw new Error(`trie: index ${i} is not a non-negative integer`);
  if (i === 0) return rlp(EMPTY);
  const hex = i.toString(16);
  return rlp(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
}

/** The root of the list `items` keyed by rlp(index): a header's transactionsRoot, receiptsRoot, withdrawalsRoot. */
export function orderedTrieRoot(items: readonly Uint8Array[]): Uint8Array {
  return trieRoot(items.map((v, i) => [rlpIndex(i), v] as const));
}
