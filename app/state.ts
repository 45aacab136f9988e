// Typed access to the state keys. Every record is a protobuf message from proto/seqpool.proto.
// Layout (printable ASCII keys, so string order is byte order and the Merkle tree is canonical):
//   chain                 ChainInfo
//   params                Params
//   seq/<address hex>     Sequencer of a live key (status ACTIVE or UNLOCKING)
//   exited/<address hex>  Sequencer of an EXITED key, kept for its tx nonces (decision 31); never
//                         listed by sequencers(), so keys that L1 retired cost the committee nothing
//   peer/<peer id>        address of the sequencer that bound it (uniqueness index)
//   valset/<height:020>   ValidatorSet in force from that height
//   obs/<digest hex>      AppliedObservation
//   l1                    L1Config (the LockingPool followed)
//   sid/<id:020>          address of the key record that holds that LockingPool id
//   keyless/<id:020>      Sequencer of a LockingPool id no key record holds (decision 26): its L1
//                         signer key is unusable, or it exited and its key locked again under a new id
//   (the pool's records: docs/pool.md "State keys") epoch/<id:020>, epochmeta, l2, sign/<id:020>,
//   signmeta, signpending/<id:020> (index of PENDING requests), signlast (newest signature), authnonce/<hex>,
//   batch/<index:020>, batchdata/<index:020> (its data, until KEEP_BATCH_DATA batches after it are final), batchmeta, worksince (block time the producer's current work appeared);
//   l1correction (L1CorrectionMeta: the last L1 state correction applied, decision 38);
//   mpc/* belongs to app/mpc-sessions.ts
import { fromHex, toHex } from '../common/bytes.js';
import {
  AppliedObservationCodec,
  BatchCodec,
  BatchMetaCodec,
  ChainInfoCodec,
  EpochCodec,
  EpochMetaCodec,
  L2ConfigCodec,
  SignMetaCodec,
  SignRequestCodec,
  type Batch,
  type BatchMeta,
  type Epoch,
  type EpochMeta,
  type L2Config,
  type SignMeta,
  type SignRequest,
  L1ConfigCodec,
  L1CorrectionMetaCodec,
  type L1CorrectionMeta,
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
  SequencerStatus,
} from '../proto/seqpool.js';
import type { StateStore } from './store.js';

export const Keys = {
  chain: 'chain',
  params: 'params',
  sequencer: (address: Uint8Array) => `seq/${toHex(address)}`,
  exitedSequencer: (address: Uint8Array) => `exited/${toHex(address)}`,
  peer: (peerId: string) => `peer/${peerId}`,
  valset: (fromHeight: bigint) => `valset/${fromHeight.toString().padStart(20, '0')}`,
  observation: (digest: Uint8Array) => `obs/${toHex(digest)}`,
  l1: 'l1',
  sequencerId: (id: bigint) => `sid/${pad(id)}`,
  keyless: (id: bigint) => `keyless/${pad(id)}`,
  epoch: (id: bigint) => `epoch/${pad(id)}`,
  epochMeta: 'epochmeta',
  l2: 'l2',
  signRequest: (id: bigint) => `sign/${pad(id)}`,
  signPending: (id: bigint) => `signpending/${pad(id)}`,
  signMeta: 'signmeta',
  signLast: 'signlast',
  authNonce: (verifier: Uint8Array) => `authnonce/${toHex(verifier)}`,
  batch: (index: bigint) => `batch/${pad(index)}`,
  batchMeta: 'batchmeta',
  batchData: (index: bigint) => `batchdata/${pad(index)}`,
  workSince: 'worksince',
  absentSince: 'absentsince',
  l1Correction: 'l1correction',
};

