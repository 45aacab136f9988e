// Producer election (DESIGN.md decision 9, docs/pool.md "Epochs and election"): stake-weighted, with
// a seed nobody knows before the election block, a PRNG local to the call, and a defined result for
// an empty candidate set. Pure: takes the candidates, returns the pick.
import { sha256 } from '@noble/hashes/sha2.js';
import { compareBytes, concatBytes, toHex, utf8 } from '../common/bytes.js';
import { SequencerStatus, type Sequencer } from '../proto/seqpool.js';
import { parseGenesis } from './genesis-state.js';
import { ethAddress } from '../protocol/l1-signer.js';
import type { State, View } from './state.js';

const GENESIS_DOMAIN = utf8('seqpool/election/genesis');
const ELECTION_DOMAIN = utf8('seqpool/election');

/** The committee: active, unjailed sequencers with power > 0, sorted by address. */
export function committee(state: State, view: View = 'working'): Sequencer[] {
  return state
    .sequencers(view)
    .filter((s) => (s.status ?? SequencerStatus.ACTIVE) === SequencerStatus.ACTIVE && !s.jailed && s.power > 0n)
    .sort((a, b) => compareBytes(a.address, b.address));
}

/** sha256("seqpool/election/genesis" || chain_id): epoch 0's seed. */
export function genesisSeed(chainId: string): Uint8Array {
  return sha256(concatBytes(GENESIS_DOMAIN, utf8(chainId)));
}

/** sha256("seqpool/election" || block hash || newest pool signature (or 32 zero bytes)). */
export function electionSeed(blockHash: Uint8Array, lastSignature: Uint8Array | undefined): Uint8Array {
  return sha256(concatBytes(ELECTION_DOMAIN, blockHash, lastSignature ?? new Uint8Array(32)));
}

function u64be(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

/**
 * Stake-weighted pick among `candidates` (sorted by address by the caller): draws
 * x = uint256(sha256(seed || counter)) with rejection sampling (no modulo bias) and walks the
 * cumulative power. Undefined for an empty set or zero total power.
 */
export function electProducer(candidates: readonly Sequencer[], seed: Uint8Array): Sequencer | undefined {
  const total = candidates.reduce((sum, s) => sum + s.power, 0n);
  if (candidates.length === 0 || total <= 0n) return undefined;
  const space = 1n << 256n;
  const limit = space - (space % total);
  for (let counter = 0n; ; counter++) {
    const x = BigInt(`0x${toHex(sha256(concatBytes(seed, u64be(counter))))}`);
    if (x >= limit) continue; // probability < total / 2^256
    let r = x % total;
    for (const c of candidates) {
      if (r < c.power) return c;
      r -= c.power;
    }
  }
}

export interface GenesisProducer {
  /** CometBFT address, hex upper case. */
  address: string;
  /** The producer's L1/L2 address (SequencerSet `signer`), 0x hex. */
  signer: `0x${string}`;
  pubKey: string;
}

/**
 * Epoch 0's producer from genesis app_state (parsed JSON) and the chain id: the localnet deploys
 * SequencerSet with this signer for L2 blocks [1, epochLength]. The app computes the same at InitChain.
 */
export function genesisProducer(appState: unknown, chainId: string): GenesisProducer {
  const genesis = parseGenesis(utf8(JSON.stringify(appState)));
  const candidates = genesis.sequencers
    .map((s) => ({ address: s.address, pubKey: s.pubKey, power: s.power, nonce: 0n }))
    .sort((a, b) => compareBytes(a.address, b.address));
  const pick = electProducer(candidates, genesisSeed(chainId))!; // genesis has at least one sequencer with power > 0
  return { address: toHex(pick.address).toUpperCase(), signer: `0x${toHex(ethAddress(pick.pubKey))}`, pubKey: toHex(pick.pubKey) };
}
