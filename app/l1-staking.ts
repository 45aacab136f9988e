// Applying attested LockingPool events (DESIGN.md flow 1): sequencers join, change stake, leave and
// rotate keys only through L1. Each event is checked against state deterministically; an invalid one
// (wrong contract, nonce gap, bad key, a removal that would empty the set) is recorded as rejected with
// its reason and changes nothing, so no L1 event can halt the chain.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { concatBytes, equalBytes, toHex } from '../common/bytes.js';
import { pubKeyToAddress } from '../common/secp.js';
import { SequencerStatus, type L1StakingEvent, type Params, type Sequencer, type ValidatorEntry } from '../proto/seqpool.js';
import type { State } from './state.js';
import { applyValidatorSetChange, type ValidatorChange } from './validator-set.js';

const TOKEN = 10n ** 18n;
const DECIMAL = /^[0-9]{1,78}$/;

/** Structural problems of an L1 event, independent of state; undefined if well-formed. */
export function l1EventProblem(ev: L1StakingEvent): string | undefined {
  if (ev.contract.length !== 20) return 'contract must be a 20-byte address';
  if (ev.blockHash.length !== 32 || ev.txHash.length !== 32) return 'block and tx hashes must be 32 bytes';
  if (ev.sequencerId <= 0n || ev.nonce <= 0n) return 'sequencer id and nonce must be positive';
  const kinds = [ev.locked, ev.relocked, ev.unlockInit, ev.unlocked, ev.signerChange, ev.slashed].filter((k) => k !== undefined);
  if (kinds.length !== 1) return `an L1 event must carry exactly one kind, got ${kinds.length}`;
  const amounts = [ev.locked?.amount, ev.locked?.total, ev.relocked?.amount, ev.relocked?.total, ev.unlockInit?.amount, ev.unlocked?.amount, ev.slashed?.amount, ev.slashed?.total];
  if (amounts.some((a) => a !== undefined && !DECIMAL.test(a))) return 'amounts must be decimal uint256 strings';
  const addresses = [ev.locked?.signer, ev.unlockInit?.signer, ev.unlocked?.signer, ev.signerChange?.oldSigner, ev.signerChange?.newSigner];
  if (addresses.some((a) => a !== undefined && a.length !== 20)) return 'signer addresses must be 20 bytes';
  const pubkeys = [ev.locked?.signerPubkey, ev.signerChange?.signerPubkey];
  if (pubkeys.some((p) => p !== undefined && p.length !== 64)) return 'signer pubkeys must be 64 bytes (uncompressed, no prefix)';
  return undefined;
}

/** The L1 (Ethereum) address of a compressed secp256k1 key. */
export function ethAddress(pubKey33: Uint8Array): Uint8Array {
  return keccak_256(secp256k1.Point.fromBytes(pubKey33).toBytes(false).subarray(1)).subarray(12);
}

/** The compressed CometBFT key for a 64-byte L1 signer pubkey that must belong to `signer`. */
export function signerKey(pubkey64: Uint8Array, signer: Uint8Array): { pubKey: Uint8Array } | { problem: string } {
  if (!equalBytes(keccak_256(pubkey64).subarray(12), signer)) return { problem: `signerPubkey does not belong to signer 0x${toHex(signer)}` };
  try {
    const point = secp256k1.Point.fromBytes(concatBytes(Uint8Array.of(4), pubkey64));
    return { pubKey: point.toBytes(true) };
  } catch {
    return { problem: 'signerPubkey is not a point on secp256k1' };
  }
}

function stakePower(total: string, params: Params): { power: bigint } | { problem: string } {
  const t = BigInt(total);
  if (t < BigInt(params.minLock) || t > BigInt(params.maxLock)) return { problem: `locked total ${t} outside [${params.minLock}, ${params.maxLock}]` };
  return { power: t / TOKEN };
}

export type L1Outcome = { ok: true; set: ValidatorEntry[] } | { ok: false; reason: string };

/**
 * Apply one attested event to state, given the validator set as it stands after earlier events of
 * this block. Returns the new set, or the reason the event was rejected (state then untouched).
 */
