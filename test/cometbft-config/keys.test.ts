// Key files must be byte-for-byte what CometBFT v0.38 reads: checked against the Go test vector and
// against what the pinned binary itself derives from our files.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { defaultCometbftBin } from '../../cometbft-config/config-toml.js';
import {
  loadNodeKey,
  loadValidatorKey,
  nodeKeyFromSeed,
  nodeKeyFromSecret,
  validatorKeyFromPrivKey,
  validatorKeyFromSecret,
  generateValidatorKey,
  generateNodeKey,
  writeNodeKey,
  writeValidatorKey,
  PRIV_VALIDATOR_KEY_FILE,
  PRIV_VALIDATOR_STATE_FILE,
  NODE_KEY_FILE,
} from '../../cometbft-config/keys.js';

const bin = defaultCometbftBin();
let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'seqpool-keys-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

test('secp256k1 address matches the vector in cometbft crypto/secp256k1/secp256k1_test.go', () => {
  // priv/pub from secpDataTable; the address is the payload of its base58check "1CKZ9Nx4zgds8tU7nJHotKSDr4a9bYJCa3".
  const key = validatorKeyFromPrivKey(hex('a96e62ed3955e65be32703f12d87b6b5cf26039ecfa948dc5107a495418e5330'));
  expect(bytesToHex(key.pubKey)).toBe('02950e1cdfcb133d6024109fd489f734eeb4502418e538c28481f22bce276f248c');
  expect(bytesToHex(key.address).toUpperCase()).toBe('7C2BB42A8BE69791EC763E51F5A49BCD41E82237');
});

test('validatorKeyFromSecret follows GenPrivKeySecp256k1 (vector computed with the pinned Go module)', () => {
  // secp256k1.GenPrivKeySecp256k1([]byte("seqpool")) and its Address(), from cometbft v0.38.26.
  const key = validatorKeyFromSecret(new TextEncoder().encode('seqpool'));
  expect(bytesToHex(key.privKey)).toBe('dc24911ba01bfe658be6134af7f30b11b35c7f88f06e89f25f8e8f4d1d3a07b0');
  expect(bytesToHex(key.address).toUpperCase()).toBe('7BBF9A327683F3358DE178494D3C8B787FB9A40F');
});

test('priv_validator_key.json and priv_validator_state.json have the privval shapes', () => {
  const key = validatorKeyFromSecret(new TextEncoder().encode('shape'));
  writeValidatorKey(home, key);
  const doc = JSON.parse(readFileSync(join(home, PRIV_VALIDATOR_KEY_FILE), 'utf8'));
  expect(doc).toEqual({
    address: bytesToHex(key.address).toUpperCase(),
    pub_key: { type: 'tendermint/PubKeySecp256k1', value: Buffer.from(key.pubKey).toString('base64') },
    priv_key: { type: 'tendermint/PrivKeySecp256k1', value: Buffer.from(key.privKey).toString('base64') },
  });
  expect(Buffer.from(doc.pub_key.value, 'base64')).toHaveLength(33);
  expect(Buffer.from(doc.priv_key.value, 'base64')).toHaveLength(32);
  expect(JSON.parse(readFileSync(join(home, PRIV_VALIDATOR_STATE_FILE), 'utf8'))).toEqual({ height: '0', round: 0, step: 0 });
  expect(statSync(join(home, PRIV_VALIDATOR_KEY_FILE)).mode & 0o777).toBe(0o600);
});

test('node_key.json holds seed||pubkey and the id is sha256(pubkey)[:20]', () => {
  const key = nodeKeyFromSeed(new Uint8Array(32).fill(7));
  writeNodeKey(home, key);
  const doc = JSON.parse(readFileSync(join(home, NODE_KEY_FILE), 'utf8'));
  expect(doc.priv_key.type).toBe('tendermint/PrivKeyEd25519');
  const raw = Buffer.from(doc.priv_key.value, 'base64');
  expect(raw).toHaveLength(64);
  expect(bytesToHex(raw.subarray(0, 32))).toBe('07'.repeat(32));
  expect(bytesToHex(raw.subarray(32))).toBe(bytesToHex(key.pubKey));
  expect(key.id).toMatch(/^[0-9a-f]{40}$/);
});

test('keys round-trip through the files', () => {
  const v = generateValidatorKey();
  const n = generateNodeKey();
  writeValidatorKey(home, v);
  writeNodeKey(home, n);
  expect(loadValidatorKey(home)).toEqual(v);
  expect(loadNodeKey(home)).toEqual(n);
  const loaded = loadValidatorKey(home);
  expect(loaded.address).toHaveLength(20);
  expect(loaded.pubKey).toHaveLength(33);
  expect(loaded.privKey).toHaveLength(32);
});

test('seeded derivation is reproducible and distinct per secret', () => {
  const a = validatorKeyFromSecret(new TextEncoder().encode('a'));
  expect(validatorKeyFromSecret(new TextEncoder().encode('a'))).toEqual(a);
  expect(validatorKeyFromSecret(new TextEncoder().encode('b')).address).not.toEqual(a.address);
  expect(nodeKeyFromSecret(new TextEncoder().encode('a')).id).toBe(nodeKeyFromSecret(new TextEncoder().encode('a')).id);
});

test('loadValidatorKey rejects tampered or foreign files with a message naming the problem', () => {
  const v = validatorKeyFromSecret(new TextEncoder().encode('tamper'));
  writeValidatorKey(home, v);
  const file = join(home, PRIV_VALIDATOR_KEY_FILE);
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...doc, address: '00'.repeat(20) }));
  expect(() => loadValidatorKey(home)).toThrow(/address .* does not match pub_key/);
  const other = validatorKeyFromSecret(new TextEncoder().encode('other'));
  writeFileSync(file, JSON.stringify({ ...doc, pub_key: { ...doc.pub_key, value: Buffer.from(other.pubKey).toString('base64') } }));
  expect(() => loadValidatorKey(home)).toThrow(/pub_key does not match priv_key/);
  writeFileSync(file, JSON.stringify({ ...doc, priv_key: { type: 'tendermint/PrivKeyEd25519', value: doc.priv_key.value } }));
  expect(() => loadValidatorKey(home)).toThrow(/priv_key must be \{"type":"tendermint\/PrivKeySecp256k1"/);
  expect(() => loadValidatorKey(join(home, 'missing'))).toThrow(/cannot read/);
});

test('the pinned cometbft derives the same validator key and node id from our files', () => {
  const v = generateValidatorKey();
  const n = generateNodeKey();
  writeValidatorKey(home, v);
  writeNodeKey(home, n);
  // show-validator loads priv_validator_key.json (and needs the state file) and prints the pub key.
  const shown = JSON.parse(execFileSync(bin, ['show-validator', '--home', home], { encoding: 'utf8' }));
  expect(shown).toEqual({ type: 'tendermint/PubKeySecp256k1', value: Buffer.from(v.pubKey).toString('base64') });
  expect(execFileSync(bin, ['show-node-id', '--home', home], { encoding: 'utf8' }).trim()).toBe(n.id);
});
