// How large a valid tx of each kind can be, checked before the body is decoded: a tx above max_tx_bytes
// is refused outright, and below it a tx may be no larger than the largest honest message of its
// kind (plus a margin), so junk costs a shallow scan of its top-level fields and nothing more.
// The limits of the MPC messages grow with the committee: `parties` is an upper bound on the number
// of members any session or key can have (the app passes the number of sequencer records).
import protobuf from 'protobufjs';
import type { TxBody } from '../proto/seqpool.js';

/** TxBody's message field numbers (proto/seqpool.proto `oneof msg`). */
const KINDS = { 10: 'bindPeer', 11: 'mpcPublic', 12: 'requestBatch', 13: 'submitSignature', 14: 'reportCheater' } as const satisfies Record<number, keyof TxBody>;
export type TxKind = (typeof KINDS)[keyof typeof KINDS];

/** Chain id, signer key, nonce, lane and the Tx's own signature field, with room to spare. */
const ENVELOPE_BYTES = 512;
/** A signed MPC envelope's fixed part: session id, sender key, signature, framing. */
const MPC_ENVELOPE_BYTES = 256;
/** One signed NonceCommitment envelope (two 33-byte points, signer, attempt), generously. */
const COMMITMENT_ENVELOPE_BYTES = 320;

/** A batch request's envelope and fixed-size fields (hashes, heights): the tx is this plus its data. */
export const REQUEST_BATCH_OVERHEAD_BYTES = ENVELOPE_BYTES + 512;

/**
 * The largest valid message of each kind with `parties` committee members and batches of at most
 * `maxBatchBytes` of data, in bytes (the whole tx). Generous (about twice what the encoders produce),
 * so an honest message is never refused.
 */
export function maxTxBytesOf(kind: TxKind, parties: number, maxBatchBytes: number): number {
  const n = Math.max(1, parties);
  switch (kind) {
    case 'bindPeer':
      return ENVELOPE_BYTES + 8 * 260 + 512; // up to 8 multiaddrs of 250 characters, the peer id and its proof
    case 'requestBatch':
      return REQUEST_BATCH_OVERHEAD_BYTES + maxBatchBytes;
    case 'submitSignature':
      return ENVELOPE_BYTES + 512; // fixed-size fields: hashes, heights, a 65-byte signature
    case 'mpcPublic':
      // Dealing: n Feldman commitments (33 bytes) and a proof; Ready: up to n dealer indices;
      // Complaint and Justification carry one private-share envelope.
      return ENVELOPE_BYTES + 2 * (MPC_ENVELOPE_BYTES + 40 * n + 2 * MPC_ENVELOPE_BYTES);
    case 'reportCheater':
      // The signing package (up to n commitment envelopes), the accused's commitment and share.
      return ENVELOPE_BYTES + 2 * (MPC_ENVELOPE_BYTES + n * COMMITMENT_ENVELOPE_BYTES + COMMITMENT_ENVELOPE_BYTES + 2 * MPC_ENVELOPE_BYTES);
  }
}

export type ShallowTx = { kind: TxKind | undefined; bodyBytes: Uint8Array; signature: Uint8Array } | { problem: string };

/**
 * Reads a Tx's two fields and the top-level field numbers of its body without decoding any nested
 * message: which kind of message it carries (the last one set, as protobuf decoding would) and the
 * raw body and signature. Undefined kind: no known message field.
 */
export function shallowTx(raw: Uint8Array): ShallowTx {
  try {
    const outer = protobuf.Reader.create(raw);
    let bodyBytes: Uint8Array = new Uint8Array(0);
    let signature: Uint8Array = new Uint8Array(0);
    while (outer.pos < outer.len) {
      const tag = outer.uint32();
      if (tag === 10) bodyBytes = outer.bytes();
      else if (tag === 18) signature = outer.bytes();
      else outer.skipType(tag & 7);
    }
    const body = protobuf.Reader.create(bodyBytes);
    let kind: TxKind | undefined;
    while (body.pos < body.len) {
      const tag = body.uint32();
      const field = tag >>> 3;
      if (field in KINDS) kind = KINDS[field as keyof typeof KINDS];
      body.skipType(tag & 7);
    }
    return { kind, bodyBytes, signature };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}
