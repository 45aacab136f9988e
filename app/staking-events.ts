// Applying attested LockingPool events (DESIGN.md flow 1): sequencers join, change stake, leave and
// rotate keys only through L1, and L1 is the source of truth for stake (decision 26). Every event of
// our LockingPool that carries a sequencer's next nonce is applied and advances that sequencer's
// cursor; what the app cannot take as it is has a defined outcome instead of a rejection (a rejected
// event would leave every later event of that sequencer a gap for ever):
//   - an unusable signer key (not a curve point, not the signer's, or seated by another live
//     sequencer) leaves the sequencer keyless: no address, power 0, until a SignerChange fixes it;
//   - stake outside [minLock, maxLock] gives power 0 until a relock or slash brings it back;
//   - UnlockInit and Unlocked always take the power away, whatever state the app had.
// So the app never gives a sequencer more power than its stake on L1. Only events that are not ours
// (wrong chain or contract, malformed) or not next in line (a gap, a replay) are rejected.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { concatBytes, equalBytes, toHex } from '../common/bytes.js';
import { pubKeyToAddress } from '../common/secp.js';
import { SequencerStatus, type L1StakingEvent, type Params, type Sequencer } from '../proto/seqpool.js';
import type { State } from './state.js';
import { MAX_TOTAL_VOTING_POWER } from './validator-set.js';

const TOKEN = 10n ** 18n;
const DECIMAL = /^[0-9]{1,78}$/;
const NONE = new Uint8Array(0);

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

/** The compressed CometBFT key for a 64-byte L1 signer pubkey that must belong to `signer`. */
function signerKey(pubkey64: Uint8Array, signer: Uint8Array): { pubKey: Uint8Array } | { problem: string } {
  if (!equalBytes(keccak_256(pubkey64).subarray(12), signer)) return { problem: `signerPubkey does not belong to signer 0x${toHex(signer)}` };
  try {
    const point = secp256k1.Point.fromBytes(concatBytes(Uint8Array.of(4), pubkey64));
    return { pubKey: point.toBytes(true) };
  } catch {
    return { problem: 'signerPubkey is not a point on secp256k1' };
  }
}

/** Why `locked` (base units) earns no power under the app's bounds, or undefined. */
function stakeProblem(locked: string, params: Params): string | undefined {
  const t = BigInt(locked || '0');
  if (t < BigInt(params.minLock) || t > BigInt(params.maxLock)) return `locked total ${t} outside [${params.minLock}, ${params.maxLock}]`;
  if (t / TOKEN > MAX_TOTAL_VOTING_POWER) return `locked total ${t} exceeds CometBFT's maximum voting power`;
  return undefined;
}

/** Power and inactive reason of a record from its key, L1 status and stake: the one rule of decision 26. */
function withStanding(s: Sequencer, params: Params): Sequencer {
  if (s.pubKey.length === 0) return { ...s, power: 0n }; // keyless: `inactive` names the key problem
  if ((s.status ?? SequencerStatus.ACTIVE) !== SequencerStatus.ACTIVE) return { ...s, power: 0n, inactive: '' };
  const problem = stakeProblem(s.locked ?? '0', params);
  return { ...s, power: problem ? 0n : BigInt(s.locked!) / TOKEN, inactive: problem ?? '' };
}

export type Key = { pubKey: Uint8Array; address: Uint8Array; record?: Sequencer } | { problem: string };

/** The key a Locked or SignerChange names, with the record that key already has (its nonces), or why
 * the pool cannot seat it. A key another live sequencer holds is unusable (L1 refuses it, but a genesis
 * sequencer without a LockingPool id is unknown to L1). */
export function usableKey(state: State, pubkey64: Uint8Array, signer: Uint8Array, self?: Sequencer): Key {
  const key = signerKey(pubkey64, signer);
  if ('problem' in key) return key;
  const address = pubKeyToAddress(key.pubKey);
  const record = state.sequencer(address);
  const live = record && record.status !== SequencerStatus.EXITED && !(self && equalBytes(self.address, address));
  if (live) {
    const holder = (record.sequencerId ?? 0n) > 0n ? `sequencer ${record.sequencerId}` : `genesis sequencer ${toHex(address).toUpperCase()}`;
    return { problem: `signer 0x${toHex(signer)} is the key of ${holder}, which is still live` };
  }
  return { pubKey: key.pubKey, address, ...(record ? { record } : {}) };
}

/** A key record being reused under another id: if it still holds its own (exited) id, that id's record
 * becomes keyless, so its cursor outlives the key's new life. */
