// FROST(secp256k1, SHA-256) signing math, RFC 9591 formulas checked against noble's secp256k1_FROST.
// Round 1, round 2, share verification, aggregation and verification run the RFC 9591 formulas here: noble does not expose the intermediate values (binding factor inputs, binding factors, group
// commitment, challenge) that the vectors list and the L1 encoding need, and its signShare/aggregate
// re-parse the package and the commitments on every call, which profiling showed to be a third of
// the signing cost. The same code covers t = 1, which noble refuses (its min is 2). Point arithmetic
// goes through mpc/ecc.ts (libsecp256k1 when it loads: the group commitment's products and the
// share and signature checks were nearly all of round 2 and aggregation in noble).
import { concatBytes, randomBytes } from '@noble/hashes/utils.js';
import { Fn, type Point, hashBytes, hashToScalar, lagrangeAtZero, parseScalar, scalarBytes } from '../suite.js';
import { EcPoint, ecc, parsePt, toPt } from '../ecc.js';
import { MpcError } from '../errors.js';
import { SecretShare, type PublicKeyPackage } from '../keys/types.js';

/** One signer's round-1 output: two 33-byte nonce commitments. */
export interface SigningCommitment {
  index: number;
  hiding: Uint8Array;
  binding: Uint8Array;
}
/** Round-1 secret nonces (32-byte scalars). Never logged; persisted only encrypted. */
export interface SigningNonces {
  hiding: Uint8Array;
  binding: Uint8Array;
}

const sorted = (list: readonly SigningCommitment[]) => [...list].sort((a, b) => a.index - b.index);

/** RFC 9591 4.3 encode_group_commitment_list (sorted by identifier). */
function encodeCommitmentList(list: readonly SigningCommitment[]): Uint8Array {
  return concatBytes(...sorted(list).flatMap((c) => [scalarBytes(BigInt(c.index)), c.hiding, c.binding]));
}

/** RFC 9591 4.4 binding factor inputs: SerializeElement(PK) || H4(msg) || H5(commitments) || id. */
export function bindingFactorInputs(groupKey: Uint8Array, msg: Uint8Array, list: readonly SigningCommitment[]): Map<number, Uint8Array> {
  const prefix = concatBytes(groupKey, hashBytes('msg', msg), hashBytes('com', encodeCommitmentList(list)));
  return new Map(sorted(list).map((c) => [c.index, concatBytes(prefix, scalarBytes(BigInt(c.index)))]));
}

/** RFC 9591 4.4 binding factors rho_i = H1(input_i). */
export function bindingFactors(groupKey: Uint8Array, msg: Uint8Array, list: readonly SigningCommitment[]): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const [i, input] of bindingFactorInputs(groupKey, msg, list)) out.set(i, hashToScalar('rho', input));
  return out;
}

/** RFC 9591 4.5 group commitment R = sum(D_i + rho_i E_i): one sum over the hidings and the binding products. */
export function groupCommitment(list: readonly SigningCommitment[], factors: Map<number, bigint>): EcPoint {
  const terms: EcPoint[] = [];
  for (const c of list) {
    terms.push(parsePt(c.hiding, 'hiding commitment'));
    terms.push(ecc.mul(parsePt(c.binding, 'binding commitment'), factors.get(c.index) ?? 0n));
  }
  return ecc.sum(terms);
}

/** RFC 9591 4.6 challenge c = H2(R || PK || msg). */
export function challenge(R: EcPoint | Point, groupKey: EcPoint | Point, msg: Uint8Array): bigint {
  return hashToScalar('chal', concatBytes(toPt(R).toBytes(true), toPt(groupKey).toBytes(true), msg));
}

/**
 * Round 1 (RFC 9591 5.1): fresh hiding and binding nonces, nonce_generate = H3(random(32) || s_i) as
 * noble's commit does (same outputs for the same randomness; tested), with the commitments d G, e G
 * from the backend's constant-time base multiplication (noble's commit spent ~0.8 ms on them).
 */
