// The one reading of the pool's query answers (docs/pool.md "Query paths", docs/queries.md): the app's
// JSON into the typed views of client/pool-types.ts. Both clients use it, and so do the bridge
// (bridge/pool-view.ts) and the MPC sidecar (sidecar/chain-view.ts), which only re-shape the views.
// Every answer is declared once below with the field kinds of client/pool-shape.ts, which give both
// the parser and the JSON Schema of the gateway's OpenAPI document (node/openapi.ts).
// Integers arrive as decimal strings (or safe numbers) and become bigints; bytes stay hex strings as the
// app writes them. A parser throws PoolParseError naming the field when an answer does not have the
// documented shape, so a version mismatch is reported, not guessed past.
// Lenient where one of the readers this replaced was, and only there: a number whose 0 means "none /
// not yet" may be left out, as proto3 JSON leaves out zero values (u64Or0, countOr0), and an enum
// value may also be spelled as in the .proto (SIGN_STATUS_SIGNED, any case) or be its number.
// Type imports only besides pool-shape.ts: this file must load anywhere (jest, browsers, L2 nodes).
import type {
  BatchMetaView,
  BatchStatus,
  BatchView,
  BlockTimesView,
  CurrentEpoch,
  Epoch,
  EpochStatus,
  HealthView,
  MissedVotesView,
  MpcKeyView,
  MpcSessionSummary,
  MpcSessionView,
  NodeStatusView,
  ObservationView,
  ProducerAnswer,
  RecentBatches,
  RecentEpochs,
  RecentSignRequests,
  SignRequestView,
  SignStatus,
  StatusView,
  ValidatorView,
} from './pool-types.js';
import {
  arrayOf,
  count,
  countOr0,
  enumOrString,
  extend,
  flag,
  flagOrFalse,
  hexList,
  hexListOrEmpty,
  indexListOrEmpty,
  listOf,
  listOfOrEmpty,
  nested,
  note,
  nullable,
  object,
  oneOf,
  optional,
  scalarMap,
  stringList,
  text,
  textOrEmpty,
  textOrNull,
  u64,
  u64Opt,
  u64Or0,
  type Answer,
  type EnumSpec,
} from '../protocol/views/shape.js';

export { DECIMAL, fieldError, PoolParseError, readInt, readString, type Answer } from '../protocol/views/shape.js';

// What the app writes, for the schema's documentation (the parsers take any string).
const ADDRESS = /^[0-9A-F]{40}$/; // a CometBFT address: upper-case hex, no 0x
const ETH_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HEX = /^[0-9a-f]*$/;
const HEX0X = /^0x[0-9a-f]*$/;

// ---- enums --------------------------------------------------------------------------------------

const EPOCH_STATUS: EnumSpec<EpochStatus> = { names: ['elected', 'committed'], protoPrefix: 'epoch_status_' };
const SIGN_STATUS: EnumSpec<SignStatus> = { names: ['pending', 'signed', 'expired'], protoPrefix: 'sign_status_' };
const BATCH_STATUS: EnumSpec<BatchStatus> = { names: ['signing', 'signed', 'finalized', 'expired'], protoPrefix: 'batch_status_' };
const MPC_KIND: EnumSpec<string> = { names: ['dkg', 'reshare', 'refresh'], protoPrefix: 'mpc_kind_' };
const MPC_SESSION_STATUS: EnumSpec<string> = { names: ['open', 'done', 'failed'], protoPrefix: 'mpc_session_' };

// ---- answers ------------------------------------------------------------------------------------

export const STATUS = object(
  'status',
  { chainId: text(), height: u64, appHash: text(/^[0-9A-F]*$/), validators: count, totalPower: u64, voteExtensionsEnableHeight: u64 },
  { name: 'Status' },
);

export const PARAMS = scalarMap('params', { name: 'Params' });

const PEER = object('validator peer', { peerId: text(), addrs: stringList, height: u64Or0 }, { name: 'PeerBinding' });

/** A sequencer record; a key rotated out of the set has only address, pubKey and power. */
export const VALIDATOR = object(
  'validator',
  {
    address: text(), // '' for a keyless sequencer (/sequencers/{id})
    pubKey: text(HEX),
    power: u64Or0,
    nonce: u64Opt,
    peer: optional(nullable(nested(PEER))),
    sequencerId: u64Opt,
    status: optional(text(undefined, 'active | unlocking | exited')),
    signer: optional(textOrNull(ETH_ADDRESS)),
    locked: u64Opt,
    l1Nonce: u64Opt,
    l1Block: u64Opt,
    deactivationTime: u64Opt,
    sidecarNonce: u64Opt,
    misses: u64Opt,
    jailed: optional(flag),
    jailReason: optional(textOrNull()),
    inactive: optional(textOrNull()),
  },
  { name: 'Validator' },
);
export const VALIDATORS = arrayOf('validators', VALIDATOR);

