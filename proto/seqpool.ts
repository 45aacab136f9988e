// Typed codecs for proto/seqpool.proto through protobufjs reflection. 64-bit integers are bigint in
// TypeScript (decision 10) and Long inside protobufjs; the conversion happens here and nowhere else.
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';

const root = protobuf.loadSync(fileURLToPath(new URL('./seqpool.proto', import.meta.url)));

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function fromWire(type: protobuf.Type, msg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const v = msg[field.name];
    const conv = (x: unknown): unknown => {
      if (LONG_TYPES.has(field.type)) return BigInt(String(x));
      if (field.resolvedType instanceof protobuf.Type) return fromWire(field.resolvedType, x as Record<string, unknown>);
      return x;
    };
    if (field.repeated) out[field.name] = ((v as unknown[] | undefined) ?? []).map(conv);
    else if (v === undefined || v === null) {
      if (field.partOf) continue; // unset oneof member stays absent
      if (field.resolvedType instanceof protobuf.Type) continue; // unset sub-message stays absent
      out[field.name] = LONG_TYPES.has(field.type) ? 0n : field.type === 'bytes' ? new Uint8Array(0) : field.typeDefault;
    } else out[field.name] = conv(v);
  }
  return out;
}

function toWire(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const v = obj[field.name];
    if (v === undefined) continue;
    const conv = (x: unknown): unknown => {
      if (typeof x === 'bigint') return x.toString();
      if (field.resolvedType instanceof protobuf.Type) return toWire(field.resolvedType, x as Record<string, unknown>);
      return x;
    };
    out[field.name] = field.repeated ? (v as unknown[]).map(conv) : conv(v);
  }
  return out;
}

export interface Codec<T> {
  encode(value: T): Uint8Array;
  /** Throws on bytes that are not a valid encoding of the message. */
  decode(bytes: Uint8Array): T;
}

function codec<T>(name: string): Codec<T> {
  const type = root.lookupType(`seqpool.v1.${name}`);
  return {
    encode: (value) => type.encode(type.fromObject(toWire(type, value as Record<string, unknown>))).finish(),
    decode: (bytes) => {
      const msg = type.decode(bytes);
      const plain = type.toObject(msg, { longs: String, bytes: Uint8Array as unknown as typeof Array, arrays: true, oneofs: false });
      return fromWire(type, plain) as T;
    },
  };
}

// ---------- types mirroring proto/seqpool.proto (field names in camelCase, as protobufjs uses) ----------

