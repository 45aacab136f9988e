// Signed envelopes: seal (encode + sign) and open (decode + canonical check + signature check).
// Opening never mutates anything; engines call it before touching their state, so a malformed or
// unsigned message is rejected with a typed error and no side effect.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { decodeBody, decodeEnvelope, encodeBody, encodeEnvelope, type BodyInput, type BodyMsg, type EnvelopeMsg } from '../proto/mpc.js';
import { MpcError } from './errors.js';
import { verifyIdentitySignature, type IdentityKey } from './identity.js';

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const ENVELOPE_DOMAIN = utf8ToBytes('seqpool.mpc.v1\0');
export const MAX_ENVELOPE_BYTES = 1 << 20;

/** What a verified envelope yields. `id` (SHA-256 of the body) keys replay detection. */
export interface Opened {
  body: BodyMsg & { payload: string };
  envelope: EnvelopeMsg;
  bytes: Uint8Array;
  id: string;
  sender: string; // hex of the sender identity key
}

function signingBytes(body: Uint8Array): Uint8Array {
  return concatBytes(ENVELOPE_DOMAIN, body);
}

/** Encodes `body` with `identity` as sender and signs it. */
export function seal(identity: IdentityKey, body: BodyInput): Uint8Array {
  const bodyBytes = encodeBody({ ...body, sender: identity.publicKey } as BodyMsg);
  return encodeEnvelope({ body: bodyBytes, signature: identity.sign(signingBytes(bodyBytes)) });
}

/** Opens an already-decoded envelope (e.g. evidence embedded in a complaint). */
export function openEnvelope(env: EnvelopeMsg): Opened {
  if (!env || !(env.body instanceof Uint8Array) || env.body.length === 0) throw new MpcError('MALFORMED', 'empty envelope body');
  let body: BodyMsg & { payload: string };
  try {
    body = decodeBody(env.body);
  } catch (e) {
    throw new MpcError('MALFORMED', `undecodable body: ${(e as Error).message}`);
  }
  let canonical: Uint8Array;
  try {
    canonical = encodeBody(body);
  } catch (e) {
    throw new MpcError('MALFORMED', `invalid body: ${(e as Error).message}`);
  }
  if (!equalBytes(canonical, env.body)) throw new MpcError('MALFORMED', 'non-canonical body encoding');
  if (body.session.length !== 32) throw new MpcError('MALFORMED', 'session id must be 32 bytes');
  if (body.sender.length !== 33) throw new MpcError('MALFORMED', 'sender must be a 33-byte key');
  if (!body.payload) throw new MpcError('MALFORMED', 'body without payload');
  if (!verifyIdentitySignature(body.sender, signingBytes(env.body), env.signature))
    throw new MpcError('BAD_SIGNATURE', 'envelope signature does not verify under the sender key');
  return { body, envelope: env, bytes: encodeEnvelope(env), id: bytesToHex(sha256(env.body)), sender: bytesToHex(body.sender) };
}

/** Decodes and opens raw envelope bytes. */
export function open(bytes: Uint8Array): Opened {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length > MAX_ENVELOPE_BYTES) throw new MpcError('MALFORMED', 'envelope size');
  let env: EnvelopeMsg;
  try {
    env = decodeEnvelope(bytes);
  } catch (e) {
    throw new MpcError('MALFORMED', `undecodable envelope: ${(e as Error).message}`);
  }
  return openEnvelope(env);
}

/** Canonical, length-prefixed encoding of session parameters, hashed into a 32-byte session id. */
export function sessionId(tag: string, ...parts: (string | number | bigint | Uint8Array | readonly Uint8Array[])[]): Uint8Array {
  const enc: Uint8Array[] = [];
  const push = (b: Uint8Array) => {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, b.length);
    enc.push(len, b);
  };
  push(utf8ToBytes(tag));
  for (const p of parts) {
    if (p instanceof Uint8Array) push(p);
    else if (Array.isArray(p)) {
      push(utf8ToBytes(`list:${p.length}`));
      for (const x of p as readonly Uint8Array[]) push(x);
    }
    else push(utf8ToBytes(String(p)));
  }
  return sha256(concatBytes(utf8ToBytes('seqpool.mpc.session.v1'), ...enc));
}
