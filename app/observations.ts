// Observations: facts about the outside world that validators attest in their vote extensions:
// LockingPool events, BatchInbox's BatchAppended, and a synthetic kind that lets tests prove the
// attestation mechanism end to end. (The L2 head travels beside them, VoteExtension.l2_head.)
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, toHex, utf8 } from '../common/bytes.js';
import { ObservationCodec, type L1BatchAppended, type Observation } from '../proto/seqpool.js';
import { l1EventProblem } from './l1-staking.js';
import { l1CorrectionProblem } from './l1-correction.js';

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
  if (obs.batchAppended) return batchAppendedProblem(obs.batchAppended);
  if (obs.l1Correction) return l1CorrectionProblem(obs.l1Correction);
  return 'unknown observation kind';
}

/** Structural problems of a BatchAppended observation, independent of state. */
export function batchAppendedProblem(ev: L1BatchAppended): string | undefined {
  if (ev.contract.length !== 20 || ev.producer.length !== 20) return 'contract and producer must be 20-byte addresses';
  if (ev.blockHash.length !== 32 || ev.txHash.length !== 32 || ev.batchHash.length !== 32 || ev.dataHash.length !== 32) return 'block, tx, batch and data hashes must be 32 bytes';
  if (ev.l2End < ev.l2Start) return 'l2_end before l2_start';
  return undefined;
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
