// Observations: facts about the outside world (L1 events, later the L2 head) that validators attest
// in their vote extensions. Only the synthetic kind exists until the bridge does; it lets tests prove
// the attestation mechanism end to end.
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, toHex, utf8 } from '../common/bytes.js';
import { ObservationCodec, type Observation } from '../proto/seqpool.js';
import { l1EventProblem } from './l1-staking.js';

const DIGEST_DOMAIN = utf8('seqpool/observation/v1');
const MAX_SYNTHETIC_PAYLOAD = 1024;

/** The identity validators vote on: a hash of the canonical encoding. */
export function observationDigest(obs: Observation): Uint8Array {
  return sha256(concatBytes(DIGEST_DOMAIN, ObservationCodec.encode(obs)));
}

/** Why an observation is malformed, or undefined if it is well-formed. Deterministic. */
export function observationProblem(obs: Observation): string | undefined {
  const kinds = Object.entries(obs).filter(([, v]) => v !== undefined);
  if (kinds.length !== 1) return `an observation must carry exactly one kind, got ${kinds.length}`;
  if (obs.synthetic) {
    if (!/^[a-z0-9._-]{1,64}$/.test(obs.synthetic.topic)) return 'synthetic topic must be 1-64 chars of [a-z0-9._-]';
    if (obs.synthetic.payload.length > MAX_SYNTHETIC_PAYLOAD) return `synthetic payload over ${MAX_SYNTHETIC_PAYLOAD} bytes`;
    return undefined;
  }
  if (obs.l1Staking) return l1EventProblem(obs.l1Staking);
  return 'unknown observation kind';
}

/** Where ExtendVote takes this node's pending observations from (the bridge will feed it). */
export interface ObservationSource {
  pending(): Observation[];
}

/** An in-memory source that tests and the node's observation file fill. */
export class MemoryObservationSource implements ObservationSource {
  private items = new Map<string, Observation>();

  add(obs: Observation): void {
    this.items.set(toHex(observationDigest(obs)), obs);
  }

  replace(all: Observation[]): void {
    this.items.clear();
    for (const o of all) this.add(o);
  }

  pending(): Observation[] {
    return [...this.items.values()];
  }
}