export interface Tx { body: Uint8Array; signature: Uint8Array }
/** `peerProof`: the peer key's signature binding the peer id to the tx signer (protocol/peer-proof.ts). */
export interface BindPeer { peerId: string; addrs: string[]; peerProof: Uint8Array }
export interface MpcPublic { session: Uint8Array; envelope: Uint8Array }
export interface RequestBatchSignature {
  batchIndex: bigint;
  prevBatchHash: Uint8Array;
  l2Start: bigint;
  l2End: bigint;
  dataHash: Uint8Array;
  /** protocol/batch-data.ts: version byte || brotli(body). */
  data: Uint8Array;
  /** Forced-inclusion entries consumed up to and by this batch (decision 46; decoded: 0 when unset). */
  forcedCursor?: bigint;
  /** The queue's hash chain after entry forcedCursor - 1 (32 bytes; zero when forcedCursor is 0; decoded: empty when unset). */
  forcedChainHash?: Uint8Array;
}
export interface SubmitSignature { requestId: bigint; signature: Uint8Array }
export interface ReportSigningCheater { requestId: bigint; signer: number; attempt: number; package: Uint8Array; commitment: Uint8Array; share: Uint8Array }
export interface TxBody {
  chainId: string;
  signer: Uint8Array;
  nonce: bigint;
  /** 0 = node, 1 = sidecar (separate nonce sequences). */
  lane?: number;
  bindPeer?: BindPeer;
  mpcPublic?: MpcPublic;
  requestBatch?: RequestBatchSignature;
  submitSignature?: SubmitSignature;
  reportCheater?: ReportSigningCheater;
}
export interface SyntheticObservation { topic: string; payload: Uint8Array }
export interface L1Locked { signer: Uint8Array; amount: string; total: string; signerPubkey: Uint8Array }
export interface L1Relocked { amount: string; total: string }
export interface L1UnlockInit { signer: Uint8Array; deactivationTime: bigint; amount: string }
export interface L1Unlocked { signer: Uint8Array; amount: string }
export interface L1SignerChange { oldSigner: Uint8Array; newSigner: Uint8Array; signerPubkey: Uint8Array }
export interface L1Slashed { amount: string; total: string }
export interface L1StakingEvent {
  chainId: bigint;
  contract: Uint8Array;
  blockHash: Uint8Array;
  blockNumber: bigint;
  logIndex: number;
  txHash: Uint8Array;
  sequencerId: bigint;
  nonce: bigint;
  locked?: L1Locked;
  relocked?: L1Relocked;
  unlockInit?: L1UnlockInit;
  unlocked?: L1Unlocked;
  signerChange?: L1SignerChange;
  slashed?: L1Slashed;
}
export interface L1BatchAppended {
  chainId: bigint;
  contract: Uint8Array;
  blockHash: Uint8Array;
  blockNumber: bigint;
  logIndex: number;
  txHash: Uint8Array;
  batchIndex: bigint;
  batchHash: Uint8Array;
  l2Start: bigint;
  l2End: bigint;
  dataHash: Uint8Array;
  producer: Uint8Array;
}
export interface L1SequencerState { id: bigint; status: number; signer: Uint8Array; signerPubkey: Uint8Array; amount: string; deactivationTime: bigint; nonce: bigint }
export interface L1StateCorrection {
  chainId: bigint;
  lockingPool: Uint8Array;
  batchInbox: Uint8Array;
  blockNumber: bigint;
  blockHash: Uint8Array;
  sequencers: L1SequencerState[];
  nextBatchIndex: bigint;
}
export interface L1CorrectionMeta { lastBlock: bigint; applied: bigint }
export interface Observation { synthetic?: SyntheticObservation; l1Staking?: L1StakingEvent; batchAppended?: L1BatchAppended; l1Correction?: L1StateCorrection }
export interface VoteExtension { observations: Observation[]; l2Head?: bigint }
export interface InjectedVoteExtensions { extendedCommitInfo: Uint8Array }
export interface PeerBinding { peerId: string; addrs: string[]; height: bigint }
export const SequencerStatus = { ACTIVE: 0, UNLOCKING: 1, EXITED: 2 } as const;
export type SequencerStatus = (typeof SequencerStatus)[keyof typeof SequencerStatus];
export interface Sequencer {
  address: Uint8Array;
  pubKey: Uint8Array;
  power: bigint;
  nonce: bigint;
  peer?: PeerBinding;
  sequencerId?: bigint;
  l1Nonce?: bigint;
  locked?: string;
  status?: SequencerStatus;
  signer?: Uint8Array;
  deactivationTime?: bigint;
  sidecarNonce?: bigint;
  misses?: number;
  jailed?: boolean;
  jailReason?: string;
  /** Why an ACTIVE sequencer holds no power (unusable key: address and pubKey empty; stake out of bounds). */
  inactive?: string;
  /** L1 block of the last event or correction applied to this id. */
  l1Block?: bigint;
}
export interface L1Config { chainId: bigint; lockingPool: Uint8Array; batchInbox?: Uint8Array }
export interface L2Config { chainId: bigint; sequencerSet: Uint8Array }
export interface Params {
  minLock: string;
  maxLock: string;
  exitDelaySeconds: bigint;
  rewardPerL2BlockGwei: string;
  l1Confirmations: number;
  epochLength: bigint;
  respanTimeoutSeconds: bigint;
  signingTimeoutSeconds: bigint;
  maxVoteExtensionBytes: number;
  maxObservationsPerExtension: number;
  maxTxBytes: number;
  mpcPhaseBlocks: number;
  refreshEveryEpochs: number;
  maxMisses: number;
  slashAmount: string;
  maxBatchBlocks: bigint;
  electionLeadBlocks: bigint;
  l2StallSeconds: bigint;
  /** Largest batch data (compressed), bytes. */
  maxBatchBytes: number;
  /** A batch closes once its oldest L2 block is this old (seconds). */
  batchMaxAgeSeconds: bigint;
  /** A sidecar refuses a batch leaving out a forced entry this many seconds older than its last block. */
  forcedDueSeconds: bigint;
}
export interface ChainInfo { chainId: string; voteExtensionsEnableHeight: bigint; initialHeight: bigint; /** 0 on a database written before app version 2. */ appVersion: bigint }
export interface ValidatorEntry { address: Uint8Array; pubKey: Uint8Array; power: bigint }
export interface ValidatorSet { fromHeight: bigint; validators: ValidatorEntry[] }
export interface AppliedObservation { digest: Uint8Array; observation: Observation; height: bigint; power: bigint; totalPower: bigint; rejected?: string }

