// CometBFT key files, written by us rather than by `cometbft init` (DESIGN.md decision 3): the
// validator key is secp256k1 because the same key is the L1 signer, and 0.38's `init` only makes
// ed25519. Formats are those of the pinned v0.38.26 source, not guessed:
//  - crypto/secp256k1/secp256k1.go: PubKey is the 33-byte compressed point; Address() is
//    RIPEMD160(SHA256(pubkey)); amino names tendermint/PubKeySecp256k1 and tendermint/PrivKeySecp256k1;
//    GenPrivKeySecp256k1(secret) = (SHA256(secret) mod (n-1)) + 1.
//  - crypto/ed25519/ed25519.go: PrivKey is 64 bytes seed||pubkey; Address() is SHA256(pubkey)[:20].
//  - p2p/key.go: node id = lowercase hex of the ed25519 address.
//  - privval/file.go: FilePVKey {address, pub_key, priv_key}; FilePVLastSignState with int64 height
//    (cmtjson writes int64 as a JSON string) and int32/int8 round and step (JSON numbers).
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@noble/curves/utils.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';

export const SECP256K1_PUBKEY_TYPE = 'tendermint/PubKeySecp256k1';
export const SECP256K1_PRIVKEY_TYPE = 'tendermint/PrivKeySecp256k1';
export const ED25519_PRIVKEY_TYPE = 'tendermint/PrivKeyEd25519';

/** Where `cometbft init` and the default config.toml put each file, relative to the home. */
export const PRIV_VALIDATOR_KEY_FILE = join('config', 'priv_validator_key.json');
export const PRIV_VALIDATOR_STATE_FILE = join('data', 'priv_validator_state.json');
export const NODE_KEY_FILE = join('config', 'node_key.json');

/** A secp256k1 validator key as CometBFT holds it. */
export interface ValidatorKey {
  /** RIPEMD160(SHA256(pubKey)), 20 bytes. */
  address: Uint8Array;
  /** Compressed point, 33 bytes. */
  pubKey: Uint8Array;
  /** Scalar, 32 bytes big-endian. */
  privKey: Uint8Array;
}

/** An ed25519 p2p node key. */
export interface NodeKey {
  /** The 32-byte ed25519 seed (CometBFT stores seed||pubKey). */
  seed: Uint8Array;
  pubKey: Uint8Array;
  /** Lowercase hex of SHA256(pubKey)[:20], what peers write before '@'. */
  id: string;
}

const SECP256K1_N = secp256k1.Point.CURVE().n;

/** CometBFT's validator address for a compressed secp256k1 key. */
export function secp256k1Address(pubKey: Uint8Array): Uint8Array {
  if (pubKey.length !== 33) throw new Error(`secp256k1 public key must be 33 bytes (compressed), got ${pubKey.length}`);
  return ripemd160(sha256(pubKey));
}

/** The full key from a 32-byte secret scalar; throws if the scalar is 0 or >= n. */
export function validatorKeyFromPrivKey(privKey: Uint8Array): ValidatorKey {
  if (privKey.length !== 32) throw new Error(`secp256k1 private key must be 32 bytes, got ${privKey.length}`);
  if (!secp256k1.utils.isValidSecretKey(privKey)) throw new Error('secp256k1 private key is not in [1, n-1]');
  const pubKey = secp256k1.getPublicKey(privKey, true);
  return { address: secp256k1Address(pubKey), pubKey, privKey: Uint8Array.from(privKey) };
}

/**
 * A reproducible key from secret bytes, by the same rule as CometBFT's GenPrivKeySecp256k1 so that
 * a Go tool given the same secret derives the same key. For tests and localnets only.
 */
export function validatorKeyFromSecret(secret: Uint8Array): ValidatorKey {
  const c = BigInt('0x' + bytesToHex(sha256(secret)));
  const k = (c % (SECP256K1_N - 1n)) + 1n;
  const hex = k.toString(16).padStart(64, '0');
  return validatorKeyFromPrivKey(Uint8Array.from(Buffer.from(hex, 'hex')));
}

/** A fresh key from the platform CSPRNG. */
export function generateValidatorKey(): ValidatorKey {
  return validatorKeyFromPrivKey(secp256k1.utils.randomSecretKey());
}

/** The node id CometBFT derives from an ed25519 public key (p2p.PubKeyToID). */
export function nodeIdFromPubKey(pubKey: Uint8Array): string {
  if (pubKey.length !== 32) throw new Error(`ed25519 public key must be 32 bytes, got ${pubKey.length}`);
  return bytesToHex(sha256(pubKey).subarray(0, 20));
}

