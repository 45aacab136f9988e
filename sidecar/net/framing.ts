// Frames on the MPC stream: a 4-byte big-endian length, then that many bytes (one envelope). The
// reverse direction carries acknowledgements: 4-byte big-endian cumulative counts of frames taken.
// The decoder checks the length against the limit as soon as the 4 header bytes are in, before it
// buffers any of the body; an oversize frame's body is skipped as it streams past, never stored.

/** The libp2p protocol of the stream these frames travel on. */
export const MPC_PROTOCOL = '/seqpool/mpc/1.0.0';

export const FRAME_HEADER_BYTES = 4;

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export type FrameEvent = { kind: 'frame'; bytes: Uint8Array } | { kind: 'oversize'; length: number } | { kind: 'empty' };

export class FrameDecoder {
  #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #body: Uint8Array | undefined;
  #bodyFill = 0;
  #skip = 0;

  constructor(readonly maxFrameBytes: number) {}

  /** Bytes of the current frame held in memory (header + partial body). */
  get buffered(): number {
    return this.#headerFill + this.#bodyFill;
  }

  /** Feeds a chunk; calls `emit` for each complete frame, oversize header or empty frame. */
  push(chunk: Uint8Array, emit: (ev: FrameEvent) => void): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - off);
        this.#skip -= n;
        off += n;
        continue;
      }
      if (this.#body === undefined) {
        const n = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.length - off);
        this.#header.set(chunk.subarray(off, off + n), this.#headerFill);
        this.#headerFill += n;
        off += n;
        if (this.#headerFill < FRAME_HEADER_BYTES) return;
        this.#headerFill = 0;
        const length = new DataView(this.#header.buffer).getUint32(0);
        if (length === 0) {
          emit({ kind: 'empty' });
          continue;
        }
        if (length > this.maxFrameBytes) {
          this.#skip = length;
          emit({ kind: 'oversize', length });
          continue;
        }
        // Whole frame already in this chunk: copy just that frame out (the chunk may be larger).
        if (chunk.length - off >= length) {
          emit({ kind: 'frame', bytes: chunk.slice(off, off + length) });
          off += length;
          continue;
        }
        this.#body = new Uint8Array(length);
        this.#bodyFill = 0;
      }
      const n = Math.min(this.#body.length - this.#bodyFill, chunk.length - off);
      this.#body.set(chunk.subarray(off, off + n), this.#bodyFill);
      this.#bodyFill += n;
      off += n;
      if (this.#bodyFill === this.#body.length) {
        const bytes = this.#body;
        this.#body = undefined;
        this.#bodyFill = 0;
        emit({ kind: 'frame', bytes });
      }
    }
  }
}

export function encodeAck(count: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, count >>> 0);
  return out;
}

/** Splits the acknowledgement direction into cumulative counts. */
export class AckDecoder {
  #buf = new Uint8Array(4);
  #fill = 0;
  push(chunk: Uint8Array): number[] {
    const counts: number[] = [];
    for (const byte of chunk) {
      this.#buf[this.#fill++] = byte;
      if (this.#fill === 4) {
        counts.push(new DataView(this.#buf.buffer).getUint32(0));
        this.#fill = 0;
      }
    }
    return counts;
  }
}
