// Typed access to the state keys. Every record is a protobuf message from proto/seqpool.proto.
// Layout (printable ASCII keys, so string order is byte order and the Merkle tree is canonical):
//   chain                 ChainInfo
//   params                Params
//   seq/<address hex>     Sequencer
//   peer/<peer id>        address of the sequencer that bound it (uniqueness index)
//   valset/<height:020>   ValidatorSet in force from that height
//   obs/<digest hex>      AppliedObservation
//   l1                    L1Config (the LockingPool followed)
//   sid/<id:020>          address of the sequencer with that LockingPool id
import { fromHex, toHex } from '../common/bytes.js';
import {
  AppliedObservationCodec,
  ChainInfoCodec,
  L1ConfigCodec,
  ParamsCodec,
  SequencerCodec,
  ValidatorSetCodec,
  type AppliedObservation,
  type ChainInfo,
  type L1Config,
  type Codec,
  type Params,
  type Sequencer,
  type ValidatorSet,
} from '../proto/seqpool.js';
import type { StateStore } from './store.js';

export const Keys = {
  chain: 'chain',
  params: 'params',
  sequencer: (address: Uint8Array) => `seq/${toHex(address)}`,
  peer: (peerId: string) => `peer/${peerId}`,
  valset: (fromHeight: bigint) => `valset/${fromHeight.toString().padStart(20, '0')}`,
  observation: (digest: Uint8Array) => `obs/${toHex(digest)}`,
  l1: 'l1',
  sequencerId: (id: bigint) => `sid/${id.toString().padStart(20, '0')}`,
};

/** Which view a reader sees: the block being built, or the last committed state. */
export type View = 'working' | 'committed';

export class State {
  constructor(readonly store: StateStore) {}

  private read<T>(key: string, codec: Codec<T>, view: View): T | undefined {
    const raw = view === 'working' ? this.store.get(key) : this.store.getCommitted(key);
    return raw === undefined ? undefined : codec.decode(raw);
  }

  private write<T>(key: string, codec: Codec<T>, value: T): void {
    this.store.set(key, codec.encode(value));
  }

  chain(view: View = 'working'): ChainInfo | undefined {
    return this.read(Keys.chain, ChainInfoCodec, view);
  }
  setChain(c: ChainInfo): void {
    this.write(Keys.chain, ChainInfoCodec, c);
  }

  params(view: View = 'working'): Params {
    const p = this.read(Keys.params, ParamsCodec, view);
    if (!p) throw new Error('state has no params: InitChain has not run');
    return p;
  }
  setParams(p: Params): void {
    this.write(Keys.params, ParamsCodec, p);
  }

  sequencer(address: Uint8Array, view: View = 'working'): Sequencer | undefined {
    return this.read(Keys.sequencer(address), SequencerCodec, view);
  }
  setSequencer(s: Sequencer): void {
    this.write(Keys.sequencer(s.address), SequencerCodec, s);
    if (s.sequencerId) this.store.set(Keys.sequencerId(s.sequencerId), new TextEncoder().encode(toHex(s.address)));
  }
  deleteSequencer(address: Uint8Array): void {
    this.store.delete(Keys.sequencer(address));
  }
  sequencerById(id: bigint, view: View = 'working'): Sequencer | undefined {
    const raw = view === 'working' ? this.store.get(Keys.sequencerId(id)) : this.store.getCommitted(Keys.sequencerId(id));
    return raw && this.sequencer(fromHex(new TextDecoder().decode(raw)), view);
  }

  l1Config(view: View = 'working'): L1Config | undefined {
    return this.read(Keys.l1, L1ConfigCodec, view);
  }
  setL1Config(c: L1Config): void {
    this.write(Keys.l1, L1ConfigCodec, c);
  }
  sequencers(view: View = 'working'): Sequencer[] {
    const keys = view === 'working' ? this.store.keys('seq/') : this.store.committedKeys('seq/');
    return keys.map((k) => this.sequencer(fromHex(k.slice(4)), view)!);
  }

  peerOwner(peerId: string, view: View = 'working'): string | undefined {
    const raw = view === 'working' ? this.store.get(Keys.peer(peerId)) : this.store.getCommitted(Keys.peer(peerId));
    return raw && new TextDecoder().decode(raw);
  }
  setPeerOwner(peerId: string, addressHex: string): void {
    this.store.set(Keys.peer(peerId), new TextEncoder().encode(addressHex));
  }
  deletePeer(peerId: string): void {
    this.store.delete(Keys.peer(peerId));
  }

  /** The validator set that signs blocks at `height`. */
  validatorSetAt(height: bigint, view: View = 'working'): ValidatorSet {
    const keys = view === 'working' ? this.store.keys('valset/') : this.store.committedKeys('valset/');
    let found: string | undefined;
    for (const k of keys) if (BigInt(k.slice(7)) <= height) found = k;
    const key = found ?? keys[0];
    if (!key) throw new Error('state has no validator set: InitChain has not run');
    return this.read(key, ValidatorSetCodec, view)!;
  }
  /** Record a set taking effect at `set.fromHeight`, and forget sets nobody can ask for again. */
  addValidatorSet(set: ValidatorSet, oldestNeeded: bigint): void {
    this.write(Keys.valset(set.fromHeight), ValidatorSetCodec, set);
    const keys = this.store.keys('valset/');
    const inForce = keys.filter((k) => BigInt(k.slice(7)) <= oldestNeeded);
    for (const k of inForce.slice(0, -1)) this.store.delete(k);
  }
  /** The newest set known (the one the latest updates produce). */
  latestValidatorSet(view: View = 'working'): ValidatorSet {
    const keys = view === 'working' ? this.store.keys('valset/') : this.store.committedKeys('valset/');
    return this.read(keys[keys.length - 1]!, ValidatorSetCodec, view)!;
  }

  observation(digest: Uint8Array, view: View = 'working'): AppliedObservation | undefined {
    return this.read(Keys.observation(digest), AppliedObservationCodec, view);
  }
  setObservation(o: AppliedObservation): void {
    this.write(Keys.observation(o.digest), AppliedObservationCodec, o);
  }
}
