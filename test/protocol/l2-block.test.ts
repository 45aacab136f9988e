// Signed L2 blocks (protocol/l2-block.ts): the signer is recovered from the signature over chain id,
// number and block hash; changing any of them, or the signature, changes who signed; bad input is
// refused with the field it got wrong, and an oversized body before it is parsed.
import { privateKeyToAccount } from 'viem/accounts';
import { fromHex, toHex } from '../../common/bytes.js';
import { blobVersionedHashes, encodeSignedL2Block, L2BlockError, l2BlockSigner, MAX_SIGNED_L2_BLOCK_BYTES, parseSignedL2Block, signL2Block, type L2Payload } from '../../protocol/l2-block.js';

const KEY = `0x${'5a'.repeat(32)}` as const;
const ADDRESS = privateKeyToAccount(KEY).address.toLowerCase();
const h32 = (b: string) => `0x${b.repeat(32)}` as const;
const payload: L2Payload = {
  parentHash: h32('01'),
  feeRecipient: ADDRESS,
  stateRoot: h32('02'),
  receiptsRoot: h32('03'),
  logsBloom: `0x${'00'.repeat(256)}`,
  prevRandao: h32('04'),
  blockNumber: '0x7',
  gasLimit: '0x1c9c380',
  gasUsed: '0x0',
  timestamp: '0x6553f100',
  extraData: '0x',
  baseFeePerGas: '0x3b9aca00',
  blockHash: h32('05'),
  transactions: ['0x02f86b'],
  withdrawals: [],
  blobGasUsed: '0x0',
  excessBlobGas: '0x0',
};
const signer = (chainId: bigint, b: ReturnType<typeof signL2Block>) => `0x${toHex(l2BlockSigner(chainId, b))}`;

test('the producer address is recovered; another chain, number or hash recovers someone else', () => {
  const b = signL2Block(59902n, payload, fromHex(KEY));
  expect(signer(59902n, b)).toBe(ADDRESS);
  expect(signer(59903n, b)).not.toBe(ADDRESS);
  expect(signer(59902n, { ...b, payload: { ...payload, blockNumber: '0x8' } })).not.toBe(ADDRESS);
  expect(signer(59902n, { ...b, payload: { ...payload, blockHash: h32('06') } })).not.toBe(ADDRESS);
  const parsed = parseSignedL2Block(encodeSignedL2Block(b));
  expect(signer(59902n, parsed)).toBe(ADDRESS);
});

test('malformed blocks are refused with the field at fault', () => {
  const b = signL2Block(1n, payload, fromHex(KEY));
  const bad = (v: unknown) => () => parseSignedL2Block(JSON.stringify(v));
  expect(() => parseSignedL2Block('{')).toThrow('not JSON');
  expect(bad({ ...b, signature: '0x12' })).toThrow(/signature must be 65 bytes/);
  expect(bad({ ...b, payload: { ...payload, blockNumber: '0x10000000000000000' } })).toThrow(/payload.blockNumber must be a hex quantity of at most 64 bits/);
  expect(bad({ ...b, payload: { ...payload, blockNumber: '0x0' } })).toThrow(/genesis/);
  expect(bad({ ...b, payload: { ...payload, transactions: ['zz'] } })).toThrow(/payload.transactions.0/);
  expect(bad({ ...b, payload: { ...payload, extra: 1 } })).toThrow(L2BlockError);
  expect(bad({ ...b, payload: { ...payload, extraData: `0x${'00'.repeat(33)}` } })).toThrow(/extraData/);
  const v2 = `0x${b.signature.slice(2, -2)}02` as const;
  expect(() => l2BlockSigner(1n, { ...b, signature: v2 })).toThrow(/recovery id/);
  expect(() => parseSignedL2Block(new Uint8Array(MAX_SIGNED_L2_BLOCK_BYTES + 1))).toThrow(/exceeds/);
});

test('blobVersionedHashes: the versioned hashes of a block\'s type-3 transactions, in order; other and malformed txs add none', async () => {
  const account = privateKeyToAccount(`0x${'42'.repeat(32)}`);
  const h1 = `0x01${'aa'.repeat(31)}` as const;
  const h2 = `0x01${'bb'.repeat(31)}` as const;
  const blob = await account.signTransaction({ type: 'eip4844', chainId: 901, nonce: 0, to: `0x${'11'.repeat(20)}`, gas: 21_000n, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n, maxFeePerBlobGas: 1n, blobVersionedHashes: [h1, h2] });
  const transfer = await account.signTransaction({ type: 'eip1559', chainId: 901, nonce: 1, to: `0x${'11'.repeat(20)}`, gas: 21_000n, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n });
  expect(blobVersionedHashes([transfer, blob, '0x03deadbeef'])).toEqual([h1, h2]);
  expect(blobVersionedHashes([transfer])).toEqual([]);
});
