// The batch data encoding (protocol/batch-data.ts) every producer, sidecar and verifier shares:
// property tests over seeded random batches (decode(encode(x)) = x, encode(decode(b)) = b), and the
// refusals that keep one batch of blocks to exactly one body: non-canonical integers, hashes of the
// wrong size, extra items, long-form lengths, another version byte, and a brotli bomb stopped by the
// size bound.
import { createBrotliCompress } from 'node:zlib';
import { fromRlp, toRlp, type Hex } from 'viem';
import { concatBytes, fromHex, toHex } from '../../common/bytes.js';
import { BatchDataError, MAX_BATCH_BODY_BYTES, batchContentOf, compressBody, decodeBatchBody, decodeBatchData, encodeBatchBody, encodeBatchData, payloadOf, type BatchBlock, type BatchContent } from '../../protocol/batch-data.js';

/** mulberry32: a small seeded generator, so a failure reproduces from its seed. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const hex = (n: number): Hex => `0x${toHex(bytes(n))}`;
  // Integers of every size: zero, small, and up to 2^256 - 1 (edge of the 32-byte range).
  const big = (): bigint => {
    const k = int(4);
    if (k === 0) return 0n;
    if (k === 1) return BigInt(int(1000));
    if (k === 2) return (1n << 256n) - 1n;
    return BigInt(`0x${toHex(bytes(1 + int(32)))}`);
  };
  return { int, bytes, hex, big };
}

function randomContent(r: ReturnType<typeof rng>): BatchContent {
  const block = (): BatchBlock => ({
    timestamp: r.big(),
    feeRecipient: r.hex(20),
    prevRandao: r.hex(32),
    gasLimit: r.big(),
    gasUsed: r.big(),
    baseFeePerGas: r.big(),
    extraData: r.hex(r.int(33)),
    stateRoot: r.hex(32),
    receiptsRoot: r.hex(32),
    logsBloom: r.hex(256),
    blobGasUsed: r.big(),
    excessBlobGas: r.big(),
    blockHash: r.hex(32),
    transactions: Array.from({ length: r.int(5) }, () => r.hex(r.int(300))),
  });
  return { parentHash: r.hex(32), firstBlock: BigInt(r.int(3)) === 0n ? 0n : r.big() % (1n << 64n), blocks: Array.from({ length: 1 + r.int(5) }, block) };
}

test('decode(encode(x)) = x and encode(decode(b)) = b over 300 seeded random batches', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const x = randomContent(rng(seed));
    const body = encodeBatchBody(x);
    expect({ seed, back: decodeBatchBody(body) }).toEqual({ seed, back: x });
    expect(encodeBatchBody(decodeBatchBody(body))).toEqual(body);
    const data = encodeBatchData(x);
    expect(decodeBatchData(data)).toEqual(x);
    expect(encodeBatchData(decodeBatchData(data))).toEqual(data);
  }
});

test('payloads -> batch -> payloads: payloadOf rebuilds each block, its parent the previous block', () => {
  const x = randomContent(rng(7));
  const ps = x.blocks.map((_, i) => payloadOf(x, i));
  expect(ps[0]!.parentHash).toBe(x.parentHash);
  ps.slice(1).forEach((p, i) => expect(p.parentHash).toBe(x.blocks[i]!.blockHash));
  expect(batchContentOf(ps)).toEqual(x);
});

// ---------- non-canonical bodies ----------

type Rlp = Uint8Array | Rlp[];
/** A body with its RLP tree edited: the canonical encoding of something the decoder must still refuse. */
const edited = (x: BatchContent, edit: (top: Rlp[]) => void): Uint8Array => {
  const top = fromRlp(encodeBatchBody(x), 'bytes') as Rlp[];
  edit(top);
  return toRlp(top as never, 'bytes');
};
const blockFields = (top: Rlp[], i = 0): Rlp[] => (top[2] as Rlp[])[i] as Rlp[];
const refused = (body: Uint8Array, message: RegExp) => {
  expect(() => decodeBatchBody(body)).toThrow(BatchDataError);
  expect(() => decodeBatchBody(body)).toThrow(message);
  // and wrapped as batch data, the same refusal
  expect(() => decodeBatchData(compressBody(body))).toThrow(message);
};
/** RLP of a byte string with a long-form length (0xb8 len) even when it is under 56 bytes. */
const longForm = (b: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0xb8, b.length), b);
/** An RLP list header for `payload` (canonical). */
const listOf = (payload: Uint8Array): Uint8Array => {
  if (payload.length < 56) return concatBytes(Uint8Array.of(0xc0 + payload.length), payload);
  const len = fromHex(payload.length.toString(16).padStart(Math.ceil(payload.length.toString(16).length / 2) * 2, '0'));
  return concatBytes(Uint8Array.of(0xf7 + len.length), len, payload);
};

