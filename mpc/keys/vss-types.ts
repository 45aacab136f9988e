// The shapes the VSS engine (vss-session.ts) shares with the kind-specific engines and its callers.
import type { EcPoint } from '../ecc.js';
import type { IdentityKey } from '../identity.js';
import type { Member } from './types.js';

/** A message to send: public ones go to the chain, private ones to `to` over the peer channel. */
export type Outbound = { channel: 'public'; envelope: Uint8Array } | { channel: 'private'; to: Uint8Array; envelope: Uint8Array };

/** A proven fault by a dealer; `evidence` are signed envelopes anyone can re-check. */
export interface Fault {
  dealer: number;
  reason: 'bad-proof' | 'bad-dealing' | 'equivocation' | 'bad-share' | 'unanswered-complaint' | 'bad-justification';
  evidence: Uint8Array[];
}

export interface VssRules {
  session: Uint8Array;
  dealers: readonly Member[];
  receivers: readonly Member[];
  /** Number of commitments in a dealing (t, or t-1 for refresh). */
  commitmentCount: number;
  /** 1 when C_0 is implicit (refresh: the constant term is zero). */
  offset: 0 | 1;
  /** Length of an honest dealing's proof (65 for a DKG's proof of knowledge, 0 when there is none). */
  proofBytes: number;
  /** Minimum number of qualified dealers for the session to succeed. */
  minDealers: number;
  /** Kind-specific dealing check; returns a fault reason or undefined. */
  checkDealing(dealer: number, commitments: EcPoint[], proof: Uint8Array): Fault['reason'] | undefined;
}

export interface Me {
  identity: IdentityKey;
  dealerIndex?: number;
  receiverIndex?: number;
}
