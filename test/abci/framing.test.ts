import { FrameDecoder, FrameError, encodeFrame, encodeUvarint, uvarintLength, DEFAULT_MAX_FRAME_SIZE } from '../../abci/framing.js';

const bytes = (...xs: number[]) => Buffer.from(xs);
const body = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

function feed(dec: FrameDecoder, chunks: Buffer[]): Buffer[] {
  return chunks.flatMap((c) => dec.push(c));
}

function splitEvery(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

describe('uvarint encoding', () => {
  test('is unsigned protobuf varint, not zigzag', () => {
    // zigzag would encode 1 as 0x02 and 64 as 0x80 0x01: the 0.34 framing this server must not speak.
    expect(encodeUvarint(0)).toEqual(bytes(0x00));
    expect(encodeUvarint(1)).toEqual(bytes(0x01));
    expect(encodeUvarint(64)).toEqual(bytes(0x40));
    expect(encodeUvarint(127)).toEqual(bytes(0x7f));
    expect(encodeUvarint(128)).toEqual(bytes(0x80, 0x01));
    expect(encodeUvarint(300)).toEqual(bytes(0xac, 0x02));
    expect(encodeUvarint(2 ** 32)).toEqual(bytes(0x80, 0x80, 0x80, 0x80, 0x10));
    expect(uvarintLength(2 ** 32)).toBe(5);
    expect(() => encodeUvarint(-1)).toThrow(RangeError);
  });

  test('encodeFrame prefixes the body length', () => {
    expect(encodeFrame(bytes(0x12, 0x00))).toEqual(bytes(0x02, 0x12, 0x00));
    expect(encodeFrame(new Uint8Array(0))).toEqual(bytes(0x00));
    const big = body(300);
    expect(encodeFrame(big)).toEqual(Buffer.concat([bytes(0xac, 0x02), big]));
  });
});

describe('FrameDecoder', () => {
  const frames = [body(1), body(0), body(127), body(128, 7), body(5000, 3)];
  const stream = Buffer.concat(frames.map((f) => encodeFrame(f)));

  test('coalesced frames in one chunk', () => {
    const dec = new FrameDecoder();
    expect(dec.push(stream)).toEqual(frames);
    expect(dec.midFrame).toBe(false);
  });

  test.each([1, 2, 3, 7, 128, 129, 4999])('frames split into %i-byte chunks', (size) => {
    const dec = new FrameDecoder();
    expect(feed(dec, splitEvery(stream, size))).toEqual(frames);
    expect(dec.midFrame).toBe(false);
    expect(dec.bufferedBytes).toBe(0);
  });

  test('a prefix split across chunks and a body split at its last byte', () => {
    const f = encodeFrame(body(300)); // 2-byte prefix
    const dec = new FrameDecoder();
    expect(dec.push(f.subarray(0, 1))).toEqual([]);
    expect(dec.midFrame).toBe(true);
    expect(dec.push(f.subarray(1, f.length - 1))).toEqual([]);
    expect(dec.bufferedBytes).toBe(f.length - 1);
    expect(dec.push(f.subarray(f.length - 1))).toEqual([body(300)]);
  });

  test('a large frame in 1-byte chunks completes in linear time', () => {
    const big = body(256 * 1024);
    const dec = new FrameDecoder();
    const t0 = Date.now();
    const out = feed(dec, splitEvery(encodeFrame(big), 1));
    // Quadratic concatenation would copy ~32 GiB here and take minutes.
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(out).toHaveLength(1);
    expect(out[0]!.equals(big)).toBe(true);
  });

  test('default maximum is 100 MiB', () => {
    expect(DEFAULT_MAX_FRAME_SIZE).toBe(100 * 1024 * 1024);
    expect(new FrameDecoder().maxFrameSize).toBe(DEFAULT_MAX_FRAME_SIZE);
  });

  test('oversize is detected from the prefix, before any body byte', () => {
    const dec = new FrameDecoder({ maxFrameSize: 1000 });
    expect(dec.push(encodeFrame(body(1000)))).toHaveLength(1); // exactly the maximum is fine
    let err: unknown;
    try {
      dec.push(encodeUvarint(1001)); // the prefix alone, no body
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameError);
    expect((err as FrameError).code).toBe('oversize');
    expect((err as FrameError).message).toMatch(/1001 bytes exceeds the maximum of 1000/);
    // The decoder stays failed: the stream has lost alignment.
    expect(() => dec.push(bytes(0x00))).toThrow(FrameError);
    expect(dec.error?.code).toBe('oversize');
  });

  test('a 100 MiB+1 prefix is refused with the default maximum', () => {
    const dec = new FrameDecoder();
    expect(() => dec.push(encodeUvarint(DEFAULT_MAX_FRAME_SIZE + 1))).toThrow(/exceeds the maximum/);
  });

  test('a varint longer than 10 bytes is malformed', () => {
    const dec = new FrameDecoder({ maxFrameSize: Number.MAX_SAFE_INTEGER });
    expect(() => dec.push(Buffer.alloc(11, 0x80))).toThrow(/longer than 10 bytes/);
    expect(dec.error?.code).toBe('malformed-varint');
  });

  test('a 10-byte varint that overflows uint64 is malformed, also when fed byte by byte', () => {
    const dec = new FrameDecoder({ maxFrameSize: Number.MAX_SAFE_INTEGER });
    const prefix = Buffer.concat([Buffer.alloc(9, 0xff), bytes(0x02)]);
    expect(() => feed(dec, splitEvery(prefix, 1))).toThrow(/overflows uint64/);
    expect(dec.error?.code).toBe('malformed-varint');
  });

  test('a 10-byte varint within uint64 is well formed but oversize', () => {
    const dec = new FrameDecoder();
    const prefix = Buffer.concat([Buffer.alloc(9, 0xff), bytes(0x01)]); // 2^64 - 1
    expect(() => dec.push(prefix)).toThrow(expect.objectContaining({ code: 'oversize' }) as Error);
  });

  test('non-minimal prefixes are accepted, as Go ReadUvarint does', () => {
    const dec = new FrameDecoder();
    expect(dec.push(bytes(0x82, 0x00, 0xaa, 0xbb))).toEqual([bytes(0xaa, 0xbb)]);
  });

  test('frames before a bad prefix in the same chunk are dropped with it', () => {
    const dec = new FrameDecoder({ maxFrameSize: 10 });
    expect(() => dec.push(Buffer.concat([encodeFrame(body(3)), encodeUvarint(11)]))).toThrow(FrameError);
  });

  test('a returned frame is not overwritten by later chunks', () => {
    const dec = new FrameDecoder();
    const f1 = encodeFrame(body(10, 1));
    const f2 = encodeFrame(body(10, 2));
    const [a] = dec.push(Buffer.concat([f1, f2.subarray(0, 5)]));
    dec.push(f2.subarray(5));
    expect(a).toEqual(body(10, 1));
  });

  test('frames do not alias the socket chunk they came from', () => {
    const dec = new FrameDecoder();
    const chunk = Buffer.concat([encodeFrame(body(4, 1)), encodeFrame(body(4, 2))]);
    const out = dec.push(chunk);
    chunk.fill(0);
    expect(out).toEqual([body(4, 1), body(4, 2)]);
  });
});
