// One typed error for everything the MPC library rejects. Callers branch on `code`, never on the
// message text; `details` carries evidence (signed envelopes, indices) safe to publish.
export type MpcErrorCode =
  | 'INVALID_ARGUMENT' // a local caller passed something impossible
  | 'MALFORMED' // bytes that do not decode, wrong lengths, invalid points or scalars
  | 'BAD_SIGNATURE' // envelope signature does not verify under the claimed sender key
  | 'UNKNOWN_SENDER' // sender key is not a party of this session in the role it claims
  | 'WRONG_SESSION' // message bound to another session / attempt
  | 'WRONG_RECIPIENT' // private message addressed to someone else
  | 'WRONG_PHASE' // message arrived when the engine no longer (or not yet) accepts it
  | 'REPLAY' // the same signed body was already processed
  | 'EQUIVOCATION' // the same sender signed two different messages for the same slot
  | 'BAD_PROOF' // proof of knowledge fails
  | 'BAD_DEALING' // commitments inconsistent with public data (reshare/refresh constant term)
  | 'NOT_ENOUGH_PARTICIPANTS' // fewer qualified parties than the threshold requires
  | 'MISSING_SHARE' // a qualified dealer's share for us is missing at finalisation
  | 'GROUP_KEY_UNUSABLE' // group key x >= curve order: the L1 verifier cannot take it, rerun the DKG
  | 'RESHARE_FAILED' // the new committee could not obtain a consistent sharing of the same key
  | 'NOT_APPROVED' // signing request not approved by consensus / payload mismatch
  | 'NONCE_MISSING' // no stored nonce for this signing attempt
  | 'NONCE_REUSE' // the nonce for this attempt was already used or the commitment differs
  | 'WRONG_ATTEMPT' // an attempt number outside the coordinator's own range
  | 'QUOTA' // a coordinator asked for more nonces of one request than any honest one needs
  | 'SIGNING_FAILED' // aggregation failed (cheaters in details)
  | 'EXPIRED' // signing request deadline passed
  | 'WRONG_PASSPHRASE'
  | 'CORRUPT_RECORD'
  | 'NOT_FOUND'
  | 'CONFLICT'; // key store: refusing to overwrite or delete a record in use

export class MpcError extends Error {
  override readonly name = 'MpcError';
  constructor(
    readonly code: MpcErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Runs `fn`, turning any non-MpcError throw (noble parse errors, protobuf decode errors) into MALFORMED. */
export function asMalformed<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MpcError) throw e;
    throw new MpcError('MALFORMED', `${what}: ${(e as Error).message}`);
  }
}
