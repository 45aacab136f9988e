// genesis.json for CometBFT v0.38 (types/genesis.go GenesisDoc, types/params.go ConsensusParams).
// cmtjson writes every int64 as a JSON string (power, heights, max_bytes, durations in ns), int32
// and smaller as numbers; the field order follows what `cometbft init` writes so diffs stay readable.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { secp256k1Address, secp256k1PubKeyJson } from './keys.js';

export const GENESIS_FILE = join('config', 'genesis.json');

/** One genesis validator, as handed to the app_state callback. */
export interface GenesisValidator {
  name: string;
  /** Upper-case hex of the 20-byte address, as CometBFT prints it. */
  address: string;
  /** 33-byte compressed secp256k1 key. */
  pubKey: Uint8Array;
  power: bigint;
}

/** Builds app_state from the final validator list, so the app's genesis agrees with CometBFT's. */
export type AppStateFn = (validators: GenesisValidator[]) => unknown;

export interface EvidenceParams {
  maxAgeNumBlocks: bigint;
  /** Nanoseconds, as time.Duration serializes. */
  maxAgeDurationNs: bigint;
  maxBytes: bigint;
}

export interface GenesisOptions {
  chainId: string;
  validators: GenesisValidator[];
  genesisTime?: Date;
  initialHeight?: bigint;
  /** First height whose precommits must carry vote extensions; 0 disables them. Default 2. */
  voteExtensionsEnableHeight?: bigint;
  blockMaxBytes?: bigint;
  blockMaxGas?: bigint;
  evidence?: Partial<EvidenceParams>;
  appState?: AppStateFn;
}

// The pinned version's DefaultBlockParams / DefaultEvidenceParams (types/params.go).
export const DEFAULT_BLOCK_MAX_BYTES = 22_020_096n;
export const DEFAULT_BLOCK_MAX_GAS = -1n;
export const DEFAULT_EVIDENCE: EvidenceParams = {
  maxAgeNumBlocks: 100_000n,
  maxAgeDurationNs: 48n * 3600n * 1_000_000_000n,
  maxBytes: 1_048_576n,
};
/** Vote extensions from height 2: height 1 has no previous commit to extend (DESIGN.md decision 4). */
export const DEFAULT_VOTE_EXTENSIONS_ENABLE_HEIGHT = 2n;

// types/genesis.go MaxChainIDLen; types/validator_set.go MaxTotalVotingPower = MaxInt64 / 8.
const MAX_CHAIN_ID_LEN = 50;
const MAX_TOTAL_VOTING_POWER = (2n ** 63n - 1n) / 8n;
const MAX_BLOCK_SIZE_BYTES = 104_857_600n; // types/params.go MaxBlockSizeBytes

/** The JSON document, ready for JSON.stringify (bigints already turned into strings). */
export interface GenesisDoc {
  genesis_time: string;
  chain_id: string;
  initial_height: string;
  consensus_params: {
    block: { max_bytes: string; max_gas: string };
    evidence: { max_age_num_blocks: string; max_age_duration: string; max_bytes: string };
    validator: { pub_key_types: string[] };
    version: { app: string };
    abci: { vote_extensions_enable_height: string };
  };
  validators: { address: string; pub_key: { type: string; value: string }; power: string; name: string }[];
  app_hash: string;
  app_state?: unknown;
}

/**
 * Checks what CometBFT's GenesisDoc.ValidateAndComplete and ConsensusParams.ValidateBasic would
 * refuse at start-up, so the mistake surfaces here with a message naming the field.
 */
