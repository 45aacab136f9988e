// What validators attest in their vote extensions, and the digest they vote on (docs/pool.md): a
// node's bridge offers observations (LockingPool events, BatchInbox's BatchAppended, corrections to
// L1's state, a synthetic kind for tests), the app tallies the power behind each digest, and the
// bridge watches for that digest to be applied or rejected. (The L2 head travels beside them,
// VoteExtension.l2_head.) Which observations are well-formed is the app's rule (app/observations.ts).
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from '../common/bytes.js';
import { ObservationCodec, type Observation } from '../proto/seqpool.js';

const DIGEST_DOMAIN = utf8('seqpool/observation/v1');

/** The identity validators vote on: a hash of the canonical encoding. */
export function observationDigest(obs: Observation): Uint8Array {
  return sha256(concatBytes(DIGEST_DOMAIN, ObservationCodec.encode(obs)));
}

/** Where ExtendVote takes this node's pending observations from (the node feeds it from its bridge). */
export interface ObservationSource {
  pending(): Observation[];
}
