// RFC 9591 Appendix E.5 and the Zcash Foundation vector for FROST(secp256k1, SHA-256): every
// intermediate value the vectors list is recomputed and compared.
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Point, evalPoly, frost, hashToScalar, identifierOf, scalarBytes } from '../../mpc/suite.js';
import { aggregate, bindingFactorInputs, bindingFactors, groupCommitment, signShare, verifySignature, verifySignatureShare, type SigningCommitment } from '../../mpc/signing/frost.js';
import { SecretShare, type PublicKeyPackage } from '../../mpc/keys/types.js';
import { encodeL1GroupKey, encodeL1Signature, verifyL1 } from '../../mpc/l1.js';

interface Vector {
  inputs: {
    participant_list: number[];
    group_secret_key: string;
    group_public_key?: string;
    verifying_key_key?: string;
    message: string;
    share_polynomial_coefficients: string[];
    participant_shares: { identifier: number; participant_share: string }[];
  };
  round_one_outputs: {
    outputs: {
      identifier: number;
      hiding_nonce_randomness: string;
      binding_nonce_randomness: string;
      hiding_nonce: string;
      binding_nonce: string;
      hiding_nonce_commitment: string;
      binding_nonce_commitment: string;
      binding_factor_input: string;
      binding_factor: string;
    }[];
  };
  round_two_outputs: { outputs: { identifier: number; sig_share: string }[] };
  final_output: { sig: string };
}

const load = (f: string): Vector => JSON.parse(readFileSync(new URL(`../../../shared/vectors/${f}`, import.meta.url), 'utf8')) as Vector;