export function applyL1Event(state: State, ev: L1StakingEvent, set: ValidatorEntry[]): L1Outcome {
  const reject = (reason: string): L1Outcome => ({ ok: false, reason });
  const structural = l1EventProblem(ev);
  if (structural) return reject(structural);
  const l1 = state.l1Config();
  if (!l1) return reject('this chain follows no L1 LockingPool (genesis has no l1 section)');
  if (ev.chainId !== l1.chainId || !equalBytes(ev.contract, l1.lockingPool)) return reject(`event of chain ${ev.chainId} contract 0x${toHex(ev.contract)}, not the pool's LockingPool`);
  const params = state.params();
  const current = state.sequencerById(ev.sequencerId);
  const expected = (current?.l1Nonce ?? 0n) + 1n;
  if (ev.nonce !== expected) return reject(`sequencer ${ev.sequencerId}: nonce ${ev.nonce}, expected ${expected}${ev.nonce > expected ? ' (gap)' : ' (already applied)'}`);

  const withSet = (changes: ValidatorChange[], write: () => void): L1Outcome => {
    const r = applyValidatorSetChange(set, changes);
    if (!r.ok) return reject(r.reason);
    write();
    return { ok: true, set: r.next };
  };

  if (ev.locked) {
    if (current) return reject(`sequencer ${ev.sequencerId} already exists`);
    const key = signerKey(ev.locked.signerPubkey, ev.locked.signer);
    if ('problem' in key) return reject(key.problem);
    const stake = stakePower(ev.locked.total, params);
    if ('problem' in stake) return reject(stake.problem);
    const address = pubKeyToAddress(key.pubKey);
    const previous = state.sequencer(address);
    if (previous && previous.status !== SequencerStatus.EXITED) return reject(`signer 0x${toHex(ev.locked.signer)} is already sequencer ${previous.sequencerId}`);
    const record: Sequencer = {
      address,
      pubKey: key.pubKey,
      power: stake.power,
      nonce: previous?.nonce ?? 0n, // a returning key keeps its tx nonce: old txs stay replays
      sequencerId: ev.sequencerId,
      l1Nonce: ev.nonce,
      locked: ev.locked.total,
      status: SequencerStatus.ACTIVE,
      signer: ev.locked.signer,
    };
    return withSet([{ pubKey: key.pubKey, power: stake.power }], () => state.setSequencer(record));
  }
  if (!current) return reject(`unknown sequencer ${ev.sequencerId}`);
  const next: Sequencer = { ...current, l1Nonce: ev.nonce };

  if (ev.relocked) {
    if (current.status !== SequencerStatus.ACTIVE) return reject(`sequencer ${ev.sequencerId} is not active`);
    const stake = stakePower(ev.relocked.total, params);
    if ('problem' in stake) return reject(stake.problem);
    return withSet([{ pubKey: current.pubKey, power: stake.power }], () => state.setSequencer({ ...next, power: stake.power, locked: ev.relocked!.total }));
  }
  if (ev.unlockInit) {
    if (current.status !== SequencerStatus.ACTIVE) return reject(`sequencer ${ev.sequencerId} is not active`);
    const changes = set.some((v) => equalBytes(v.address, current.address)) ? [{ pubKey: current.pubKey, power: 0n }] : [];
    return withSet(changes, () =>
      state.setSequencer({ ...next, power: 0n, status: SequencerStatus.UNLOCKING, deactivationTime: ev.unlockInit!.deactivationTime }),
    );
  }
  if (ev.slashed) {
    // The stake shrinks; an active sequencer's power follows it (no lower bound: slashing is meant to
    // hurt), and a stake slashed to below one token leaves the set.
    if (current.status === SequencerStatus.EXITED) return reject(`sequencer ${ev.sequencerId} has exited`);
    const power = BigInt(ev.slashed.total) / TOKEN;
    const active = current.status === SequencerStatus.ACTIVE;
    const changes = active ? [{ pubKey: current.pubKey, power }] : [];
    return withSet(changes, () => state.setSequencer({ ...next, locked: ev.slashed!.total, power: active ? power : 0n }));
  }
  if (ev.unlocked) {
    if (current.status !== SequencerStatus.UNLOCKING) return reject(`sequencer ${ev.sequencerId} has not started unlocking`);
    state.setSequencer({ ...next, status: SequencerStatus.EXITED, locked: '0' });
    return { ok: true, set };
  }
  // signerChange
  const sc = ev.signerChange!;
  if (current.status === SequencerStatus.EXITED) return reject(`sequencer ${ev.sequencerId} has exited`);
  if (!equalBytes(sc.oldSigner, current.signer ?? new Uint8Array(0))) return reject(`old signer 0x${toHex(sc.oldSigner)} is not sequencer ${ev.sequencerId}'s signer`);
  const key = signerKey(sc.signerPubkey, sc.newSigner);
  if ('problem' in key) return reject(key.problem);
  const address = pubKeyToAddress(key.pubKey);
  const occupant = state.sequencer(address);
  if (occupant && occupant.status !== SequencerStatus.EXITED) return reject(`new signer 0x${toHex(sc.newSigner)} is already sequencer ${occupant.sequencerId}`);
  const inSet = set.some((v) => equalBytes(v.address, current.address));
  const changes = inSet ? [{ pubKey: current.pubKey, power: 0n }, { pubKey: key.pubKey, power: current.power }] : [];
  return withSet(changes, () => {
    state.deleteSequencer(current.address);
    state.setSequencer({ ...next, address, pubKey: key.pubKey, signer: sc.newSigner, nonce: occupant?.nonce ?? 0n });
    if (current.peer) state.setPeerOwner(current.peer.peerId, toHex(address));
  });
}