function validate(o: Required<Omit<GenesisOptions, 'appState' | 'genesisTime' | 'evidence'>> & { evidence: EvidenceParams }): void {
  if (o.chainId.length === 0 || o.chainId.length > MAX_CHAIN_ID_LEN) {
    throw new Error(`chain_id must be 1..${MAX_CHAIN_ID_LEN} characters, got ${o.chainId.length}`);
  }
  if (o.initialHeight < 1n) throw new Error(`initial_height must be >= 1, got ${o.initialHeight}`);
  if (o.voteExtensionsEnableHeight < 0n) throw new Error('vote_extensions_enable_height must be >= 0');
  if (o.blockMaxBytes === 0n || o.blockMaxBytes < -1n || o.blockMaxBytes > MAX_BLOCK_SIZE_BYTES) {
    throw new Error(`block.max_bytes must be -1 or in 1..${MAX_BLOCK_SIZE_BYTES}, got ${o.blockMaxBytes}`);
  }
  if (o.blockMaxGas < -1n) throw new Error(`block.max_gas must be >= -1, got ${o.blockMaxGas}`);
  const ev = o.evidence;
  if (ev.maxAgeNumBlocks <= 0n || ev.maxAgeDurationNs <= 0n) throw new Error('evidence max_age_* must be > 0');
  const blockBytes = o.blockMaxBytes === -1n ? MAX_BLOCK_SIZE_BYTES : o.blockMaxBytes;
  if (ev.maxBytes < 0n || ev.maxBytes > blockBytes) throw new Error(`evidence.max_bytes must be in 0..${blockBytes}`);
  if (o.validators.length === 0) throw new Error('genesis needs at least one validator');
  let total = 0n;
  const seen = new Set<string>();
  for (const v of o.validators) {
    if (v.power <= 0n) throw new Error(`validator ${v.name} has power ${v.power}; genesis powers must be > 0`);
    total += v.power;
    const expected = bytesToHex(secp256k1Address(v.pubKey)).toUpperCase();
    if (v.address.toUpperCase() !== expected) throw new Error(`validator ${v.name}: address ${v.address} does not match its pub_key (${expected})`);
    if (seen.has(expected)) throw new Error(`validator ${v.name}: duplicate address ${expected}`);
    seen.add(expected);
  }
  if (total > MAX_TOTAL_VOTING_POWER) throw new Error(`total voting power ${total} exceeds CometBFT's maximum ${MAX_TOTAL_VOTING_POWER}`);
}

// app_state is opaque to CometBFT; int64-style amounts travel as decimal strings, which is also
// how cmtjson and the Cosmos ecosystem encode them.
function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function buildGenesis(opts: GenesisOptions): GenesisDoc {
  const o = {
    chainId: opts.chainId,
    validators: opts.validators,
    initialHeight: opts.initialHeight ?? 1n,
    voteExtensionsEnableHeight: opts.voteExtensionsEnableHeight ?? DEFAULT_VOTE_EXTENSIONS_ENABLE_HEIGHT,
    blockMaxBytes: opts.blockMaxBytes ?? DEFAULT_BLOCK_MAX_BYTES,
    blockMaxGas: opts.blockMaxGas ?? DEFAULT_BLOCK_MAX_GAS,
    evidence: { ...DEFAULT_EVIDENCE, ...opts.evidence },
  };
  validate(o);
  const doc: GenesisDoc = {
    genesis_time: (opts.genesisTime ?? new Date()).toISOString(),
    chain_id: o.chainId,
    initial_height: o.initialHeight.toString(),
    consensus_params: {
      block: { max_bytes: o.blockMaxBytes.toString(), max_gas: o.blockMaxGas.toString() },
      evidence: {
        max_age_num_blocks: o.evidence.maxAgeNumBlocks.toString(),
        max_age_duration: o.evidence.maxAgeDurationNs.toString(),
        max_bytes: o.evidence.maxBytes.toString(),
      },
      // Only secp256k1: a validator update with any other key type is then refused by CometBFT.
      validator: { pub_key_types: ['secp256k1'] },
      version: { app: '0' },
      abci: { vote_extensions_enable_height: o.voteExtensionsEnableHeight.toString() },
    },
    validators: o.validators.map((v) => ({
      address: v.address.toUpperCase(),
      pub_key: secp256k1PubKeyJson(v.pubKey),
      power: v.power.toString(),
      name: v.name,
    })),
    app_hash: '',
  };
  if (opts.appState) {
    // Hand the callback copies so it cannot alter the validator list we write.
    const state = opts.appState(o.validators.map((v) => ({ ...v, pubKey: Uint8Array.from(v.pubKey) })));
    if (state !== undefined) doc.app_state = JSON.parse(JSON.stringify(state, bigintAsString)) as unknown;
  }
  return doc;
}

export function genesisJson(doc: GenesisDoc): string {
  return JSON.stringify(doc, null, 2);
}

export function writeGenesis(home: string, doc: GenesisDoc): void {
  writeFileSync(join(home, GENESIS_FILE), genesisJson(doc));
}
