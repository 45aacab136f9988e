// Observations: facts about the outside world that validators attest in their vote extensions:
// LockingPool events, BatchInbox's BatchAppended, corrections to L1's state, and a synthetic kind that
// lets tests prove the attestation mechanism end to end. Their digest is protocol/observations.ts;
// here is which ones the app takes as well-formed.
import type { L1BatchAppended, Observation } from '../proto/seqpool.js';
import { l1EventProblem } from './staking-events.js';
import { l1CorrectionProblem } from './l1-correction.js';

const MAX_SYNTHETIC_PAYLOAD = 1024;

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
function batchAppendedProblem(ev: L1BatchAppended): string | undefined {
  if (ev.contract.length !== 20 || ev.producer.length !== 20) return 'contract and producer must be 20-byte addresses';
  if (ev.blockHash.length !== 32 || ev.txHash.length !== 32 || ev.batchHash.length !== 32 || ev.dataHash.length !== 32) return 'block, tx, batch and data hashes must be 32 bytes';
  if (ev.l2End < ev.l2Start) return 'l2_end before l2_start';
  return undefined;
}
