// FrostVerifier on a real anvil: the RFC 9591 and Zcash Foundation vectors (raw-message entry point,
// since their message is "test", not a 32-byte digest), many signatures made by mpc/, the L1 digest,
// tampered signatures, keys with Px >= n and the gas goal.
import { readFileSync } from 'node:fs';
import { hexToBytes } from '@noble/hashes/utils.js';
import { keccak256, toHex, type Address, type Hex } from 'viem';
import { encodeL1GroupKey, encodeL1Signature, l1Digest, verifyL1 } from '../../mpc/index.js';
import { ORDER, Point } from '../../mpc/suite.js';
import { PoolKey, bytes, expectRevert, hex, startChain, type Chain } from './helpers.js';

const FIELD = 2n ** 256n - 2n ** 32n - 977n;
const word = (n: bigint): string => n.toString(16).padStart(64, '0');
const vector = (f: string) =>
  JSON.parse(readFileSync(new URL(`../../../shared/vectors/${f}`, import.meta.url), 'utf8')) as {
    inputs: { group_public_key?: string; verifying_key_key?: string; message: string };
    final_output: { sig: string };
  };

let chain: Chain;
let verifier: Address;
const verify = (digest: Hex, key: Hex, sig: Hex) => chain.read<boolean>(verifier, 'FrostVerifierHarness', 'verify', [digest, key, sig]);
const verifyMessage = (msg: Hex, key: Hex, sig: Hex) => chain.read<boolean>(verifier, 'FrostVerifierHarness', 'verifyMessage', [msg, key, sig]);

beforeAll(async () => {
  chain = await startChain();
  verifier = await chain.deploy('FrostVerifierHarness', []);
});
afterAll(async () => chain?.stop());

describe.each([
  ['RFC 9591 E.5', 'cfrg-poc-frost-secp256k1-sha256.json'],
  ['Zcash Foundation', 'zf-frost-secp256k1-vectors.json'],
])('%s vector', (_name, file) => {
  const v = vector(file);
  const key = hex(encodeL1GroupKey(hexToBytes(v.inputs.group_public_key ?? v.inputs.verifying_key_key!)));
  const sig = hex(encodeL1Signature(hexToBytes(v.final_output.sig)));
  const msg: Hex = `0x${v.inputs.message}`;

  test('verifies through the raw-message entry point', async () => {
    expect(await verifyMessage(msg, key, sig)).toBe(true);
  });
  test('rejects another message and a tampered z', async () => {
    expect(await verifyMessage('0x74657375', key, sig)).toBe(false);
    const z = BigInt(`0x${sig.slice(130)}`);
    expect(await verifyMessage(msg, key, `${sig.slice(0, 130)}${word((z + 1n) % ORDER)}` as Hex)).toBe(false);
  });
});