export function nodeKeyFromSeed(seed: Uint8Array): NodeKey {
  if (seed.length !== 32) throw new Error(`ed25519 seed must be 32 bytes, got ${seed.length}`);
  const pubKey = ed25519.getPublicKey(seed);
  return { seed: Uint8Array.from(seed), pubKey, id: nodeIdFromPubKey(pubKey) };
}

/** A reproducible node key: the ed25519 seed is SHA256(secret). For tests and localnets only. */
export function nodeKeyFromSecret(secret: Uint8Array): NodeKey {
  return nodeKeyFromSeed(sha256(secret));
}

export function generateNodeKey(): NodeKey {
  return nodeKeyFromSeed(randomBytes(32));
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'base64'));
const upperHex = (b: Uint8Array): string => bytesToHex(b).toUpperCase();

/** The amino-JSON form of a secp256k1 public key, as in genesis.json and `show-validator`. */
export function secp256k1PubKeyJson(pubKey: Uint8Array): { type: string; value: string } {
  return { type: SECP256K1_PUBKEY_TYPE, value: b64(pubKey) };
}

/** priv_validator_key.json content (privval.FilePVKey, indented as cmtjson.MarshalIndent does). */
export function privValidatorKeyJson(key: ValidatorKey): string {
  const doc = {
    address: upperHex(key.address),
    pub_key: secp256k1PubKeyJson(key.pubKey),
    priv_key: { type: SECP256K1_PRIVKEY_TYPE, value: b64(key.privKey) },
  };
  return JSON.stringify(doc, null, 2);
}

/** data/priv_validator_state.json for a validator that has never signed. */
export function initialPrivValidatorStateJson(): string {
  return JSON.stringify({ height: '0', round: 0, step: 0 }, null, 2);
}

/** node_key.json content (p2p.NodeKey). */
export function nodeKeyJson(key: NodeKey): string {
  const priv = new Uint8Array(64);
  priv.set(key.seed, 0);
  priv.set(key.pubKey, 32);
  return JSON.stringify({ priv_key: { type: ED25519_PRIVKEY_TYPE, value: b64(priv) } });
}

// Secrets are written 0600 like CometBFT does; chmod again in case the file already existed.
function writeSecret(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Writes config/priv_validator_key.json and a fresh data/priv_validator_state.json. */
export function writeValidatorKey(home: string, key: ValidatorKey): void {
  writeSecret(join(home, PRIV_VALIDATOR_KEY_FILE), privValidatorKeyJson(key));
  writeSecret(join(home, PRIV_VALIDATOR_STATE_FILE), initialPrivValidatorStateJson());
}

export function writeNodeKey(home: string, key: NodeKey): void {
  writeSecret(join(home, NODE_KEY_FILE), nodeKeyJson(key));
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON`);
  }
}

function typedValue(obj: unknown, field: string, type: string, file: string): Uint8Array {
  const v = (obj as Record<string, unknown> | null)?.[field] as { type?: unknown; value?: unknown } | undefined;
  if (!v || v.type !== type || typeof v.value !== 'string') {
    throw new Error(`${file}: ${field} must be {"type":"${type}","value":<base64>} (got type ${JSON.stringify(v?.type)})`);
  }
  return unb64(v.value);
}

/**
 * Reads a home's secp256k1 validator key and checks that its three fields agree, so a signer never
 * works with a key CometBFT would see differently. Never log the result.
 */
export function loadValidatorKey(home: string, file: string = join(home, PRIV_VALIDATOR_KEY_FILE)): ValidatorKey {
  const doc = readJson(file);
  const privKey = typedValue(doc, 'priv_key', SECP256K1_PRIVKEY_TYPE, file);
  const pubKey = typedValue(doc, 'pub_key', SECP256K1_PUBKEY_TYPE, file);
  const address = (doc as { address?: unknown }).address;
  let key: ValidatorKey;
  try {
    key = validatorKeyFromPrivKey(privKey);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  if (!equalBytes(key.pubKey, pubKey)) throw new Error(`${file}: pub_key does not match priv_key`);
  if (typeof address !== 'string' || address.toUpperCase() !== upperHex(key.address)) {
    throw new Error(`${file}: address ${String(address)} does not match pub_key (expected ${upperHex(key.address)})`);
  }
  return key;
}

/** Reads a home's ed25519 node key and checks that the stored public half matches the seed. */
export function loadNodeKey(home: string, file: string = join(home, NODE_KEY_FILE)): NodeKey {
  const priv = typedValue(readJson(file), 'priv_key', ED25519_PRIVKEY_TYPE, file);
  if (priv.length !== 64) throw new Error(`${file}: ed25519 private key must be 64 bytes, got ${priv.length}`);
  const key = nodeKeyFromSeed(priv.subarray(0, 32));
  if (!equalBytes(key.pubKey, priv.subarray(32))) throw new Error(`${file}: public half does not match the seed`);
  return key;
}