describe.each([
  ['RFC 9591 E.5 (cfrg poc)', 'cfrg-poc-frost-secp256k1-sha256.json'],
  ['Zcash Foundation', 'zf-frost-secp256k1-vectors.json'],
])('%s vector', (_name, file) => {
  const v = load(file);
  const secret = BigInt('0x' + v.inputs.group_secret_key);
  const groupKeyHex = v.inputs.group_public_key ?? v.inputs.verifying_key_key!;
  const groupKey = hexToBytes(groupKeyHex);
  const msg = hexToBytes(v.inputs.message);
  const coeffs = [secret, ...v.inputs.share_polynomial_coefficients.map((c) => BigInt('0x' + c))];
  const n = v.inputs.participant_shares.length;
  const shares = new Map(v.inputs.participant_shares.map((s) => [s.identifier, new SecretShare(s.identifier, BigInt('0x' + s.participant_share))]));
  const pkg: PublicKeyPackage = {
    keyId: 'vector',
    epoch: 0,
    threshold: coeffs.length,
    members: [...shares.keys()].map((index) => ({ index, identity: new Uint8Array(33) })),
    groupKey,
    commitments: coeffs.map((c) => Point.BASE.multiply(c).toBytes(true)),
    verifyingShares: Object.fromEntries([...shares].map(([i, s]) => [i, Point.BASE.multiply(s.reveal()).toBytes(true)])),
  };

  test('group key and dealer shares (polynomial evaluation)', () => {
    expect(bytesToHex(Point.BASE.multiply(secret).toBytes(true))).toBe(groupKeyHex);
    for (const s of v.inputs.participant_shares) expect(bytesToHex(scalarBytes(evalPoly(coeffs, BigInt(s.identifier))))).toBe(s.participant_share);
    // noble's reconstruction agrees
    const subset = v.inputs.participant_list.map((i) => shares.get(i)!.toFrostSecret());
    expect(bytesToHex(frost.combineSecret(subset, { min: 2, max: n }))).toBe(v.inputs.group_secret_key);
  });

  test('round 1: nonces, commitments, binding factor inputs and binding factors', () => {
    const list: SigningCommitment[] = [];
    for (const o of v.round_one_outputs.outputs) {
      const sk = shares.get(o.identifier)!;
      // RFC 9591 4.1 nonce_generate = H3(random_bytes || SerializeScalar(sk))
      const h = hashToScalar('nonce', hexToBytes(o.hiding_nonce_randomness + bytesToHex(sk.toFrostSecret().signingShare)));
      expect(bytesToHex(scalarBytes(h))).toBe(o.hiding_nonce);
      // noble's commit() fed the vector's randomness reproduces nonces and commitments
      const rnd = [hexToBytes(o.hiding_nonce_randomness), hexToBytes(o.binding_nonce_randomness)];
      const { nonces, commitments } = frost.commit(sk.toFrostSecret(), () => rnd.shift()!);
      expect(bytesToHex(nonces.hiding)).toBe(o.hiding_nonce);
      expect(bytesToHex(nonces.binding)).toBe(o.binding_nonce);
      expect(bytesToHex(commitments.hiding)).toBe(o.hiding_nonce_commitment);
      expect(bytesToHex(commitments.binding)).toBe(o.binding_nonce_commitment);
      list.push({ index: o.identifier, hiding: commitments.hiding, binding: commitments.binding });
    }
    const inputs = bindingFactorInputs(groupKey, msg, list);
    const factors = bindingFactors(groupKey, msg, list);
    for (const o of v.round_one_outputs.outputs) {
      expect(bytesToHex(inputs.get(o.identifier)!)).toBe(o.binding_factor_input);
      expect(bytesToHex(scalarBytes(factors.get(o.identifier)!))).toBe(o.binding_factor);
    }
    // group commitment R is the first 33 bytes of the final signature
    expect(bytesToHex(groupCommitment(list, factors).toBytes(true))).toBe(v.final_output.sig.slice(0, 66));
  });

  test('round 2 shares, aggregation, verification and the L1 encoding', () => {
    const list: SigningCommitment[] = v.round_one_outputs.outputs.map((o) => ({
      index: o.identifier,
      hiding: hexToBytes(o.hiding_nonce_commitment),
      binding: hexToBytes(o.binding_nonce_commitment),
    }));
    const sigShares = new Map<number, Uint8Array>();
    for (const o of v.round_one_outputs.outputs) {
      const nonces = { hiding: hexToBytes(o.hiding_nonce), binding: hexToBytes(o.binding_nonce) };
      const z = signShare(pkg, shares.get(o.identifier)!, nonces, list, msg);
      const expected = v.round_two_outputs.outputs.find((r) => r.identifier === o.identifier)!.sig_share;
      expect(bytesToHex(z)).toBe(expected);
      expect(nonces.hiding.every((b) => b === 0)).toBe(true); // consumed
      expect(verifySignatureShare(pkg, list, msg, o.identifier, z)).toBe(true);
      sigShares.set(o.identifier, z);
    }
    const sig = aggregate(pkg, list, msg, sigShares);
    expect(bytesToHex(sig)).toBe(v.final_output.sig);
    expect(verifySignature(sig, msg, groupKey)).toBe(true);
    expect(verifySignature(sig, hexToBytes('74657375'), groupKey)).toBe(false);
    // L1 form: uncompressed R and key (the L1 check itself only takes 32-byte digests; see l1.test.ts)
    const sig96 = encodeL1Signature(sig);
    const key64 = encodeL1GroupKey(groupKey);
    expect(bytesToHex(Point.fromBytes(Uint8Array.from([4, ...sig96.subarray(0, 64)])).toBytes(true))).toBe(v.final_output.sig.slice(0, 66));
    expect(bytesToHex(sig96.subarray(64))).toBe(v.final_output.sig.slice(66));
    expect(bytesToHex(Point.fromBytes(Uint8Array.from([4, ...key64])).toBytes(true))).toBe(groupKeyHex);
    expect(verifyL1(sig96, key64, msg)).toBe(false); // 4-byte message is not an L1 digest
    expect(identifierOf(3)).toBe(scalarBytes(3n).reduce((s, b) => s + b.toString(16).padStart(2, '0'), ''));
  });
});