export function commitNonces(secret: SecretShare, rng: (n: number) => Uint8Array = randomBytes): { nonces: SigningNonces; commitment: SigningCommitment } {
  const sk = scalarBytes(secret.reveal());
  const nonce = () => {
    const input = concatBytes(rng(32), sk);
    try {
      return hashToScalar('nonce', input);
    } finally {
      input.fill(0);
    }
  };
  const d = nonce();
  const e = nonce();
  sk.fill(0);
  return {
    nonces: { hiding: scalarBytes(d), binding: scalarBytes(e) },
    commitment: { index: secret.index, hiding: ecc.mulBase(d).toBytes(true), binding: ecc.mulBase(e).toBytes(true) },
  };
}

/** Parsed group keys, bounded: every signature check multiplies the group key. Public data only. */
const groupKeyCache = new Map<string, EcPoint>();
function groupKeyPoint(bytes: Uint8Array): EcPoint {
  const k = Buffer.from(bytes).toString('hex');
  let p = groupKeyCache.get(k);
  if (!p) {
    p = parsePt(bytes, 'group key');
    if (groupKeyCache.size >= 64) groupKeyCache.clear();
    groupKeyCache.set(k, p);
  }
  return p;
}

/** noble's validateCommitmentsNum plus membership and uniqueness: the list must name t..n distinct holders. */
function checkList(pkg: PublicKeyPackage, list: readonly SigningCommitment[]): void {
  if (list.length < pkg.threshold || list.length > pkg.members.length) throw new MpcError('INVALID_ARGUMENT', `commitment list of ${list.length}, threshold ${pkg.threshold}`);
  const seen = new Set<number>();
  for (const c of list) {
    if (seen.has(c.index) || !pkg.members.some((m) => m.index === c.index)) throw new MpcError('INVALID_ARGUMENT', `commitment list: duplicate or unknown signer ${c.index}`);
    seen.add(c.index);
  }
}

/** rho, R, c and lambda_i for one list, each parsed and computed once (RFC 9591 4.4-4.6, 5.2). */
function prepare(pkg: PublicKeyPackage, list: readonly SigningCommitment[], msg: Uint8Array) {
  checkList(pkg, list);
  const rho = bindingFactors(pkg.groupKey, msg, list);
  const R = groupCommitment(list, rho);
  const PK = groupKeyPoint(pkg.groupKey);
  const c = challenge(R, PK, msg);
  const xs = list.map((x) => BigInt(x.index));
  return { rho, R, PK, c, lambda: (i: number) => lagrangeAtZero(xs, BigInt(i)) };
}

/**
 * Round 2 (RFC 9591 5.2): z_i = d_i + e_i rho_i + lambda_i s_i c. The RFC formulas run here rather
 * than in noble's signShare because noble re-parses and re-serialises every commitment and the
 * public package on each call (about a third of the round on the bench machine); the checks are
 * noble's: nonces unused (non-zero), our entry in the list matches d_i G and e_i G, and the list
 * size is within t..n. The nonce bytes are zeroed after use, as noble does.
 */
export function signShare(pkg: PublicKeyPackage, secret: SecretShare, nonces: SigningNonces, list: readonly SigningCommitment[], msg: Uint8Array): Uint8Array {
  const own = list.find((c) => c.index === secret.index);
  const d = parseScalar(nonces.hiding);
  const e = parseScalar(nonces.binding);
  if (d === 0n || e === 0n) throw new MpcError('NONCE_REUSE', 'signing nonces already used');
  // Constant-time base multiplications (libsecp256k1 or noble): d and e are secret.
  if (!own || !ecc.mulBase(d).equals(parsePt(own.hiding)) || !ecc.mulBase(e).equals(parsePt(own.binding)))
    throw new MpcError('NONCE_REUSE', 'commitment list does not carry our commitment');
  const { rho, c, lambda } = prepare(pkg, list, msg);
  const z = Fn.add(Fn.add(d, Fn.mul(e, rho.get(secret.index)!)), Fn.mul(Fn.mul(lambda(secret.index), secret.reveal()), c));
  nonces.hiding.fill(0);
  nonces.binding.fill(0);
  return scalarBytes(z);
}

