// Shared test helpers: run a DKG among parties and sign directly (no sessions) with a subset.
import { DkgEngine, type KeygenResult } from '../../mpc/keys/dkg.js';
import { aggregate, commitNonces, signShare, verifySignature, type SigningCommitment } from '../../mpc/signing/frost.js';
import type { KeyShare } from '../../mpc/keys/types.js';
import { hex, runPhases, type Net, type Party } from './harness.js';

export function runDkg(parties: Party[], opts: { keyId?: string; epoch?: number; net?: Net; threshold?: number } = {}): Map<string, KeygenResult> {
  const engines = new Map(
    parties.map((p) => [
      hex(p.identity.publicKey),
      new DkgEngine({ keyId: opts.keyId ?? 'k', epoch: opts.epoch ?? 0, members: parties.map((x) => x.member), identity: p.identity, ...(opts.threshold ? { threshold: opts.threshold } : {}) }),
    ]),
  );
  runPhases(engines, opts.net);
  return new Map([...engines].map(([k, e]) => [k, e.finalise()]));
}

/** Signs `msg` with the given key shares (all from the same package) and returns the signature. */
export function signWith(shares: KeyShare[], msg: Uint8Array): Uint8Array {
  const rounds = shares.map((s) => ({ s, ...commitNonces(s.secret) }));
  const list: SigningCommitment[] = rounds.map((r) => r.commitment);
  const zs = new Map(rounds.map((r) => [r.s.secret.index, signShare(r.s.public, r.s.secret, r.nonces, list, msg)]));
  return aggregate(shares[0]!.public, list, msg, zs);
}

export { verifySignature };