describe('a body that is not canonical is refused with BatchDataError', () => {
  const x = randomContent(rng(42));
  x.firstBlock = 5n;
  x.blocks[0]!.timestamp = 1_700_000_000n;

  test('an integer with a leading zero byte', () => {
    refused(edited(x, (top) => void (top[1] = Uint8Array.of(0, 5))), /not in canonical form/);
    refused(edited(x, (top) => void (blockFields(top)[0] = concatBytes(Uint8Array.of(0), blockFields(top)[0] as Uint8Array))), /not in canonical form/);
  });

  test('a 31-byte hash, a 19-byte address, a 33-byte extraData', () => {
    refused(edited(x, (top) => void (top[0] = (top[0] as Uint8Array).subarray(1))), /parentHash must be 32 bytes, got 31/);
    refused(edited(x, (top) => void (blockFields(top)[7] = new Uint8Array(31))), /stateRoot must be 32 bytes, got 31/);
    refused(edited(x, (top) => void (blockFields(top)[1] = new Uint8Array(19))), /feeRecipient must be 20 bytes, got 19/);
    refused(edited(x, (top) => void (blockFields(top)[6] = new Uint8Array(33))), /extraData is at most 32 bytes/);
  });

  test('an extra item at the top, in a block, a list where bytes belong', () => {
    refused(edited(x, (top) => void top.push(Uint8Array.of(1))), /batch body has 4 items, not 3/);
    refused(edited(x, (top) => void blockFields(top).push(new Uint8Array(0))), /block has 15 fields, not 14/);
    refused(edited(x, (top) => void (top[1] = [Uint8Array.of(5)])), /firstBlock must be a byte string/);
  });

  test('a long-form length, and a single byte below 0x80 wrapped as a string', () => {
    // [parentHash with a 0xb8 0x20 length, firstBlock, blocks]: same values, another encoding.
    const items = fromRlp(encodeBatchBody(x), 'bytes') as Rlp[];
    const rest = concatBytes(toRlp(items[1] as never, 'bytes'), toRlp(items[2] as never, 'bytes'));
    refused(listOf(concatBytes(longForm(items[0] as Uint8Array), rest)), /not RLP|not in canonical form/);
    // firstBlock 5 as 0x81 0x05 instead of 0x05.
    const tail = toRlp(items[2] as never, 'bytes');
    refused(listOf(concatBytes(toRlp(items[0] as never, 'bytes'), Uint8Array.of(0x81, 0x05), tail)), /not RLP|not in canonical form/);
  });

  test('trailing bytes after the body, and no blocks at all', () => {
    expect(() => decodeBatchBody(concatBytes(encodeBatchBody(x), Uint8Array.of(0)))).toThrow(BatchDataError);
    refused(edited(x, (top) => void (top[2] = [])), /at least one L2 block/);
  });
});

// ---------- the data layer ----------

test('another version byte, and data too short to hold one', () => {
  const data = encodeBatchData(randomContent(rng(3)));
  const v2 = Uint8Array.from(data);
  v2[0] = 2;
  expect(() => decodeBatchData(v2)).toThrow(new BatchDataError('batch data version 2 is not 1'));
  expect(() => decodeBatchData(new Uint8Array(0))).toThrow(/too short/);
  expect(() => decodeBatchData(Uint8Array.of(1))).toThrow(/too short/);
  expect(() => decodeBatchData(Uint8Array.of(1, 0xff, 0xff, 0xff))).toThrow(BatchDataError);
});

test('a brotli bomb (100 MB of zeros in a few KB) is refused at the size bound', async () => {
  // Compressed in 1 MB chunks: the 100 MB are never in memory here either.
  const z = createBrotliCompress();
  const out: Buffer[] = [];
  z.on('data', (d: Buffer) => out.push(d));
  const done = new Promise((r) => z.on('end', r));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < 100; i++) if (!z.write(zeros)) await new Promise((r) => z.once('drain', r));
  z.end();
  await done;
  const bomb = concatBytes(Uint8Array.of(1), ...out);
  expect(bomb.length).toBeLessThan(100_000);
  const before = process.memoryUsage().arrayBuffers;
  expect(() => decodeBatchData(bomb)).toThrow(new BatchDataError(`batch body exceeds ${MAX_BATCH_BODY_BYTES} bytes decompressed`));
  // The decoder stopped at the bound: it holds nothing of the 100 MB afterwards.
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(MAX_BATCH_BODY_BYTES * 2);
  // A smaller bound is honoured too.
  expect(() => decodeBatchData(compressBody(new Uint8Array(2048)), 1024)).toThrow(/exceeds 1024 bytes/);
});