/** RFC 9591 5.4 check of one share given the prepared values (public data: variable time). */
function shareValid(pkg: PublicKeyPackage, list: readonly SigningCommitment[], p: ReturnType<typeof prepare>, index: number, share: Uint8Array | undefined): boolean {
  try {
    const own = list.find((x) => x.index === index);
    const Y = pkg.verifyingShares[index];
    if (!own || !Y || !share) return false;
    const lhs = ecc.mulBase(parseScalar(share));
    const rhs = ecc.sum([parsePt(own.hiding), ecc.mul(parsePt(own.binding), p.rho.get(index)!), ecc.mul(parsePt(Y), Fn.mul(p.c, p.lambda(index)))]);
    return lhs.equals(rhs);
  } catch {
    return false;
  }
}

/** RFC 9591 5.4: checks one signer's share against its verifying share. */
export function verifySignatureShare(pkg: PublicKeyPackage, list: readonly SigningCommitment[], msg: Uint8Array, index: number, share: Uint8Array): boolean {
  let p: ReturnType<typeof prepare>;
  try {
    p = prepare(pkg, list, msg);
  } catch {
    return false;
  }
  return shareValid(pkg, list, p, index, share);
}

/**
 * RFC 9591 5.3 aggregation with identifiable abort: aggregates and verifies once (z G == R + c PK,
 * PK from the precomputed cache); only if that fails is every share checked (RFC 5.4) and the
 * offending indices returned in the error's details.
 */
export function aggregate(pkg: PublicKeyPackage, list: readonly SigningCommitment[], msg: Uint8Array, shares: ReadonlyMap<number, Uint8Array>): Uint8Array {
  let p: ReturnType<typeof prepare>;
  try {
    p = prepare(pkg, list, msg);
  } catch (e) {
    throw new MpcError('SIGNING_FAILED', `aggregation failed: ${(e as Error).message}`, { cheaters: [] });
  }
  if (shares.size !== list.length) throw new MpcError('SIGNING_FAILED', 'share count differs from the commitment list', { cheaters: [] });
  let z = 0n;
  let parsed = true;
  for (const c of list) {
    const s = shares.get(c.index);
    if (!s || s.length !== 32) throw new MpcError('SIGNING_FAILED', `missing share from ${c.index}`, { cheaters: [] });
    try {
      z = Fn.add(z, Fn.fromBytes(s));
    } catch {
      parsed = false;
    }
  }
  if (parsed && ecc.mulBase(z).equals(ecc.sum([p.R, ecc.mul(p.PK, p.c)]))) return concatBytes(p.R.toBytes(true), scalarBytes(z));
  const cheaters = list.filter((c) => !shareValid(pkg, list, p, c.index, shares.get(c.index))).map((c) => c.index);
  throw new MpcError('SIGNING_FAILED', 'aggregate signature does not verify', { cheaters });
}

/**
 * Verifies a 65-byte RFC 9591 signature (compressed R || z) under a 33-byte group key: noble's
 * frost.verify rules (R a canonical compressed non-identity point, z < n, c = H2(R || PK || msg),
 * z G == R + c PK) on the ecc backend, ~1.3 ms in noble.
 */
export function verifySignature(sig: Uint8Array, msg: Uint8Array, groupKey: Uint8Array): boolean {
  try {
    if (sig.length !== 65) return false;
    const R = parsePt(sig.subarray(0, 33), 'signature R');
    const z = parseScalar(sig.subarray(33), 'signature z');
    const PK = groupKeyPoint(groupKey);
    return ecc.mulBase(z).equals(ecc.sum([R, ecc.mul(PK, challenge(R, PK, msg))]));
  } catch {
    return false;
  }
}