export const EpochStatus = { ELECTED: 0, COMMITTED: 1 } as const;
export type EpochStatus = (typeof EpochStatus)[keyof typeof EpochStatus];
export interface Epoch {
  id: bigint;
  startL2: bigint;
  endL2: bigint;
  producer: Uint8Array;
  signer: Uint8Array;
  seed: Uint8Array;
  electedHeight: bigint;
  signRequest: bigint;
  status: EpochStatus;
  respanOf: bigint;
  isRespan: boolean;
  /** First L2 block its producer builds (SequencerSet's startBlock); 0 on records of app version < 2 = startL2. */
  buildStart: bigint;
}
export interface EpochMeta { current: bigint; latest: bigint; l2Head: bigint; l2HeadTime: bigint; producerSince?: bigint }
export interface MpcMember { index: number; address: Uint8Array; identity: Uint8Array }
export const MpcKind = { DKG: 0, RESHARE: 1, REFRESH: 2 } as const;
export type MpcKind = (typeof MpcKind)[keyof typeof MpcKind];
export const MpcSessionStatus = { OPEN: 0, DONE: 1, FAILED: 2 } as const;
export type MpcSessionStatus = (typeof MpcSessionStatus)[keyof typeof MpcSessionStatus];
export interface MpcFault { address: Uint8Array; index: number; reason: string }
export interface MpcSession {
  id: Uint8Array;
  kind: MpcKind;
  attempt: number;
  keyEpoch: number;
  threshold: number;
  dealers: MpcMember[];
  receivers: MpcMember[];
  openedHeight: bigint;
  dealDeadline: bigint;
  complaintDeadline: bigint;
  finalHeight: bigint;
  status: MpcSessionStatus;
  transcript: Uint8Array[];
  ready: number[];
  faults: MpcFault[];
  failure: string;
  closedHeight: bigint;
  forEpoch: bigint;
  transcriptBytes: number;
  transcriptDigest: Uint8Array;
}
export interface MpcKey {
  keyId: string;
  groupKey: Uint8Array;
  threshold: number;
  keyEpoch: number;
  members: MpcMember[];
  commitments: Uint8Array[];
  verifyingShares: Uint8Array[];
  session: Uint8Array;
  height: bigint;
}
export const SignStatus = { PENDING: 0, SIGNED: 1, EXPIRED: 2 } as const;
export type SignStatus = (typeof SignStatus)[keyof typeof SignStatus];
export interface SignRequest {
  id: bigint;
  purpose: string;
  chainId: bigint;
  verifier: Uint8Array;
  payload: Uint8Array;
  digest: Uint8Array;
  status: SignStatus;
  signature: Uint8Array;
  createdHeight: bigint;
  createdTime: bigint;
  deadlineTime: bigint;
  batchIndex: bigint;
  epochId: bigint;
  signedHeight: bigint;
  requester: Uint8Array;
}
export const BatchStatus = { SIGNING: 0, SIGNED: 1, FINALIZED: 2, EXPIRED: 3 } as const;
export type BatchStatus = (typeof BatchStatus)[keyof typeof BatchStatus];
export interface Batch {
  index: bigint;
  prevHash: Uint8Array;
  l2Start: bigint;
  l2End: bigint;
  dataHash: Uint8Array;
  producer: Uint8Array;
  hash: Uint8Array;
  status: BatchStatus;
  signRequest: bigint;
  requestedHeight: bigint;
  finalizedHeight: bigint;
  l1TxHash: Uint8Array;
  epochId: bigint;
  /** L1 block of the BatchAppended that finalized it (0: not final). */
  l1Block?: bigint;
  /** The distributeRewards request created for it (0: none yet): a batch is rewarded once. */
  rewardRequest?: bigint;
  /** Forced-inclusion cursor after this batch and its chain hash (decision 46). */
  forcedCursor?: bigint;
  forcedChainHash?: Uint8Array;
}
export interface BatchMeta {
  nextIndex: bigint;
  lastHash: Uint8Array;
  nextL2Start: bigint;
  finalized: bigint;
  lastProgressTime: bigint;
  /** Forced cursor and chain hash of the last requested (not expired) batch (decision 46). */
  forcedCursor?: bigint;
  forcedChainHash?: Uint8Array;
}
export interface SignMeta { nextId: bigint }

export const TxCodec = codec<Tx>('Tx');
export const TxBodyCodec = codec<TxBody>('TxBody');
export const ObservationCodec = codec<Observation>('Observation');
export const VoteExtensionCodec = codec<VoteExtension>('VoteExtension');
export const InjectedVoteExtensionsCodec = codec<InjectedVoteExtensions>('InjectedVoteExtensions');
export const SequencerCodec = codec<Sequencer>('Sequencer');
export const ParamsCodec = codec<Params>('Params');
export const ChainInfoCodec = codec<ChainInfo>('ChainInfo');
export const ValidatorSetCodec = codec<ValidatorSet>('ValidatorSet');
export const AppliedObservationCodec = codec<AppliedObservation>('AppliedObservation');
export const L1ConfigCodec = codec<L1Config>('L1Config');
export const L2ConfigCodec = codec<L2Config>('L2Config');
export const EpochCodec = codec<Epoch>('Epoch');
export const EpochMetaCodec = codec<EpochMeta>('EpochMeta');
export const MpcSessionCodec = codec<MpcSession>('MpcSession');
export const MpcKeyCodec = codec<MpcKey>('MpcKey');
export const SignRequestCodec = codec<SignRequest>('SignRequest');
export const BatchCodec = codec<Batch>('Batch');
export const BatchMetaCodec = codec<BatchMeta>('BatchMeta');
export const SignMetaCodec = codec<SignMeta>('SignMeta');
export const L1CorrectionMetaCodec = codec<L1CorrectionMeta>('L1CorrectionMeta');