export const EPOCH = object(
  'epoch',
  {
    id: u64,
    startL2: u64,
    endL2: u64,
    producer: text(ADDRESS),
    signer: text(ETH_ADDRESS),
    seed: text(HEX),
    electedHeight: u64,
    signRequest: u64Or0,
    status: oneOf(EPOCH_STATUS),
    isRespan: flagOrFalse,
    respanOf: u64Or0,
  },
  { name: 'Epoch' },
);
export const CURRENT_EPOCH = extend(EPOCH, 'current epoch', { l2Head: u64, l2HeadTime: u64 }, { name: 'CurrentEpoch' });
export const RECENT_EPOCHS = object('recent epochs', { current: u64, latest: u64, epochs: listOf(EPOCH) }, { name: 'RecentEpochs' });

export const PRODUCER = object('producer', { l2Height: u64, epochId: u64, producer: text(ADDRESS), signer: text(ETH_ADDRESS) }, { name: 'Producer' });

/** A member of a sharing or session; the address may be left out (then ''). */
const MEMBER = object('member', { index: count, address: textOrEmpty(ADDRESS), identity: text(HEX) }, { name: 'MpcMember' });
const KEY_MEMBER = extend(MEMBER, 'key member', { verifyingShare: text(HEX) }, { name: 'MpcKeyMember' });

export const MPC_KEY = object(
  'mpc key',
  {
    keyId: text(),
    groupKey: text(HEX),
    groupKeyL1: textOrEmpty(HEX0X),
    threshold: count,
    keyEpoch: countOr0,
    members: listOf(KEY_MEMBER),
    commitments: optional(hexList),
    session: text(HEX),
    height: u64Or0,
  },
  { name: 'MpcKey' },
);

const FAULT = object('fault', { address: textOrEmpty(ADDRESS), index: count, reason: text() }, { name: 'MpcFault' });

export const MPC_SESSION = object(
  'mpc session',
  {
    id: text(HEX),
    keyId: optional(text()),
    kind: enumOrString(MPC_KIND),
    attempt: countOr0,
    keyEpoch: countOr0,
    threshold: count,
    dealers: listOf(MEMBER),
    receivers: listOf(MEMBER),
    openedHeight: u64,
    dealDeadline: u64,
    complaintDeadline: u64,
    finalHeight: u64,
    status: enumOrString(MPC_SESSION_STATUS),
    transcript: hexListOrEmpty,
    ready: indexListOrEmpty,
    faults: listOfOrEmpty(FAULT),
    failure: note,
    closedHeight: u64Or0,
    forEpoch: u64Or0,
  },
  { name: 'MpcSession' },
);

/** A session without its transcript (the list the dashboard shows). */
const MPC_SESSION_SUMMARY = object(
  'mpc session summary',
  {
    id: text(HEX),
    kind: enumOrString(MPC_KIND),
    attempt: countOr0,
    keyEpoch: countOr0,
    threshold: count,
    dealers: count,
    receivers: count,
    openedHeight: u64,
    finalHeight: u64,
    status: enumOrString(MPC_SESSION_STATUS),
    transcriptMessages: countOr0,
    ready: countOr0,
    faults: listOfOrEmpty(FAULT),
    failure: note,
    closedHeight: u64Or0,
    forEpoch: u64Or0,
  },
  { name: 'MpcSessionSummary' },
);
export const MPC_SESSIONS = object('mpc sessions', { sessions: listOf(MPC_SESSION_SUMMARY) }, { name: 'MpcSessions' });

export const SIGN_REQUEST = object(
  'sign request',
  {
    id: u64,
    purpose: text(),
    chainId: u64,
    verifier: text(HEX0X),
    payload: text(HEX0X),
    digest: text(HEX0X),
    status: oneOf(SIGN_STATUS),
    signature: textOrNull(HEX0X),
    createdHeight: u64,
    createdTime: u64Or0,
    deadlineTime: u64Or0,
    batchIndex: u64Or0,
    epochId: u64Or0,
    signedHeight: u64Or0,
  },
  { name: 'SignRequest' },
);
export const PENDING_SIGN_REQUESTS = object('pending sign requests', { requests: listOf(SIGN_REQUEST) }, { name: 'PendingSignRequests' });
export const RECENT_SIGN_REQUESTS = object('recent sign requests', { nextId: u64, requests: listOf(SIGN_REQUEST) }, { name: 'RecentSignRequests' });

export const BATCH = object(
  'batch',
  {
    index: u64,
    prevHash: text(HEX0X),
    l2Start: u64,
    l2End: u64,
    dataHash: text(HEX0X),
    producer: text(HEX0X),
    hash: text(HEX0X),
    status: oneOf(BATCH_STATUS),
    signRequest: u64,
    requestedHeight: u64Or0,
    finalizedHeight: u64Or0,
    l1TxHash: textOrNull(HEX0X),
    epochId: u64Or0,
    l1Block: u64Or0,
    rewardRequest: u64Or0,
  },
  { name: 'Batch' },
);
export const BATCH_META = object('batch meta', { nextIndex: u64, lastHash: text(HEX0X), nextL2Start: u64, finalized: u64, lastProgressTime: u64 }, { name: 'BatchMeta' });
export const RECENT_BATCHES = object('recent batches', { nextIndex: u64, finalized: u64, batches: listOf(BATCH) }, { name: 'RecentBatches' });

