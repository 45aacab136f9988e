// Runtime loader and typed codec for proto/mpc.proto (protobufjs reflection; the .proto file is
// copied next to the compiled module by `npm run build`).
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const root = protobuf.loadSync(fileURLToPath(new URL('./mpc.proto', import.meta.url)));
const EnvelopeType = root.lookupType('seqpool.mpc.v1.Envelope');
const BodyType = root.lookupType('seqpool.mpc.v1.Body');

export interface EnvelopeMsg {
  body: Uint8Array;
  signature: Uint8Array;
}
export interface DealingMsg {
  dealer: number;
  commitments: Uint8Array[];
  proofOfKnowledge?: Uint8Array;
}
export interface ShareMsg {
  dealer: number;
  recipient: number;
  value: Uint8Array;
}
export interface ComplaintMsg {
  recipient: number;
  accused: number;
  evidence?: EnvelopeMsg;
}
export interface JustificationMsg {
  share: EnvelopeMsg;
}
export interface ReadyMsg {
  recipient: number;
  dealers: number[];
}
export interface SignRequestMsg {
  message: Uint8Array;
  attempt: number;
  signers: number[];
}
export interface NonceCommitmentMsg {
  signer: number;
  attempt: number;
  hiding: Uint8Array;
  binding: Uint8Array;
}
export interface SigningPackageMsg {
  message: Uint8Array;
  attempt: number;
  commitments: EnvelopeMsg[];
}
export interface SignatureShareMsg {
  signer: number;
  attempt: number;
  share: Uint8Array;
  /** signingPackageHash of the package this share answers (32 bytes). */
  packageHash: Uint8Array;
}
export type Payload =
  | { dealing: DealingMsg }
  | { share: ShareMsg }
  | { complaint: ComplaintMsg }
  | { justification: JustificationMsg }
  | { ready: ReadyMsg }
  | { signRequest: SignRequestMsg }
  | { nonceCommitment: NonceCommitmentMsg }
  | { signingPackage: SigningPackageMsg }
  | { signatureShare: SignatureShareMsg };
export type BodyMsg = { session: Uint8Array; sender: Uint8Array } & Payload;
/** A body before sealing (the sender key is filled in from the signing identity). */
export type BodyInput = { session: Uint8Array } & Payload;

const toBytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export function encodeEnvelope(e: EnvelopeMsg): Uint8Array {
  return toBytes(EnvelopeType.encode(EnvelopeType.fromObject(e)).finish());
}
export function encodeBody(b: BodyMsg): Uint8Array {
  const err = BodyType.verify(b);
  if (err) throw new Error(`invalid body: ${err}`);
  return toBytes(BodyType.encode(BodyType.fromObject(b)).finish());
}

// Decoders return plain objects; repeated fields default to [] and scalars to 0 so that callers
// validate values, not presence. Throws on undecodable bytes (callers wrap into MALFORMED).
const objectOpts = { defaults: true, arrays: true, oneofs: true } as const;

export function decodeEnvelope(bytes: Uint8Array): EnvelopeMsg {
  const o = EnvelopeType.toObject(EnvelopeType.decode(bytes), objectOpts) as EnvelopeMsg;
  return { body: toBytes(o.body), signature: toBytes(o.signature) };
}

export function decodeBody(bytes: Uint8Array): BodyMsg & { payload: string } {
  return BodyType.toObject(BodyType.decode(bytes), objectOpts) as BodyMsg & { payload: string };
}
