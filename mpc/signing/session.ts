// Session ids and package hashes shared by the signing coordinator, the participants and the app's
// cheater check (which must compute exactly what the participant signed).
import { sessionId } from '../envelope.js';
import type { PublicKeyPackage } from '../keys/types.js';
import type { SigningCommitment } from './frost.js';

/** One signing request (approved on chain under `requestId`) for one sharing of a key. */
export function signingSessionId(pkg: PublicKeyPackage, requestId: string): Uint8Array {
  return sessionId('sign', pkg.keyId, pkg.epoch, pkg.groupKey, requestId);
}

/**
 * Attempt numbers are the coordinator's: member i numbers its attempts in
 * [i * ATTEMPTS_PER_MEMBER + 1, (i + 1) * ATTEMPTS_PER_MEMBER], so two coordinators never reuse each
 * other's (session, attempt) (decision 17), and a participant can count the nonces each coordinator
 * made it store and refuse one that asks for too many (MAX_NONCES_PER_COORDINATOR).
 */
export const ATTEMPTS_PER_MEMBER = 1_000_000;

/** The member index whose range `attempt` lies in. */
export const attemptOwner = (attempt: number): number => Math.floor((attempt - 1) / ATTEMPTS_PER_MEMBER);

/** The attempt range of member `index`, inclusive. */
export const attemptRange = (index: number): [number, number] => [index * ATTEMPTS_PER_MEMBER + 1, (index + 1) * ATTEMPTS_PER_MEMBER];

/**
 * Nonce records (pending or used) a participant keeps per request for one coordinator. An honest
 * coordinator uses a few attempts per run; a byzantine one asking for more could otherwise fill its
 * peers' disks with nonces of a pending request until it settled and was swept.
 */
export const MAX_NONCES_PER_COORDINATOR = 256;

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
