// protocol/ordered-trie.ts against the Merkle-Patricia vectors of ethereum/tests TrieTests
// (trieanyorder.json: embedded nodes, extensions, a key that is a prefix of another so a branch
// holds a value) and the ordered-list construction rules; the real-block vectors (transactions and
// withdrawals roots of blocks geth built) are in test/protocol/l2-header.test.ts.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { toRlp } from 'viem';
import { fromHex, toHex, utf8 } from '../../common/bytes.js';
import { EMPTY_TRIE_ROOT, orderedTrieRoot, rlpIndex, trieRoot } from '../../protocol/ordered-trie.js';

const hex = (b: Uint8Array) => `0x${toHex(b)}`;
const str = (pairs: [string, string][]) => pairs.map(([k, v]) => [utf8(k), utf8(v)] as const);

test('the empty trie is keccak256(rlp(""))', () => {
  expect(hex(EMPTY_TRIE_ROOT)).toBe('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421');
  expect(hex(orderedTrieRoot([]))).toBe('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421');
  expect(hex(trieRoot([]))).toBe('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421');
});

test.each<[string, (readonly [Uint8Array, Uint8Array])[], string]>([
  ['singleItem', str([['A', 'a'.repeat(50)]]), '0xd23786fb4a010da3ce639d66d5e904a11dbc02746d1ce25029e53290cabf28ab'],
  ['dogs', str([['doe', 'reindeer'], ['dog', 'puppy'], ['dogglesworth', 'cat']]), '0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3'],
  ['puppy', str([['do', 'verb'], ['horse', 'stallion'], ['doge', 'coin'], ['dog', 'puppy']]), '0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84'],
  ['foo', str([['foo', 'bar'], ['food', 'bass']]), '0x17beaa1648bafa633cda809c90c04af50fc8aed3cb40d16efbddee6fdf63c4c3'],
  ['smallValues', str([['be', 'e'], ['dog', 'puppy'], ['bed', 'd']]), '0x3f67c7a47520f79faa29255d2d3c084a7a6df0453116ed7232ff10277a8be68b'],
  ['testy', str([['test', 'test'], ['te', 'testy']]), '0x8452568af70d8d140f58d941338542f645fcca50094b20f3c3d8c3df49337928'],
  ['hex', [[fromHex('0045'), fromHex('0123456789')], [fromHex('4500'), fromHex('9876543210')]], '0x285505fcabe84badc8aa310e2aae17eddc7d120aabec8a476902c8184b3a3503'],
])('ethereum/tests trieanyorder %s', (_name, pairs, root) => {
  expect(hex(trieRoot(pairs))).toBe(root);
  // Any insertion order gives the same root.
  expect(hex(trieRoot([...pairs].reverse()))).toBe(root);
});

test('list keys are rlp(index): one byte up to 127, then 0x81xx, 0x82xxxx', () => {
  expect([0, 1, 127, 128, 255, 256, 299, 65535, 65536].map((i) => hex(rlpIndex(i)))).toEqual(['0x80', '0x01', '0x7f', '0x8180', '0x81ff', '0x820100', '0x82012b', '0x82ffff', '0x83010000']);
  expect(() => rlpIndex(-1)).toThrow(/index -1/);
  expect(() => rlpIndex(1.5)).toThrow(/index 1.5/);
});

test('a one-item list is the hash of one leaf: [hexPrefix(nibbles 8 0, leaf) = 0x2080, item]', () => {
  const item = utf8('x'.repeat(40));
  const leaf = toRlp([Uint8Array.of(0x20, 0x80), item], 'bytes');
  expect(hex(orderedTrieRoot([item]))).toBe(hex(keccak_256(leaf)));
});

test('a two-item list: a branch at nibble 0 and 8 of keys 0x80 and 0x01, small leaves embedded', () => {
  const [a, b] = [utf8('a'), utf8('b')];
  // key 0x80 = nibbles 8,0 (item 0); key 0x01 = nibbles 0,1 (item 1). Each leaf keeps one nibble
  // (odd path, leaf flag 3): [0x30, a] and [0x31, b], both under 32 bytes, so embedded in the branch.
  const branch: (Uint8Array | Uint8Array[])[] = new Array(17).fill(new Uint8Array(0));
  branch[8] = [Uint8Array.of(0x30), a];
  branch[0] = [Uint8Array.of(0x31), b];
  expect(hex(orderedTrieRoot([a, b]))).toBe(hex(keccak_256(toRlp(branch, 'bytes'))));
});

test('the order of a list is part of its root; a list of 300 is neither the list of 299 nor any reordering', () => {
  const items = Array.from({ length: 300 }, (_, i) => utf8(`item ${i}`.repeat(1 + (i % 5))));
  const root = hex(orderedTrieRoot(items));
  expect(hex(orderedTrieRoot(items.slice(0, 299)))).not.toBe(root);
  const swapped = [...items];
  [swapped[128], swapped[256]] = [swapped[256]!, swapped[128]!];
  expect(hex(orderedTrieRoot(swapped))).not.toBe(root);
  // The same pairs given out of order build the same trie.
  expect(hex(trieRoot(items.map((v, i) => [rlpIndex(i), v] as const).reverse()))).toBe(root);
});

test('an empty item (a deletion in Ethereum tries) and a repeated key are refused, naming the key', () => {
  expect(() => orderedTrieRoot([utf8('a'), new Uint8Array(0)])).toThrow('trie: the value at key 0x01 is empty');
  expect(() => trieRoot(str([['k', 'v'], ['k', 'w']]))).toThrow('trie: key 0x6b appears twice');
});
