// FROST(secp256k1, SHA-256) signing math. Share generation, aggregation (with noble's cheater list)
// and verification go through noble's secp256k1_FROST. noble does not expose the RFC 9591
// intermediate values (binding factor inputs, binding factors, group commitment, challenge), which
// the test vectors list and the L1 encoding needs, so they are computed here from the RFC text.
// noble also refuses 1-of-n (its min is 2); for t = 1 (a one-member committee) the same RFC formulas
// below produce the share, so one protocol covers every n.
import { concatBytes } from '@noble/hashes/utils.js';
import { Fn, Point, frost, hashBytes, hashToScalar, identifierOf, lagrangeAtZero, msm, parsePoint, parseScalar, pointBytes, scalarBytes } from '../suite.js';
import { MpcError } from '../errors.js';
import { SecretShare, toFrostPublic, type PublicKeyPackage } from '../keys/types.js';

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
export function encodeCommitmentList(list: readonly SigningCommitment[]): Uint8Array {
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

/** RFC 9591 4.5 group commitment R = sum(D_i + rho_i E_i), one MSM over the binding commitments. */
export function groupCommitment(list: readonly SigningCommitment[], factors: Map<number, bigint>): Point {
  let hiding = Point.ZERO;
  const pts: Point[] = [];
  const scs: bigint[] = [];
  for (const c of list) {
    hiding = hiding.add(parsePoint(c.hiding, 'hiding commitment'));
    pts.push(parsePoint(c.binding, 'binding commitment'));
    scs.push(factors.get(c.index) ?? 0n);
  }
  return hiding.add(msm(pts, scs));
}

/** RFC 9591 4.6 challenge c = H2(R || PK || msg). */
export function challenge(R: Point, groupKey: Point, msg: Uint8Array): bigint {
  return hashToScalar('chal', concatBytes(pointBytes(R), pointBytes(groupKey), msg));
}

/** Round 1 (RFC 9591 5.1): fresh hiding and binding nonces and their commitments (noble commit). */
export function commitNonces(secret: SecretShare): { nonces: SigningNonces; commitment: SigningCommitment } {
  const { nonces, commitments } = frost.commit(secret.toFrostSecret());
  return {
    nonces: { hiding: nonces.hiding, binding: nonces.binding },
    commitment: { index: secret.index, hiding: commitments.hiding, binding: commitments.binding },
  };
}

const toNobleList = (list: readonly SigningCommitment[]) =>
  list.map((c) => ({ identifier: identifierOf(c.index), hiding: c.hiding, binding: c.binding }));

/**
 * Round 2 (RFC 9591 5.2): the signature share z_i = d_i + e_i rho_i + lambda_i s_i c. noble checks
 * that `nonces` match our entry in `list` and zeroes the nonce bytes after use.
 */
export function signShare(pkg: PublicKeyPackage, secret: SecretShare, nonces: SigningNonces, list: readonly SigningCommitment[], msg: Uint8Array): Uint8Array {
  if (pkg.threshold >= 2) return frost.signShare(secret.toFrostSecret(), toFrostPublic(pkg), nonces, toNobleList(list), msg);
  // t = 1: same RFC formula, computed here because noble refuses min < 2.
  const own = list.find((c) => c.index === secret.index);
  const d = parseScalar(nonces.hiding);
  const e = parseScalar(nonces.binding);
  if (d === 0n || e === 0n) throw new MpcError('NONCE_REUSE', 'signing nonces already used');
  if (!own || !Point.BASE.multiply(d).equals(parsePoint(own.hiding)) || !Point.BASE.multiply(e).equals(parsePoint(own.binding)))
    throw new MpcError('NONCE_REUSE', 'commitment list does not carry our commitment');
  const rho = bindingFactors(pkg.groupKey, msg, list);
  const R = groupCommitment(list, rho);
  const c = challenge(R, parsePoint(pkg.groupKey), msg);
  const lambda = lagrangeAtZero(list.map((x) => BigInt(x.index)), BigInt(secret.index));
  const z = Fn.add(Fn.add(d, Fn.mul(e, rho.get(secret.index)!)), Fn.mul(Fn.mul(lambda, secret.reveal()), c));
  nonces.hiding.fill(0);
  nonces.binding.fill(0);
  return scalarBytes(z);
}

/** RFC 9591 5.4: checks one signer's share against its verifying share. */
export function verifySignatureShare(pkg: PublicKeyPackage, list: readonly SigningCommitment[], msg: Uint8Array, index: number, share: Uint8Array): boolean {
  try {
    if (pkg.threshold >= 2) return frost.verifyShare(toFrostPublic(pkg), toNobleList(list), msg, identifierOf(index), share);
    const rho = bindingFactors(pkg.groupKey, msg, list);
    const R = groupCommitment(list, rho);
    const c = challenge(R, parsePoint(pkg.groupKey), msg);
    const own = list.find((x) => x.index === index);
    const Y = pkg.verifyingShares[index];
    if (!own || !Y) return false;
    const lambda = lagrangeAtZero(list.map((x) => BigInt(x.index)), BigInt(index));
    const lhs = Point.BASE.multiply(parseScalar(share));
    const rhs = parsePoint(own.hiding).add(parsePoint(own.binding).multiply(rho.get(index)!)).add(parsePoint(Y).multiply(Fn.mul(c, lambda)));
    return lhs.equals(rhs);
  } catch {
    return false;
  }
}

/**
 * RFC 9591 5.3 aggregation with identifiable abort: aggregates and verifies once; only if the
 * result is invalid are the shares checked one by one (noble's cheater list), and the offending
 * indices are returned in the error's details.
 */
export function aggregate(pkg: PublicKeyPackage, list: readonly SigningCommitment[], msg: Uint8Array, shares: ReadonlyMap<number, Uint8Array>): Uint8Array {
  if (pkg.threshold >= 2) {
    const rec: Record<string, Uint8Array> = {};
    for (const [i, s] of shares) rec[identifierOf(i)] = s;
    try {
      return frost.aggregate(toFrostPublic(pkg), toNobleList(list), msg, rec);
    } catch (e) {
      const ids = ((e as { cheaters?: string[] }).cheaters ?? []).map((id) => list.find((c) => identifierOf(c.index) === id)!.index);
      throw new MpcError('SIGNING_FAILED', 'aggregate signature does not verify', { cheaters: ids });
    }
  }
  const rho = bindingFactors(pkg.groupKey, msg, list);
  const R = groupCommitment(list, rho);
  let z = 0n;
  for (const c of list) {
    const s = shares.get(c.index);
    if (!s || s.length !== 32) throw new MpcError('SIGNING_FAILED', `missing share from ${c.index}`, { cheaters: [] });
    z = Fn.add(z, Fn.fromBytes(s));
  }
  const sig = concatBytes(pointBytes(R), scalarBytes(z));
  if (!verifySignature(sig, msg, pkg.groupKey)) {
    const cheaters = list.filter((c) => !verifySignatureShare(pkg, list, msg, c.index, shares.get(c.index)!)).map((c) => c.index);
    throw new MpcError('SIGNING_FAILED', 'aggregate signature does not verify', { cheaters });
  }
  return sig;
}

/** Verifies a 65-byte RFC 9591 signature (compressed R || z) under a 33-byte group key. */
export function verifySignature(sig: Uint8Array, msg: Uint8Array, groupKey: Uint8Array): boolean {
  try {
    return frost.verify(sig, msg, groupKey);
  } catch {
    return false;
  }
}
