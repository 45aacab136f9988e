// Session ids and package hashes shared by the signing coordinator, the participants and the app's
// cheater check (which must compute exactly what the participant signed).
import { sessionId } from '../envelope.js';
import type { PublicKeyPackage } from '../keys/types.js';
import type { SigningCommitment } from './frost.js';

/** One signing request (approved on chain under `requestId`) for one sharing of a key. */
export function signingSessionId(pkg: PublicKeyPackage, requestId: string): Uint8Array {
  return sessionId('sign', pkg.keyId, pkg.epoch, pkg.groupKey, requestId);
}

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};

/**
 * The 32-byte hash a SignatureShare carries: the request and sharing (`session`), the attempt, the
 * message and the commitment list sorted by signer index, each field length-prefixed (sessionId's
 * canonical encoding under its own tag). It covers the commitments' content, not their envelopes, so
 * a re-signed but identical commitment hashes the same: the share's validity depends on the content
 * only. Callers refuse duplicate indices before hashing (their order would not be canonical).
 */
export function signingPackageHash(session: Uint8Array, attempt: number, message: Uint8Array, list: readonly SigningCommitment[]): Uint8Array {
  const sorted = [...list].sort((a, b) => a.index - b.index);
  return sessionId('sign-package', session, u32(attempt), message, sorted.flatMap((c) => [u32(c.index), c.hiding, c.binding]));
}
