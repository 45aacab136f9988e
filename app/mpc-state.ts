// The `mpc/...` state keys (docs/pool.md "State keys") and the conversions between the stored
// records (proto/seqpool.proto MpcKey, MpcSession, MpcMember) and the MPC library's shapes
// (mpc/keys/types.ts Member, PublicKeyPackage). app/state.ts is owned elsewhere; these accessors
// go through `state.store` directly.
import { compareBytes, toHex } from '../common/bytes.js';
import type { Member, PublicKeyPackage } from '../mpc/keys/types.js';
import { MpcKeyCodec, MpcSessionCodec, SequencerStatus, type MpcKey, type MpcMember, type MpcSession, type Sequencer } from '../proto/seqpool.js';
import type { State, View } from './state.js';

const MpcKeys = {
  key: 'mpc/key',
  session: (id: Uint8Array) => `mpc/session/${toHex(id)}`,
  sessionPrefix: 'mpc/session/',
  open: 'mpc/open',
};

/** The key id of the pool's group key (the genesis DKG's `keyId`). */
export const POOL_KEY_ID = 'seqpool';


const raw = (state: State, key: string, view: View) => (view === 'working' ? state.store.get(key) : state.store.getCommitted(key));

export function readKey(state: State, view: View): MpcKey | undefined {
  const b = raw(state, MpcKeys.key, view);
  return b === undefined ? undefined : MpcKeyCodec.decode(b);
}

export function writeKey(state: State, key: MpcKey): void {
  state.store.set(MpcKeys.key, MpcKeyCodec.encode(key));
}

export function readSession(state: State, id: Uint8Array | string, view: View): MpcSession | undefined {
  const b = raw(state, typeof id === 'string' ? `${MpcKeys.sessionPrefix}${id}` : MpcKeys.session(id), view);
  return b === undefined ? undefined : MpcSessionCodec.decode(b);
}

export function writeSession(state: State, s: MpcSession): void {
  state.store.set(MpcKeys.session(s.id), MpcSessionCodec.encode(s));
}

function openSessionId(state: State, view: View): string | undefined {
  const b = raw(state, MpcKeys.open, view);
  return b === undefined ? undefined : new TextDecoder().decode(b);
}

export function setOpenSession(state: State, id: Uint8Array | undefined): void {
  if (id) state.store.set(MpcKeys.open, new TextEncoder().encode(toHex(id)));
  else state.store.delete(MpcKeys.open);
}

export function readOpenSession(state: State, view: View): MpcSession | undefined {
  const id = openSessionId(state, view);
  return id === undefined ? undefined : readSession(state, id, view);
}

/** Every stored session id (hex), in key order. */
export function sessionIds(state: State, view: View): string[] {
  const keys = view === 'working' ? state.store.keys(MpcKeys.sessionPrefix) : state.store.committedKeys(MpcKeys.sessionPrefix);
  return keys.map((k) => k.slice(MpcKeys.sessionPrefix.length));
}

/** The committee: active, unjailed sequencers with power > 0, sorted by address. */
export function committeeOf(sequencers: readonly Sequencer[]): Sequencer[] {
  return sequencers
    .filter((s) => (s.status ?? SequencerStatus.ACTIVE) === SequencerStatus.ACTIVE && !s.jailed && s.power > 0n && s.pubKey.length === 33)
    .sort((a, b) => compareBytes(a.address, b.address));
}

/** Members with indices 1..n in address order. */
export function indexByAddress(parties: readonly { address: Uint8Array; identity: Uint8Array }[]): MpcMember[] {
  return [...parties].sort((a, b) => compareBytes(a.address, b.address)).map((p, i) => ({ index: i + 1, address: p.address, identity: p.identity }));
}

export const toMember = (m: MpcMember): Member => ({ index: m.index, identity: m.identity });

/** The library's view of the stored sharing. */
export function packageOf(key: MpcKey): PublicKeyPackage {
  const verifyingShares: Record<number, Uint8Array> = {};
  key.members.forEach((m, i) => (verifyingShares[m.index] = key.verifyingShares[i]!));
  return {
    keyId: key.keyId,
    epoch: key.keyEpoch,
    threshold: key.threshold,
    members: key.members.map(toMember),
    groupKey: key.groupKey,
    commitments: key.commitments,
    verifyingShares,
  };
}

export function sameAddresses(a: readonly { address: Uint8Array }[], b: readonly { address: Uint8Array }[]): boolean {
  if (a.length !== b.length) return false;
  const x = a.map((m) => toHex(m.address)).sort();
  const y = b.map((m) => toHex(m.address)).sort();
  return x.every((v, i) => v === y[i]);
}
