// bench:l2's anchors are computed, not quoted: the CTC-style calldata holds every transaction
// uncompressed, the OP-style frame holds a channel that inflates back to the singular batches, and the
// cost model prices calldata the EIP-7623 way.
import { inflateSync } from 'node:zlib';
import { fromRlp } from 'viem';
import { ctcCalldata, l1Batch, opFrame, tokens, txGas } from '../../bench/l2-batches.js';
import { FakeL2Chain } from '../batch-fixture.js';

test('CTC calldata carries every raw transaction uncompressed; an OP frame inflates to one singular batch per block', async () => {
  const chain = new FakeL2Chain(6n, 'bench');
  const data = await chain.data(2n, 6n);
  const content = await chain.content(2n, 6n);
  const txBytes = content.blocks.flatMap((b) => b.transactions).reduce((n, t) => n + (t.length - 2) / 2, 0);
  const ctc = ctcCalldata(data);
  expect(ctc.length).toBe(4 + 5 + 3 + 5 * 13 + content.blocks.reduce((n, b) => n + b.transactions.length * 3, 0) + txBytes);
  const frame = opFrame(data, 'zlib');
  const len = new DataView(frame.buffer, frame.byteOffset).getUint32(19);
  const channel = inflateSync(frame.subarray(23, 23 + len));
  // A channel is a stream of RLP strings, one per singular batch: 0x00 || rlp([parent, epoch, hash, time, txs]).
  const batches: unknown[] = [];
  for (let o = 0; o < channel.length; ) {
    const h = channel[o]!;
    const [skip, len] = h < 0xb8 ? [1, h - 0x80] : [1 + h - 0xb7, Number(BigInt(`0x${channel.subarray(o + 1, o + 1 + h - 0xb7).toString('hex')}`))];
    const item = channel.subarray(o + skip, o + skip + len);
    expect(item[0]).toBe(0);
    batches.push(fromRlp(`0x${item.subarray(1).toString('hex')}`, 'hex'));
    o += skip + len;
  }
  expect(batches).toHaveLength(5);
  expect((batches[1] as unknown[])[4]).toEqual(content.blocks[1]!.transactions);
  const b = l1Batch(data, new Uint8Array(100), 50_000n);
  expect(b).toMatchObject({ l2Blocks: 5, l2Txs: 10, txBytes });
});

test('calldata costs the larger of standard pricing plus execution and the EIP-7623 floor', () => {
  const d = Uint8Array.of(0, 0, 1, 2); // 2 + 8 = 10 tokens
  expect(tokens(d)).toBe(10);
  expect(txGas(d)).toBe(21_000 + 100); // the floor: no execution
  expect(txGas(d, 1_000)).toBe(21_000 + 40 + 1_000); // execution above the floor's margin
});