export function releaseExitedId(state: State, record: Sequencer): void {
  const id = record.sequencerId ?? 0n;
  if (id === 0n || !equalBytes(state.sequencerById(id)?.address ?? NONE, record.address)) return;
  state.setKeylessSequencer({ ...record, address: NONE, pubKey: NONE, power: 0n, nonce: 0n, sidecarNonce: 0n, peer: undefined });
}

/** The sequencer's libp2p binding is removed from the peer index (and the record). */
export function unbindPeer(state: State, s: Sequencer): Sequencer {
  if (s.peer && state.peerOwner(s.peer.peerId) === toHex(s.address)) state.deletePeer(s.peer.peerId);
  return { ...s, peer: undefined };
}

/** Write a record as its id's holder: a key record, or a keyless one. */
export function store(state: State, s: Sequencer, params: Params): void {
  const r = withStanding(s, params);
  if (r.pubKey.length === 0) state.setKeylessSequencer(r);
  else state.seatSequencer(r);
}

export type L1Outcome = { ok: true } | { ok: false; reason: string };

/**
 * Apply one attested event to state. Returns why it was rejected (state then untouched): only for
 * an event that is not our LockingPool's, is malformed, or does not carry the sequencer's next nonce.
 */
export function applyL1Event(state: State, ev: L1StakingEvent): L1Outcome {
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
  if (!current) {
    // Nonce 1 of an unknown id: only Locked starts a sequencer on L1.
    if (!ev.locked) return reject(`unknown sequencer ${ev.sequencerId}: its first event must be Locked`);
    lock(state, ev, params);
    return { ok: true };
  }
  if (ev.locked) return reject(`sequencer ${ev.sequencerId} already exists`); // unreachable: genesis ids have l1Nonce >= 1

  const next: Sequencer = { ...current, l1Nonce: ev.nonce, l1Block: ev.blockNumber };
  if (ev.relocked) store(state, { ...next, locked: ev.relocked.total }, params);
  else if (ev.slashed) store(state, { ...next, locked: ev.slashed.total }, params);
  else if (ev.unlockInit) store(state, { ...next, status: SequencerStatus.UNLOCKING, deactivationTime: ev.unlockInit.deactivationTime }, params);
  else if (ev.unlocked) store(state, unbindPeer(state, { ...next, status: SequencerStatus.EXITED, locked: '0' }), params);
  else changeSigner(state, next, ev.signerChange!, params);
  return { ok: true };
}

function lock(state: State, ev: L1StakingEvent, params: Params): void {
  const l = ev.locked!;
  const base: Sequencer = { address: NONE, pubKey: NONE, power: 0n, nonce: 0n, sequencerId: ev.sequencerId, l1Nonce: ev.nonce, l1Block: ev.blockNumber, locked: l.total, status: SequencerStatus.ACTIVE, signer: l.signer };
  const key = usableKey(state, l.signerPubkey, l.signer);
  if ('problem' in key) return store(state, { ...base, inactive: key.problem }, params);
  if (key.record) releaseExitedId(state, key.record);
  // A returning key keeps both lanes' tx nonces: its old txs stay replays (decision 31).
  store(state, { ...base, address: key.address, pubKey: key.pubKey, nonce: key.record?.nonce ?? 0n, sidecarNonce: key.record?.sidecarNonce ?? 0n }, params);
}

/**
 * The id moves to the new key's record, which keeps that key's own tx nonces (never the old key's).
 * The old key's record stays, retired (EXITED, no stake, no peer): its nonces must survive for the day
 * it comes back, and it may still hold a share of the pool key until the next reshare (decision 19).
 * The peer binding follows the sequencer to its new key; with an unusable new key it is removed.
 */
export function changeSigner(state: State, next: Sequencer, sc: NonNullable<L1StakingEvent['signerChange']>, params: Params): void {
  const key = usableKey(state, sc.signerPubkey, sc.newSigner, next);
  if (!('problem' in key) && equalBytes(key.address, next.address)) return store(state, { ...next, signer: sc.newSigner }, params);
  if (next.pubKey.length > 0) state.setSequencer({ ...next, status: SequencerStatus.EXITED, power: 0n, locked: '0', peer: undefined, inactive: '' });
  if ('problem' in key) {
    if (next.peer) unbindPeer(state, next);
    return store(state, { ...next, address: NONE, pubKey: NONE, signer: sc.newSigner, nonce: 0n, sidecarNonce: 0n, peer: undefined, inactive: key.problem }, params);
  }
  if (key.record) releaseExitedId(state, key.record);
  if (next.peer) state.setPeerOwner(next.peer.peerId, toHex(key.address));
  store(state, { ...next, address: key.address, pubKey: key.pubKey, signer: sc.newSigner, nonce: key.record?.nonce ?? 0n, sidecarNonce: key.record?.sidecarNonce ?? 0n }, params);
}
