// Byzantine channel behaviour, for tests only: wraps a sidecar's Transport so that what it sends is
// tampered with and re-signed by the sidecar's own identity, so honest parties can prove the fault
// (a complaint with evidence; a ReportSigningCheater) exactly as against a real attacker.
//   bad-shares            private Share envelopes carry their value + 1 (DKG, reshare, refresh)
//   bad-signature-shares  SignatureShare envelopes carry a random share
// Shared by the in-process sidecar tests (test/sidecar) and the process entry
// (byzantine-sidecar.mjs); it runs on the built dist/ (`make test` builds first).
import { randomBytes } from 'node:crypto';
import { open, seal } from '../../dist/mpc/envelope.js';
import { Fn, scalarBytes } from '../../dist/mpc/suite.js';

export const BYZANTINE_MODES = ['bad-shares', 'bad-signature-shares'];

/** The envelope as a sidecar in `mode` sends it (unchanged when the mode does not touch its kind). */
export function tamper(mode, identity, envelope) {
  const b = open(envelope).body;
  if (mode === 'bad-shares' && b.payload === 'share') {
    return seal(identity, { session: b.session, share: { ...b.share, value: scalarBytes(Fn.add(Fn.fromBytes(b.share.value), 1n)) } });
  }
  if (mode === 'bad-signature-shares' && b.payload === 'signatureShare') {
    return seal(identity, { session: b.session, signatureShare: { ...b.signatureShare, share: scalarBytes(Fn.create(BigInt('0x' + randomBytes(32).toString('hex')))) } });
  }
  return envelope;
}

/** A SidecarOptions.wrapTransport that tampers with every envelope the sidecar sends. */
export function byzantineTransport(mode, identity) {
  if (!BYZANTINE_MODES.includes(mode)) throw new Error(`byzantine sidecar mode must be one of ${BYZANTINE_MODES.join(', ')}, got ${mode}`);
  return (transport) =>
    new Proxy(transport, {
      get(target, prop) {
        if (prop === 'send') return (to, envelope) => target.send(to, tamper(mode, identity, envelope));
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
}
