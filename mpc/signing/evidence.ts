// Signing cheater evidence (docs/pool.md "Jailing and slashing", decision 24): what a signer's signed
// SignatureShare proves, judged from public data alone (the app jails on it). A share is evidence
// only of what its signer signed: its envelope names the hash of the exact package it answered, so it
// is re-checked against that package and no other, and every commitment in that package must be the
// one its owner signed for this request and attempt. Without the hash a coordinator could collect an
// honest share, swap its own commitment in the package, sign the new package and "prove" the honest
// share invalid (the binding factors and the group commitment change with any commitment).
import { bytesToHex } from '@noble/hashes/utils.js';
import { equalBytes, open, openEnvelope, type Opened } from '../envelope.js';
import type { PublicKeyPackage } from '../keys/types.js';
import type { EnvelopeMsg } from '../../proto/mpc.js';
import { verifySignatureShare, type SigningCommitment } from './frost.js';
import { signingPackageHash } from './session.js';

export interface CheaterEvidence {
  signer: number;
  attempt: number;
  /** The signed SigningPackage, the signer's signed NonceCommitment and SignatureShare. */
  package: Uint8Array;
  commitment: EnvelopeMsg;
  share: EnvelopeMsg;
}

const opened = (what: string, f: () => Opened): Opened | string => {
  try {
    return f();
  } catch (e) {
    return `${what} does not open: ${(e as Error).message}`;
  }
};

/**
 * Why `ev` does not prove that member `ev.signer` sent an invalid share, or undefined when it does.
 * The session and message are the caller's to check (the app: the request's digest, the current
 * sharing). Pure; never throws.
 */
export function cheaterEvidenceProblem(pkg: PublicKeyPackage, ev: CheaterEvidence): string | undefined {
  try {
    return problem(pkg, ev);
  } catch (e) {
    return `undecodable evidence: ${(e as Error).message}`;
  }
}

function problem(pkg: PublicKeyPackage, ev: CheaterEvidence): string | undefined {
  const p = opened('the signing package', () => open(ev.package));
  if (typeof p === 'string') return p;
  if (!('signingPackage' in p.body) || p.body.payload !== 'signingPackage') return 'the package is not a signed SigningPackage envelope';
  const { session } = p.body;
  const { message, attempt, commitments } = p.body.signingPackage;
  if (attempt !== ev.attempt) return `the report names attempt ${ev.attempt}, the package is of attempt ${attempt}`;
  const accused = pkg.members.find((m) => m.index === ev.signer);
  if (!accused) return `signer ${ev.signer} is not a member of the key`;

  const s = opened(`signer ${ev.signer}'s share`, () => openEnvelope(ev.share));
  if (typeof s === 'string') return s;
  if (!('signatureShare' in s.body) || s.body.payload !== 'signatureShare') return 'the share is not a signed SignatureShare envelope';
  const share = s.body.signatureShare;
  if (share.signer !== ev.signer || !equalBytes(s.body.sender, accused.identity)) return `the share is not signed by signer ${ev.signer}`;
  if (!equalBytes(s.body.session, session) || share.attempt !== attempt) return `signer ${ev.signer}'s share is of another session or attempt than the package`;

  // Every commitment is its owner's, signed for this request (session) and attempt, once per owner.
  const list: SigningCommitment[] = [];
  for (const [k, env] of commitments.entries()) {
    const c = opened(`commitment ${k} of the package`, () => openEnvelope(env));
    if (typeof c === 'string') return c;
    if (!('nonceCommitment' in c.body) || c.body.payload !== 'nonceCommitment') return `commitment ${k} of the package is not a NonceCommitment`;
    const nc = c.body.nonceCommitment;
    const owner = pkg.members.find((m) => m.index === nc.signer);
    if (!owner || !equalBytes(owner.identity, c.body.sender)) return `commitment ${k} of the package (signer ${nc.signer}) is not signed by its signer`;
    if (!equalBytes(c.body.session, session) || nc.attempt !== attempt) return `signer ${nc.signer}'s commitment in the package is of another session or attempt`;
    if (list.some((x) => x.index === nc.signer)) return `signer ${nc.signer} has two commitments in the package`;
    list.push({ index: nc.signer, hiding: nc.hiding, binding: nc.binding });
  }
  if (list.length < pkg.threshold) return `the package lists ${list.length} signers, fewer than the threshold ${pkg.threshold}`;
  const own = list.find((c) => c.index === ev.signer);
  if (!own) return `signer ${ev.signer} is not in the package`;
  const rc = opened(`signer ${ev.signer}'s commitment`, () => openEnvelope(ev.commitment));
  if (typeof rc === 'string') return rc;
  const rb = rc.body;
  if (!('nonceCommitment' in rb) || !equalBytes(rb.sender, accused.identity) || !equalBytes(rb.session, session) || rb.nonceCommitment.attempt !== attempt || !equalBytes(rb.nonceCommitment.hiding, own.hiding) || !equalBytes(rb.nonceCommitment.binding, own.binding))
    return `the reported commitment is not signer ${ev.signer}'s commitment in the package`;

  // The share counts only against the package its signer signed for.
  const hash = signingPackageHash(session, attempt, message, list);
  if (!equalBytes(share.packageHash, hash))
    return `signer ${ev.signer}'s share answers another signing package (share names ${bytesToHex(share.packageHash).slice(0, 16) || 'none'}, the package hashes to ${bytesToHex(hash).slice(0, 16)}): a share is judged only against the package its signer signed`;
  if (verifySignatureShare(pkg, list, message, ev.signer, share.share)) return `signer ${ev.signer}'s share verifies against the package it answered`;
  return undefined;
}

/** True when the evidence proves the signer's signed share invalid for the package it signed. */
export function isProvenCheater(pkg: PublicKeyPackage, ev: CheaterEvidence): boolean {
  return cheaterEvidenceProblem(pkg, ev) === undefined;
}