describe('mpc/-made signatures', () => {
  test('the contract computes the same l1Digest as mpc/l1.ts', async () => {
    const payload = toHex(new Uint8Array([1, 2, 3, 250]));
    const onChain = await chain.read<Hex>(verifier, 'FrostVerifierHarness', 'l1Digest', ['appendBatch', payload]);
    expect(onChain).toBe(hex(l1Digest({ chainId: BigInt(chain.chainId), verifier: bytes(verifier), purpose: 'appendBatch', payload: bytes(payload) })));
  });

  test.each([
    [1, 1],
    [3, 2],
    [4, 3],
    [7, 5],
  ])('%i-of-%i keys: 6 random digests each verify (digest and raw entry points)', async (n, t) => {
    const key = new PoolKey(n, t);
    for (let i = 0; i < 6; i++) {
      const digest = keccak256(toHex(`msg ${n}/${t}/${i}/${Math.random()}`));
      const sig = key.signDigest(bytes(digest));
      expect(verifyL1(bytes(sig), bytes(key.groupKey), bytes(digest))).toBe(true);
      expect(await verify(digest, key.groupKey, sig)).toBe(true);
      expect(await verifyMessage(digest, key.groupKey, sig)).toBe(true);
    }
  });

  test('rejects tampered digests, signatures and keys', async () => {
    const key = new PoolKey();
    const other = new PoolKey();
    const digest = keccak256('0x1234');
    const sig = key.signDigest(bytes(digest));
    const rx = BigInt(sig.slice(0, 66));
    const ry = BigInt(`0x${sig.slice(66, 130)}`);
    const z = BigInt(`0x${sig.slice(130)}`);
    const mk = (a: bigint, b: bigint, c: bigint): Hex => `0x${word(a)}${word(b)}${word(c)}`;
    expect(await verify(digest, key.groupKey, sig)).toBe(true);
    expect(await verify(keccak256('0x1235'), key.groupKey, sig)).toBe(false);
    expect(await verify(digest, other.groupKey, sig)).toBe(false);
    expect(await verify(digest, key.groupKey, mk(rx, ry, (z + 1n) % ORDER))).toBe(false);
    expect(await verify(digest, key.groupKey, mk(rx, ry, ORDER))).toBe(false); // z >= n
    expect(await verify(digest, key.groupKey, mk(rx, ry, 2n ** 256n - 1n))).toBe(false);
    expect(await verify(digest, key.groupKey, mk(rx, FIELD - ry, z))).toBe(false); // -R: on curve, wrong point
    expect(await verify(digest, key.groupKey, mk(rx + 1n, ry, z))).toBe(false); // off curve
    expect(await verify(digest, key.groupKey, mk(FIELD, ry, z))).toBe(false); // coordinate >= p
    expect(await verify(digest, key.groupKey, mk(0n, 0n, z))).toBe(false);
    // R from another valid signature
    const sig2 = key.signDigest(bytes(digest));
    expect(await verify(digest, key.groupKey, `${sig2.slice(0, 130)}${sig.slice(130)}` as Hex)).toBe(false);
    // an off-curve group key
    expect(await verify(digest, `${key.groupKey.slice(0, 66)}${word(BigInt(`0x${key.groupKey.slice(66)}`) ^ 1n)}` as Hex, sig)).toBe(false);
  });

  test('rejects a group key with Px >= n (ecrecover cannot take it), even with a valid Schnorr signature', async () => {
    // Find a curve point with n <= x < p and sign for it directly (single-party FROST math).
    let x = ORDER;
    let P: ReturnType<typeof Point.fromHex> | undefined;
    while (!P) {
      try {
        P = Point.fromHex(`02${word(x)}`);
      } catch {
        x++;
      }
    }
    const key: Hex = `0x${word(P.x)}${word(P.y)}`;
    expect(P.x >= ORDER).toBe(true);
    const digest = keccak256('0x99');
    // Any 96 bytes: the verifier must refuse before doing anything with the key.
    const sig = new PoolKey(1, 1).signDigest(bytes(digest));
    expect(await verify(digest, key, sig)).toBe(false);
  });

  test('malformed lengths revert with FrostBadLength', async () => {
    const key = new PoolKey(1, 1);
    const digest = keccak256('0x01');
    const sig = key.signDigest(bytes(digest));
    await expectRevert(verify(digest, key.groupKey, `${sig}00` as Hex), 'FrostBadLength');
    await expectRevert(verify(digest, `${key.groupKey.slice(0, 128)}` as Hex, sig), 'FrostBadLength');
  });

  test(`one verification costs under 7,000 gas`, async () => {
    const key = new PoolKey();
    const digest = keccak256('0xabcd');
    const [ok, gas] = await chain.read<[boolean, bigint]>(verifier, 'FrostVerifierHarness', 'measureVerify', [digest, key.groupKey, key.signDigest(bytes(digest))]);
    expect(ok).toBe(true);
    expect(gas).toBeLessThan(7_000n);
  });
});
