// Judging a bad-share complaint's evidence: pure, so the chain app and every sidecar reach the same
// verdict from the public transcript alone.
import type { EnvelopeMsg } from '../../proto/mpc.js';
import { type EcPoint, toPt } from '../ecc.js';
import { equalBytes, openEnvelope, type Opened } from '../envelope.js';
import { Fn, type Point } from '../suite.js';
import type { Member } from './types.js';
import { shareMatches } from './vss.js';

/** A 32-byte share value as a scalar, or undefined when it is not a canonical one (a fault in itself). */
export function safeScalar(b: Uint8Array): bigint | undefined {
  if (b.length !== 32) return undefined;
  try {
    return Fn.fromBytes(b);
  } catch {
    return undefined;
  }
}

/**
 * Decides a complaint that carries the accused dealer's signed share: 'valid' when the evidence is a
 * genuine share from that dealer to that recipient in this session and it fails the Feldman check,
 * 'false' otherwise (forged or mismatched evidence, or a share that checks out). Pure: the chain
 * app can run it on the public transcript.
 */
export function judgeShareEvidence(
  rules: { session: Uint8Array; dealers: readonly Member[]; offset: 0 | 1 },
  accused: number,
  recipient: number,
  commitments: readonly (EcPoint | Point)[],
  evidence: EnvelopeMsg,
): 'valid' | 'false' {
  let inner: Opened;
  try {
    inner = openEnvelope(evidence);
  } catch {
    return 'false';
  }
  const dealer = rules.dealers.find((d) => d.index === accused);
  const b = inner.body;
  if (!dealer || !equalBytes(b.sender, dealer.identity) || !equalBytes(b.session, rules.session)) return 'false';
  if (!('share' in b) || b.payload !== 'share' || b.share.dealer !== accused || b.share.recipient !== recipient) return 'false';
  const v = safeScalar(b.share.value);
  if (v === undefined) return 'valid';
  return shareMatches(commitments.map(toPt), recipient, v, rules.offset) ? 'false' : 'valid';
}
