// Byzantine behaviour for tests, switched on by an environment variable and announced loudly:
//   SEQPOOL_TEST_BYZANTINE_SIDECAR=bad-shares            deal invalid private shares (DKG/reshare/refresh)
//   SEQPOOL_TEST_BYZANTINE_SIDECAR=bad-signature-shares  send invalid FROST signature shares
// The tampered messages are still signed by this sidecar's identity, so honest parties can prove the
// fault (complaint with evidence; ReportSigningCheater) exactly as against a real attacker.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../common/log.js';
import { open, seal } from '../envelope.js';
import type { IdentityKey } from '../identity.js';
import { Fn, scalarBytes } from '../suite.js';

export const BYZANTINE_ENV = 'SEQPOOL_TEST_BYZANTINE_SIDECAR';
export type ByzantineMode = 'bad-shares' | 'bad-signature-shares';
const MODES: readonly ByzantineMode[] = ['bad-shares', 'bad-signature-shares'];

export function byzantineMode(env: NodeJS.ProcessEnv = process.env): ByzantineMode | undefined {
  const v = env[BYZANTINE_ENV];
  if (v === undefined || v === '') return undefined;
  if (!(MODES as readonly string[]).includes(v)) throw new Error(`${BYZANTINE_ENV}=${v} is not a test hook; use one of ${MODES.join(', ')} or unset it`);
  return v as ByzantineMode;
}

export function announceHooks(mode: ByzantineMode | undefined, log: Logger): void {
  if (!mode) return;
  const line = `TEST HOOK ACTIVE: ${BYZANTINE_ENV}=${mode}: this sidecar is deliberately BYZANTINE. Never run this in production.`;
  log.error({ testHook: mode }, line);
  process.stderr.write(`\n!!! ${line} !!!\n\n`);
}

/** bad-shares: a private Share envelope with its value shifted by one (re-signed by us). */
export function corruptShare(identity: IdentityKey, envelope: Uint8Array): Uint8Array {
  const b = open(envelope).body;
  if (!('share' in b) || b.payload !== 'share') return envelope;
  const v = Fn.add(Fn.fromBytes(b.share.value), 1n);
  return seal(identity, { session: b.session, share: { ...b.share, value: scalarBytes(v) } });
}

/** bad-signature-shares: a SignatureShare envelope with a random share (re-signed by us). */
export function corruptSignatureShare(identity: IdentityKey, envelope: Uint8Array): Uint8Array {
  const b = open(envelope).body;
  if (!('signatureShare' in b) || b.payload !== 'signatureShare') return envelope;
  return seal(identity, { session: b.session, signatureShare: { ...b.signatureShare, share: scalarBytes(Fn.create(BigInt('0x' + randomBytes(32).toString('hex')))) } });
}
