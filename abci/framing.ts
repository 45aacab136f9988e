// ABCI socket framing for CometBFT 0.38: every message is a protobuf *unsigned* varint (uvarint) length
// followed by that many bytes of protobuf. This is what the Go side does with
// protoio.NewDelimitedReader / WriteMessage. CometBFT 0.34 and the old JS servers (tendermint/js-abci,
// dashpay/js-abci) used a zigzag (signed) varint instead; the two disagree on every length, so getting
// this wrong makes the very first frame unreadable (DESIGN.md decision 2).

/** Default cap on one frame's body: a FinalizeBlock carries a whole block, and a block is at most
 * 100 MiB (CometBFT's MaxBlockSizeBytes), so nothing CometBFT sends is larger. */
export const DEFAULT_MAX_FRAME_SIZE = 100 * 1024 * 1024;

/** A uint64 needs at most 10 varint bytes (9 * 7 = 63 bits, plus bit 63 in the tenth byte). */
const MAX_VARINT_BYTES = 10;

export type FrameErrorCode = 'oversize' | 'malformed-varint';

/** A framing violation: the stream can no longer be trusted, so the connection must be closed. */
export class FrameError extends Error {
  constructor(
    readonly code: FrameErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Number of bytes the uvarint encoding of `n` takes. */
export function uvarintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Writes the uvarint of `n` (a non-negative safe integer) at `offset`; returns the offset after it. */
function writeUvarint(buf: Uint8Array, offset: number, n: number): number {
  // Division rather than `>>>` so lengths above 2^31 stay correct (bitwise ops truncate to 32 bits).
  while (n >= 0x80) {
    buf[offset++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[offset++] = n;
  return offset;
}

/** The uvarint encoding of `n`. */
export function encodeUvarint(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`uvarint out of range: ${n}`);
  const buf = Buffer.allocUnsafe(uvarintLength(n));
  writeUvarint(buf, 0, n);
  return buf;
}

/** One frame: uvarint(body.length) || body, in a single allocation (one socket write per frame). */
export function encodeFrame(body: Uint8Array): Buffer {
  const prefix = uvarintLength(body.length);
  const out = Buffer.allocUnsafe(prefix + body.length);
  writeUvarint(out, 0, body.length);
  out.set(body, prefix);
  return out;
}

export interface FrameDecoderOptions {
  /** Largest body accepted, in bytes. Checked against the length prefix, before any body is buffered. */
  maxFrameSize?: number;
}

/**
 * Incremental frame decoder. Feed it socket chunks of any size and alignment (a frame split over many
 * chunks, many frames in one chunk, one byte at a time); it returns the complete frame bodies.
 *
 * Cost is linear in the bytes received: the length prefix is parsed one byte at a time with its state
 * kept across chunks (no re-scan of a growing buffer), and a body that spans chunks is collected as a
 * list of slices and concatenated exactly once when complete. Every returned frame owns its memory
 * (a copy, or the chunk itself when the chunk is exactly one frame body), so holding on to one frame,
 * or to a field decoded from it, never pins neighbouring bytes of the stream.
 *
 * After a FrameError the decoder stays failed: every later push throws the same error, because the
 * byte stream has lost its alignment and nothing after the bad prefix can be interpreted.
 */
export class FrameDecoder {
  readonly maxFrameSize: number;

  // Length-prefix state, kept across chunks.
  private prefixValue = 0;
  private prefixMultiplier = 1;
  private prefixBytes = 0;

  /** Body length of the frame being collected, or -1 while reading a length prefix. */
  private bodyLength = -1;
  private bodyParts: Buffer[] = [];
  private bodyCollected = 0;
  /** Length of the completed prefix of the frame being collected (for bufferedBytes). */
  private headerLength = 0;

  private failure: FrameError | undefined;

  constructor(opts: FrameDecoderOptions = {}) {
    const max = opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`invalid maxFrameSize: ${max}`);
    this.maxFrameSize = max;
  }

  /** True when some bytes of an unfinished frame (prefix or body) are held: the peer stopped mid-frame. */
  get midFrame(): boolean {
    return this.prefixBytes > 0 || this.bodyLength >= 0;
  }

  /** Bytes of the unfinished frame received so far (prefix bytes plus body bytes). */
  get bufferedBytes(): number {
    return this.bodyLength >= 0 ? this.headerLength + this.bodyCollected : this.prefixBytes;
  }

  /** The error that failed this decoder, if any. */
  get error(): FrameError | undefined {
    return this.failure;
  }

  /**
   * Consumes one chunk and returns the frame bodies it completed, in order. Throws FrameError on an
   * oversize length or a malformed varint; frames completed earlier in the same chunk are then
   * discarded with it, since the caller closes the connection anyway.
   */
  push(chunk: Buffer): Buffer[] {
    if (this.failure) throw this.failure;
    const frames: Buffer[] = [];
    let off = 0;
    const end = chunk.length;
    while (off < end) {
      if (this.bodyLength < 0) {
        off = this.readPrefix(chunk, off);
        if (this.bodyLength === 0) {
          // A zero-length frame is valid framing; whether it is a valid Request is the caller's call.
          frames.push(Buffer.alloc(0));
          this.bodyLength = -1;
        }
        continue;
      }
      const need = this.bodyLength - this.bodyCollected;
      const avail = end - off;
      if (this.bodyCollected === 0 && avail >= need) {
        // Zero-copy only when the frame is the whole chunk. Otherwise copy: ts-proto's bytes fields are
        // views into the frame, so a 100-byte tx kept by the app would pin the whole 64 KiB socket chunk.
        const whole = off === 0 && need === end;
        frames.push(whole ? chunk : Buffer.from(chunk.subarray(off, off + need)));
        off += need;
        this.bodyLength = -1;
        continue;
      }
      const take = Math.min(need, avail);
      this.bodyParts.push(chunk.subarray(off, off + take));
      this.bodyCollected += take;
      off += take;
      if (this.bodyCollected === this.bodyLength) {
        frames.push(Buffer.concat(this.bodyParts, this.bodyLength));
        this.bodyParts = [];
        this.bodyCollected = 0;
        this.bodyLength = -1;
      }
    }
    return frames;
  }

  /** Reads prefix bytes from `chunk` at `off`; sets bodyLength when the prefix completes. */
  private readPrefix(chunk: Buffer, off: number): number {
    const end = chunk.length;
    while (off < end) {
      const b = chunk[off++]!;
      this.prefixBytes++;
      if (this.prefixBytes === MAX_VARINT_BYTES && b > 1) {
        // The tenth byte may only carry bit 63; anything more overflows uint64 (Go's ReadUvarint agrees),
        // and a continuation bit there would make an 11-byte varint.
        throw this.fail('malformed-varint', b & 0x80 ? 'length prefix longer than 10 bytes' : 'length prefix overflows uint64');
      }
      // Plain arithmetic, not bit ops: exact up to 2^53, and anything past that is oversize anyway.
      this.prefixValue += (b & 0x7f) * this.prefixMultiplier;
      this.prefixMultiplier *= 128;
      if ((b & 0x80) === 0) {
        const length = this.prefixValue;
        this.headerLength = this.prefixBytes;
        this.prefixValue = 0;
        this.prefixMultiplier = 1;
        this.prefixBytes = 0;
        if (length > this.maxFrameSize) {
          throw this.fail('oversize', `frame of ${length} bytes exceeds the maximum of ${this.maxFrameSize}`);
        }
        this.bodyLength = length;
        return off;
      }
    }
    return off;
  }

  private fail(code: FrameErrorCode, message: string): FrameError {
    this.failure = new FrameError(code, message);
    this.bodyParts = [];
    return this.failure;
  }
}
