// Session ids and message checks shared by the signing coordinator and participants.
import { sessionId } from '../envelope.js';
import type { PublicKeyPackage } from '../keys/types.js';

/** One signing request (approved on chain under `requestId`) for one sharing of a key. */
export function signingSessionId(pkg: PublicKeyPackage, requestId: string): Uint8Array {
  return sessionId('sign', pkg.keyId, pkg.epoch, pkg.groupKey, requestId);
}