function pad(n: bigint): string {
  return n.toString().padStart(20, '0');
}
const text = (b: Uint8Array | undefined): string | undefined => b && new TextDecoder().decode(b);

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

  // Sequencer records are keyed by the key's CometBFT address and never deleted: the record carries
  // the key's tx nonces in both lanes, which must never go backwards whatever L1 does (decision 31).
  // A LockingPool id is held by one key record (sid/ points at it) or by a keyless record.
  sequencer(address: Uint8Array, view: View = 'working'): Sequencer | undefined {
    return this.read(Keys.sequencer(address), SequencerCodec, view) ?? this.read(Keys.exitedSequencer(address), SequencerCodec, view);
  }
  /** The state key a key record is stored under (for proofs), or undefined. */
  sequencerKey(address: Uint8Array, view: View = 'working'): string | undefined {
    for (const key of [Keys.sequencer(address), Keys.exitedSequencer(address)]) if (this.raw(key, view) !== undefined) return key;
    return undefined;
  }
  /** Write a key record (under seq/ or exited/ by its status). Its id is seated on it only when that
   * id has no holder yet (genesis, a new lock): a key that gave its id up (signer change, exit) keeps
   * the id number in its record, and writing that record again (a tx nonce, a jailing) must not take
   * the id back. */
  setSequencer(s: Sequencer): void {
    const exited = s.status === SequencerStatus.EXITED;
    this.write(exited ? Keys.exitedSequencer(s.address) : Keys.sequencer(s.address), SequencerCodec, s);
    const other = exited ? Keys.sequencer(s.address) : Keys.exitedSequencer(s.address);
    if (this.store.get(other) !== undefined) this.store.delete(other);
    const id = s.sequencerId ?? 0n;
    if (id > 0n && this.store.get(Keys.sequencerId(id)) === undefined && this.store.get(Keys.keyless(id)) === undefined) this.seat(id, s.address);
  }
  /** Write `s` as the holder of its LockingPool id (a lock or a signer change moved the id onto it). */
  seatSequencer(s: Sequencer): void {
    this.setSequencer(s);
    this.seat(s.sequencerId!, s.address);
  }
  /** Write the record of a LockingPool id that no key holds (address and pub_key empty). */
  setKeylessSequencer(s: Sequencer): void {
    this.write(Keys.keyless(s.sequencerId!), SequencerCodec, s);
    if (this.store.get(Keys.sequencerId(s.sequencerId!)) !== undefined) this.store.delete(Keys.sequencerId(s.sequencerId!));
  }
  private seat(id: bigint, address: Uint8Array): void {
    this.store.set(Keys.sequencerId(id), new TextEncoder().encode(toHex(address)));
    if (this.store.get(Keys.keyless(id)) !== undefined) this.store.delete(Keys.keyless(id));
  }
  /** The record of LockingPool id `id`: the key record holding it, or its keyless record. */
  sequencerById(id: bigint, view: View = 'working'): Sequencer | undefined {
    const key = this.sequencerKeyById(id, view);
    return key === undefined ? undefined : this.read(key, SequencerCodec, view);
  }
  /** The state key the record of LockingPool id `id` is stored under (for proofs), or undefined. */
  sequencerKeyById(id: bigint, view: View = 'working'): string | undefined {
    const seated = this.raw(Keys.sequencerId(id), view);
    if (seated) return this.sequencerKey(fromHex(new TextDecoder().decode(seated)), view);
    return this.raw(Keys.keyless(id), view) === undefined ? undefined : Keys.keyless(id);
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

  private raw(key: string, view: View): Uint8Array | undefined {
    return view === 'working' ? this.store.get(key) : this.store.getCommitted(key);
  }

  l2Config(view: View = 'working'): L2Config | undefined {
    return this.read(Keys.l2, L2ConfigCodec, view);
  }
  setL2Config(c: L2Config): void {
    this.write(Keys.l2, L2ConfigCodec, c);
  }

  epoch(id: bigint, view: View = 'working'): Epoch | undefined {
    return this.read(Keys.epoch(id), EpochCodec, view);
  }
  setEpoch(e: Epoch): void {
    this.write(Keys.epoch(e.id), EpochCodec, e);
  }
  epochMeta(view: View = 'working'): EpochMeta {
    return this.read(Keys.epochMeta, EpochMetaCodec, view) ?? { current: 0n, latest: 0n, l2Head: 0n, l2HeadTime: 0n };
  }
  setEpochMeta(m: EpochMeta): void {
    this.write(Keys.epochMeta, EpochMetaCodec, m);
  }
  hasEpochs(view: View = 'working'): boolean {
    return this.raw(Keys.epochMeta, view) !== undefined;
  }

  signRequest(id: bigint, view: View = 'working'): SignRequest | undefined {
    return this.read(Keys.signRequest(id), SignRequestCodec, view);
  }
  setSignRequest(r: SignRequest): void {
    this.write(Keys.signRequest(r.id), SignRequestCodec, r);
    if (r.status === 0) this.store.set(Keys.signPending(r.id), new Uint8Array([1]));
    else if (this.store.get(Keys.signPending(r.id))) this.store.delete(Keys.signPending(r.id));
  }
  /** Ids of PENDING requests, ascending. */
  pendingSignIds(view: View = 'working'): bigint[] {
    const keys = view === 'working' ? this.store.keys('signpending/') : this.store.committedKeys('signpending/');
    return keys.map((k) => BigInt(k.slice('signpending/'.length)));
  }
  signMeta(view: View = 'working'): SignMeta {
    return this.read(Keys.signMeta, SignMetaCodec, view) ?? { nextId: 1n };
  }
  setSignMeta(m: SignMeta): void {
    this.write(Keys.signMeta, SignMetaCodec, m);
  }
  /** The newest threshold signature the app accepted (an election seed input), or undefined. */
  lastSignature(view: View = 'working'): Uint8Array | undefined {
    return this.raw(Keys.signLast, view);
  }
  setLastSignature(sig: Uint8Array): void {
    this.store.set(Keys.signLast, sig);
  }
  /** Next authNonce the app will put in a payload for `verifier` (FrostAuthorized.authNonce). */
  authNonce(verifier: Uint8Array, view: View = 'working'): bigint {
    return BigInt(text(this.raw(Keys.authNonce(verifier), view)) ?? '0');
  }
  setAuthNonce(verifier: Uint8Array, next: bigint): void {
    this.store.set(Keys.authNonce(verifier), new TextEncoder().encode(next.toString()));
  }

  batch(index: bigint, view: View = 'working'): Batch | undefined {
    return this.read(Keys.batch(index), BatchCodec, view);
  }
  setBatch(b: Batch): void {
    this.write(Keys.batch(b.index), BatchCodec, b);
  }
  /** The data of batch `index` (protocol/batch-data.ts), while the pool keeps it (app/batches.ts). */
  batchData(index: bigint, view: View = 'working'): Uint8Array | undefined {
    return this.raw(Keys.batchData(index), view);
  }
  setBatchData(index: bigint, data: Uint8Array | undefined): void {
    if (data) this.store.set(Keys.batchData(index), data);
    else if (this.store.get(Keys.batchData(index)) !== undefined) this.store.delete(Keys.batchData(index));
  }
  batchMeta(view: View = 'working'): BatchMeta {
    return this.read(Keys.batchMeta, BatchMetaCodec, view) ?? { nextIndex: 0n, lastHash: new Uint8Array(32), nextL2Start: 1n, finalized: 0n, lastProgressTime: 0n };
  }
  setBatchMeta(m: BatchMeta): void {
    this.write(Keys.batchMeta, BatchMetaCodec, m);
  }
  l1CorrectionMeta(view: View = 'working'): L1CorrectionMeta {
    return this.read(Keys.l1Correction, L1CorrectionMetaCodec, view) ?? { lastBlock: 0n, applied: 0n };
  }
  setL1CorrectionMeta(m: L1CorrectionMeta): void {
    this.write(Keys.l1Correction, L1CorrectionMetaCodec, m);
  }
  /** Stop holding LockingPool id `id` (L1 no longer has it, decision 38): no key record nor keyless
   * record answers for it any more, so a later Locked of that id starts it afresh. */
  unseatSequencerId(id: bigint): void {
    for (const key of [Keys.sequencerId(id), Keys.keyless(id)]) if (this.store.get(key) !== undefined) this.store.delete(key);
  }
  /** The highest LockingPool id the pool holds a record for (0: none). Scans the id index. */
  maxSequencerId(view: View = 'working'): bigint {
    let max = 0n;
    for (const prefix of ['sid/', 'keyless/']) {
      const keys = view === 'working' ? this.store.keys(prefix) : this.store.committedKeys(prefix);
      for (const k of keys) {
        const id = BigInt(k.slice(prefix.length));
        if (id > max) max = id;
      }
    }
    return max;
  }
  /** Block time at which the stalled-producer clock started (undefined: the producer has no work). */
  workSince(view: View = 'working'): bigint | undefined {
    const t = text(this.raw(Keys.workSince, view));
    return t === undefined ? undefined : BigInt(t);
  }
  setWorkSince(t: bigint | undefined): void {
    this.setTime(Keys.workSince, t);
  }
  /** Block time since which the owing producer's validator has not voted (undefined: it votes). */
  absentSince(view: View = 'working'): bigint | undefined {
    const t = text(this.raw(Keys.absentSince, view));
    return t === undefined ? undefined : BigInt(t);
  }
  setAbsentSince(t: bigint | undefined): void {
    this.setTime(Keys.absentSince, t);
  }
  private setTime(key: string, t: bigint | undefined): void {
    if (t === undefined) {
      if (this.store.get(key)) this.store.delete(key);
    } else this.store.set(key, new TextEncoder().encode(t.toString()));
  }
}