/** /health: the app's status plus whatever the node's health callback adds (open). */
export const HEALTH = object(
  'health',
  { ok: flag, height: optional(nullable(u64)), chainId: optional(text()), appHash: optional(text()), catchingUp: optional(flag), reason: optional(text()) },
  { name: 'Health', open: true },
);

/** An applied observation: the attested fact (one of its kinds) and the power that attested it. */
export const OBSERVATION = object(
  'observation',
  {
    digest: text(HEX),
    height: u64,
    power: u64,
    totalPower: u64,
    synthetic: optional(nested(object('synthetic observation', { topic: text(), payload: text(HEX) }, { name: 'SyntheticObservation' }))),
    l1Staking: optional(
      nested(object('L1 staking observation', { sequencerId: u64, nonce: u64, blockNumber: u64, blockHash: text(HEX) }, { name: 'L1StakingObservation' })),
    ),
    rejected: optional(textOrNull()),
  },
  { name: 'Observation' },
);

// ---- what the node process sees (node/chain-watch.ts): CometBFT's commits and status --------------

const VOTE_RECORD = object('missed votes entry', { address: text(ADDRESS), missed: count, signed: count, lastMissed: u64Or0 }, { name: 'MissedVotesEntry' });
export const MISSED_VOTES = object(
  'missed votes',
  { fromHeight: u64, toHeight: u64, blocks: count, validators: listOf(VOTE_RECORD) },
  { name: 'MissedVotes', description: "absent votes per validator in the commits of the last blocks this node's CometBFT served" },
);
const BLOCK_TIME = object('block time', { height: u64, timeMs: u64 }, { name: 'BlockTime' });
export const BLOCK_TIMES = object('block times', { blocks: listOf(BLOCK_TIME) }, { name: 'BlockTimes' });
export const NODE_STATUS = object(
  'node status',
  { moniker: text(), network: text(), latestHeight: u64, latestBlockTimeMs: u64, catchingUp: flag, peers: count, votingPower: u64, watchedFrom: u64Or0 },
  { name: 'NodeStatus' },
);

// ---- parsers ------------------------------------------------------------------------------------
// Named as before; each return type is checked against the view of client/pool-types.ts.

export const parseEpoch = (v: unknown): Epoch => EPOCH.parse(v);
export const parseCurrentEpoch = (v: unknown): CurrentEpoch => CURRENT_EPOCH.parse(v);
export const parseRecentEpochs = (v: unknown): RecentEpochs => RECENT_EPOCHS.parse(v);
export const parseProducer = (v: unknown): ProducerAnswer => PRODUCER.parse(v);
export const parseMpcKey = (v: unknown): MpcKeyView => MPC_KEY.parse(v);
export const parseMpcSession = (v: unknown): MpcSessionView => MPC_SESSION.parse(v);
export const parseMpcSessions = (v: unknown): MpcSessionSummary[] => MPC_SESSIONS.parse(v).sessions;
export const parseSignRequest = (v: unknown): SignRequestView => SIGN_REQUEST.parse(v);
export const parsePendingSignRequests = (v: unknown): SignRequestView[] => PENDING_SIGN_REQUESTS.parse(v).requests;
export const parseRecentSignRequests = (v: unknown): RecentSignRequests => RECENT_SIGN_REQUESTS.parse(v);
export const parseBatch = (v: unknown): BatchView => BATCH.parse(v);
export const parseBatchMeta = (v: unknown): BatchMetaView => BATCH_META.parse(v);
export const parseRecentBatches = (v: unknown): RecentBatches => RECENT_BATCHES.parse(v);
export const parseValidator = (v: unknown): ValidatorView => VALIDATOR.parse(v);
export const parseValidators = (v: unknown): ValidatorView[] => VALIDATORS.parse(v);
export const parseStatus = (v: unknown): StatusView => STATUS.parse(v);
export const parseParams = (v: unknown): Record<string, string | number> => PARAMS.parse(v);
export const parseHealth = (v: unknown): HealthView => {
  const h = HEALTH.parse(v);
  return { ...h, height: h.height ?? null };
};
export const parseObservation = (v: unknown): ObservationView => OBSERVATION.parse(v);
export const parseMissedVotes = (v: unknown): MissedVotesView => MISSED_VOTES.parse(v);
export const parseBlockTimes = (v: unknown): BlockTimesView => BLOCK_TIMES.parse(v);
export const parseNodeStatus = (v: unknown): NodeStatusView => NODE_STATUS.parse(v);

/** Every answer shape by name (the OpenAPI document's components). */
export const ANSWERS: readonly Answer<unknown>[] = [
  STATUS, PARAMS, VALIDATOR, VALIDATORS, EPOCH, CURRENT_EPOCH, RECENT_EPOCHS, PRODUCER, MPC_KEY, MPC_SESSION, MPC_SESSIONS,
  SIGN_REQUEST, PENDING_SIGN_REQUESTS, OBSERVATION, RECENT_SIGN_REQUESTS, BATCH, BATCH_META, RECENT_BATCHES, HEALTH, MISSED_VOTES, BLOCK_TIMES, NODE_STATUS,
] as Answer<unknown>[];
