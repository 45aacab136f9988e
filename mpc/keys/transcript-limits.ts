// How much room a key session's messages may take (decision 28). Every cap is the largest encoding an
// honest party can produce for the session's shape (committee sizes, commitments per dealing, proof
// length), measured by encoding a template with the widest field values, so an honest message never
// hits one and a byzantine one can take no more room than an honest one of its kind. With the count
// rules of VssSession and the app (two dealings per dealer, one complaint per (receiver, dealer), one
// justification per missing-share complaint, one Ready per receiver) they bound the whole transcript.
import { encodeBody, encodeEnvelope, type BodyMsg } from '../../proto/mpc.js';

/** The widest member index (validateCommittee's bound): a 3-byte varint. */
const MAX_INDEX = 65535;
const SIGNATURE_BYTES = 64;
const POINT_BYTES = 33;
const SCALAR_BYTES = 32;

export interface SessionShape {
  dealers: number;
  receivers: number;
  /** Commitments in a dealing (t, or t-1 for a refresh). */
  commitmentCount: number;
  /** Length of an honest dealing's proof of knowledge (65 for a DKG, 0 otherwise). */
  proofBytes: number;
}

/** Caps in bytes of one encoded envelope of each kind, and of a session's whole public transcript. */
export interface TranscriptLimits {
  dealing: number;
  /** A private share (never on chain, but carried as complaint evidence and in justifications). */
  share: number;
  complaint: number;
  justification: number;
  ready: number;
  /** 2 dealings per dealer, one complaint and one justification per (receiver, dealer), one Ready per receiver. */
  session: number;
}

const fill = (n: number) => new Uint8Array(n).fill(0xff);
const bodyBytes = (payload: Omit<BodyMsg, 'session' | 'sender'>): Uint8Array => encodeBody({ session: fill(32), sender: fill(33), ...payload } as BodyMsg);
const envelopeBytes = (payload: Omit<BodyMsg, 'session' | 'sender'>): number => encodeEnvelope({ body: bodyBytes(payload), signature: fill(SIGNATURE_BYTES) }).length;

const cache = new Map<string, TranscriptLimits>();

export function transcriptLimits(shape: SessionShape): TranscriptLimits {
  const k = `${shape.dealers}/${shape.receivers}/${shape.commitmentCount}/${shape.proofBytes}`;
  const hit = cache.get(k);
  if (hit) return hit;
  // Complaint evidence and a justification carry the dealer's signed share envelope.
  const share = { body: bodyBytes({ share: { dealer: MAX_INDEX, recipient: MAX_INDEX, value: fill(SCALAR_BYTES) } }), signature: fill(SIGNATURE_BYTES) };
  const dealing = envelopeBytes({ dealing: { dealer: MAX_INDEX, commitments: Array.from({ length: shape.commitmentCount }, () => fill(POINT_BYTES)), proofOfKnowledge: fill(shape.proofBytes) } });
  const complaint = envelopeBytes({ complaint: { recipient: MAX_INDEX, accused: MAX_INDEX, evidence: share } });
  const justification = envelopeBytes({ justification: { share } });
  const ready = envelopeBytes({ ready: { recipient: MAX_INDEX, dealers: Array.from({ length: shape.dealers }, () => MAX_INDEX) } });
  const limits: TranscriptLimits = {
    dealing,
    share: encodeEnvelope(share).length,
    complaint,
    justification,
    ready,
    session: 2 * shape.dealers * dealing + shape.receivers * shape.dealers * (complaint + justification) + shape.receivers * ready,
  };
  if (cache.size >= 64) cache.delete(cache.keys().next().value!);
  cache.set(k, limits);
  return limits;
}
