// The chain's own records as the pool's queries answer them: its status, parameters, sequencers and
// applied observations. For each, the typed view clients work with, its declared shape (the parser
// and the JSON Schema, shape.ts) and the app's renderer of the stored record, side by side: what the
// app writes and what clients read are defined in one place.
import type { AppliedObservation, Params, Sequencer } from '../../proto/seqpool.js';
import { arrayOf, count, ETH_ADDRESS, flag, HEX, hex, hex0x, nested, nullable, object, optional, scalarMap, stringList, text, textOrNull, u64, u64Opt, u64Or0, upperHex, type ViewOf } from './shape.js';

// ---- /status ----------------------------------------------------------------------------------

export const STATUS = object(
  'status',
  { chainId: text(), height: u64, appHash: text(/^[0-9A-F]*$/), validators: count, totalPower: u64, voteExtensionsEnableHeight: u64 },
  { name: 'Status' },
);
export type StatusView = ViewOf<typeof STATUS>;
export const parseStatus = (v: unknown): StatusView => STATUS.parse(v);

export function renderStatus(s: { chainId: string; height: bigint; appHash: Uint8Array; validators: number; totalPower: bigint; voteExtensionsEnableHeight: bigint }): Record<string, unknown> {
  return {
    chainId: s.chainId,
    height: s.height.toString(),
    appHash: upperHex(s.appHash),
    validators: s.validators,
    totalPower: s.totalPower.toString(),
    voteExtensionsEnableHeight: s.voteExtensionsEnableHeight.toString(),
  };
}

// ---- /params ----------------------------------------------------------------------------------

export const PARAMS = scalarMap('params', { name: 'Params' });
export const parseParams = (v: unknown): Record<string, string | number> => PARAMS.parse(v);

/** Params as JSON (bigints as decimal strings). */
export function renderParams(p: Params): Record<string, string | number> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));
}

// ---- /validators, /validator/{address}, /sequencer/{id} ---------------------------------------

/** SequencerStatus as the app writes it, in .proto order. */
const SEQUENCER_STATUS_NAMES = ['active', 'unlocking', 'exited'] as const;

const PEER = object('validator peer', { peerId: text(), addrs: stringList, height: u64Or0 }, { name: 'PeerBinding' });

/** A sequencer record; a key rotated out of the set has only address, pubKey and power. */
export const VALIDATOR = object(
  'validator',
  {
    address: text(), // upper-case hex; '' for a keyless sequencer (/sequencers/{id})
    pubKey: text(HEX),
    power: u64Or0,
    nonce: u64Opt,
    peer: optional(nullable(nested(PEER))),
    sequencerId: u64Opt,
    status: optional(text(undefined, SEQUENCER_STATUS_NAMES.join(' | '))),
    signer: optional(textOrNull(ETH_ADDRESS)),
    locked: u64Opt,
    l1Nonce: u64Opt,
    l1Block: u64Opt, // L1 block of the last event (or correction) applied to this id
    deactivationTime: u64Opt,
    sidecarNonce: u64Opt,
    misses: u64Opt,
    jailed: optional(flag),
    jailReason: optional(textOrNull()),
    inactive: optional(textOrNull()),
  },
  { name: 'Validator' },
);
export type ValidatorView = ViewOf<typeof VALIDATOR>;
export const parseValidator = (v: unknown): ValidatorView => VALIDATOR.parse(v);

export const VALIDATORS = arrayOf('validators', VALIDATOR);
export const parseValidators = (v: unknown): ValidatorView[] => VALIDATORS.parse(v);

export function renderSequencer(s: Sequencer): Record<string, unknown> {
  return {
    address: upperHex(s.address),
    pubKey: hex(s.pubKey),
    power: s.power.toString(),
    nonce: s.nonce.toString(),
    peer: s.peer ? { peerId: s.peer.peerId, addrs: s.peer.addrs, height: s.peer.height.toString() } : null,
    sequencerId: (s.sequencerId ?? 0n).toString(),
    status: SEQUENCER_STATUS_NAMES[s.status ?? 0] ?? 'unknown',
    signer: s.signer?.length ? hex0x(s.signer) : null,
    locked: s.locked || '0',
    l1Nonce: (s.l1Nonce ?? 0n).toString(),
    l1Block: (s.l1Block ?? 0n).toString(),
    deactivationTime: (s.deactivationTime ?? 0n).toString(),
    sidecarNonce: (s.sidecarNonce ?? 0n).toString(),
    misses: String(s.misses ?? 0),
    jailed: s.jailed ?? false,
    jailReason: s.jailReason || null,
    inactive: s.inactive || null,
  };
}

/** A validator-set entry whose key has no sequencer record any more (rotated out, still signing). */
export function renderSetEntry(v: { address: Uint8Array; pubKey: Uint8Array; power: bigint }): Record<string, unknown> {
  return { address: upperHex(v.address), pubKey: hex(v.pubKey), power: v.power.toString() };
}

// ---- /observation/{digest} --------------------------------------------------------------------

/** An applied observation: the attested fact (one of its kinds) and the power that attested it. */
export const OBSERVATION = object(
  'observation',
  {
    digest: text(HEX),
    height: u64,
    power: u64, // the power that attested it
    totalPower: u64,
    synthetic: optional(nested(object('synthetic observation', { topic: text(), payload: text(HEX) }, { name: 'SyntheticObservation' }))),
    l1Staking: optional(
      nested(object('L1 staking observation', { sequencerId: u64, nonce: u64, blockNumber: u64, blockHash: text(HEX) }, { name: 'L1StakingObservation' })),
    ),
    rejected: optional(textOrNull()), // why the app refused to apply it
  },
  { name: 'Observation' },
);
export type ObservationView = ViewOf<typeof OBSERVATION>;
export const parseObservation = (v: unknown): ObservationView => OBSERVATION.parse(v);

export function renderObservation(o: AppliedObservation): Record<string, unknown> {
  return {
    digest: hex(o.digest),
    height: o.height.toString(),
    power: o.power.toString(),
    totalPower: o.totalPower.toString(),
    synthetic: o.observation.synthetic ? { topic: o.observation.synthetic.topic, payload: hex(o.observation.synthetic.payload) } : undefined,
    l1Staking: o.observation.l1Staking
      ? { sequencerId: o.observation.l1Staking.sequencerId.toString(), nonce: o.observation.l1Staking.nonce.toString(), blockNumber: o.observation.l1Staking.blockNumber.toString(), blockHash: hex(o.observation.l1Staking.blockHash) }
      : undefined,
    rejected: o.rejected || null,
  };
}
