// Genesis app_state: the initial sequencer set and the parameters, checked by a schema so that a
// mistake in genesis.json is reported with its path instead of surfacing as a consensus failure.
import { z } from 'zod';
import { fromHex, toHex } from '../common/bytes.js';
import { isValidPubKey, pubKeyToAddress } from '../common/secp.js';
import type { L1Config, L2Config, Params } from '../proto/seqpool.js';
import { DEFAULT_PARAMS } from './params.js';
import { REQUEST_BATCH_OVERHEAD_BYTES } from './tx-limits.js';
import { MAX_TOTAL_VOTING_POWER } from './validator-set.js';

const MAX_SEQUENCERS_AT_MAX_LOCK = 1_000_000n;

const decimal = z.string().regex(/^[0-9]{1,78}$/, 'a non-negative decimal integer string');
const u64 = z.union([decimal, z.number().int().nonnegative()]).transform((v) => BigInt(v)).refine((v) => v < 2n ** 64n, 'exceeds uint64');
const u32 = z.number().int().min(0).max(2 ** 32 - 1);

const ParamsSchema = z
  .object({
    minLock: decimal,
    maxLock: decimal,
    exitDelaySeconds: u64,
    rewardPerL2BlockGwei: decimal,
    l1Confirmations: u32,
    epochLength: u64.refine((v) => v > 0n, 'must be positive'),
    respanTimeoutSeconds: u64,
    signingTimeoutSeconds: u64,
    maxVoteExtensionBytes: u32.min(1024),
    maxObservationsPerExtension: u32.min(1),
    maxTxBytes: u32.min(256),
    mpcPhaseBlocks: u32.min(1),
    refreshEveryEpochs: u32,
    maxMisses: u32.min(1),
    slashAmount: decimal,
    maxBatchBlocks: u64.refine((v) => v > 0n, 'must be positive'),
    electionLeadBlocks: u64,
    l2StallSeconds: u64,
    maxBatchBytes: u32.min(1024),
    batchMaxAgeSeconds: u64,
    forcedDueSeconds: u64,
  })
  .strict()
  .partial();

const SequencerSchema = z
  .object({
    pubKey: z.string().regex(/^(0x)?[0-9a-fA-F]{66}$/, '33-byte compressed secp256k1 key in hex'),
    power: u64.refine((v) => v > 0n, 'must be positive'),
    // Set when the sequencer's stake was locked on L1 before genesis (the localnet seeds these).
    sequencerId: u64.optional(),
    l1Nonce: u64.optional(),
    locked: decimal.optional(),
  })
  .strict();

const L1Schema = z
  .object({
    chainId: u64,
    lockingPool: z.string().regex(/^(0x)?[0-9a-fA-F]{40}$/, '20-byte address in hex'),
    batchInbox: z.string().regex(/^(0x)?[0-9a-fA-F]{40}$/, '20-byte address in hex').optional(),
  })
  .strict();

const L2Schema = z
  .object({
    chainId: u64,
    sequencerSet: z.string().regex(/^(0x)?[0-9a-fA-F]{40}$/, '20-byte address in hex'),
  })
  .strict();

export const AppStateSchema = z
  .object({
    params: ParamsSchema.default({}),
    l1: L1Schema.optional(),
    l2: L2Schema.optional(),
    sequencers: z.array(SequencerSchema).min(1, 'genesis needs at least one sequencer'),
  })
  .strict();

export interface GenesisSequencer {
  address: Uint8Array;
  pubKey: Uint8Array;
  power: bigint;
  sequencerId: bigint;
  l1Nonce: bigint;
  locked: string;
}

export interface Genesis {
  params: Params;
  l1?: L1Config;
  l2?: L2Config;
  sequencers: GenesisSequencer[];
}

export class GenesisError extends Error {
  override name = 'GenesisError';
}

/** Parse and validate app_state bytes from genesis.json. Throws GenesisError with every problem. */
export function parseGenesis(appStateBytes: Uint8Array): Genesis {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(appStateBytes));
  } catch (e) {
    throw new GenesisError(`genesis app_state is not JSON: ${(e as Error).message}`);
  }
  const parsed = AppStateSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `app_state.${i.path.join('.')}: ${i.message}`);
    throw new GenesisError(`invalid genesis app_state:\n  ${problems.join('\n  ')}`);
  }
  const params: Params = { ...DEFAULT_PARAMS, ...parsed.data.params };
  if (BigInt(params.minLock) > BigInt(params.maxLock)) throw new GenesisError('app_state.params: minLock exceeds maxLock');
  // A batch request carries its data: it must fit in a tx (app/tx-limits.ts).
  if (params.maxBatchBytes + REQUEST_BATCH_OVERHEAD_BYTES > params.maxTxBytes) throw new GenesisError(`app_state.params.maxTxBytes ${params.maxTxBytes} must be at least maxBatchBytes + ${REQUEST_BATCH_OVERHEAD_BYTES} (${params.maxBatchBytes + REQUEST_BATCH_OVERHEAD_BYTES}): a batch request carries its data`);
  // Power follows L1 stake without a per-event set check (decision 26), so the bound itself must keep
  // CometBFT's total in range: a million sequencers at maxLock still fit.
  if (BigInt(params.maxLock) / 10n ** 18n > MAX_TOTAL_VOTING_POWER / MAX_SEQUENCERS_AT_MAX_LOCK) {
    throw new GenesisError(`app_state.params.maxLock: at most ${MAX_TOTAL_VOTING_POWER / MAX_SEQUENCERS_AT_MAX_LOCK} whole tokens, so ${MAX_SEQUENCERS_AT_MAX_LOCK} sequencers at maxLock stay within CometBFT's maximum total voting power`);
  }
  const seen = new Set<string>();
  const sequencers = parsed.data.sequencers.map((s, i) => {
    const pubKey = fromHex(s.pubKey);
    if (!isValidPubKey(pubKey)) throw new GenesisError(`app_state.sequencers.${i}.pubKey: not a point on secp256k1`);
    const id = toHex(pubKey);
    if (seen.has(id)) throw new GenesisError(`app_state.sequencers.${i}.pubKey: duplicate sequencer ${id}`);
    seen.add(id);
    const sequencerId = s.sequencerId ?? 0n;
    // A LockingPool sequencer's cursor starts at its Locked event (nonce 1), and its power may not
    // exceed its stake (decision 26: the app never holds more power than L1 holds stake).
    const l1Nonce = s.l1Nonce ?? (sequencerId > 0n ? 1n : 0n);
    if (sequencerId > 0n && l1Nonce < 1n) throw new GenesisError(`app_state.sequencers.${i}.l1Nonce: a LockingPool sequencer has applied its Locked event (nonce >= 1)`);
    if (sequencerId > 0n && s.power > BigInt(s.locked ?? '0') / 10n ** 18n) throw new GenesisError(`app_state.sequencers.${i}.power: ${s.power} exceeds the whole tokens locked (${s.locked ?? '0'} base units)`);
    return { address: pubKeyToAddress(pubKey), pubKey, power: s.power, sequencerId, l1Nonce, locked: s.locked ?? '' };
  });
  const ids = sequencers.filter((s) => s.sequencerId > 0n).map((s) => s.sequencerId);
  if (new Set(ids).size !== ids.length) throw new GenesisError('app_state.sequencers: duplicate sequencerId');
  const l1 = parsed.data.l1 && {
    chainId: parsed.data.l1.chainId,
    lockingPool: fromHex(parsed.data.l1.lockingPool),
    ...(parsed.data.l1.batchInbox ? { batchInbox: fromHex(parsed.data.l1.batchInbox) } : {}),
  };
  const l2 = parsed.data.l2 && { chainId: parsed.data.l2.chainId, sequencerSet: fromHex(parsed.data.l2.sequencerSet) };
  return { params, l1, l2, sequencers };
}

/** The app_state JSON for a set of genesis sequencers (used by the network generator). */
export function buildAppState(
  sequencers: { pubKey: Uint8Array; power: bigint; sequencerId?: bigint; l1Nonce?: bigint; locked?: string }[],
  params: Partial<Record<keyof Params, string | number>> = {},
  l1?: { chainId: bigint; lockingPool: string; batchInbox?: string },
  l2?: { chainId: bigint; sequencerSet: string },
): unknown {
  return {
    params,
    ...(l1 ? { l1: { chainId: l1.chainId.toString(), lockingPool: l1.lockingPool, ...(l1.batchInbox ? { batchInbox: l1.batchInbox } : {}) } } : {}),
    ...(l2 ? { l2: { chainId: l2.chainId.toString(), sequencerSet: l2.sequencerSet } } : {}),
    sequencers: sequencers.map((s) => ({
      pubKey: toHex(s.pubKey),
      power: s.power.toString(),
      ...(s.sequencerId !== undefined ? { sequencerId: s.sequencerId.toString(), l1Nonce: (s.l1Nonce ?? 1n).toString(), locked: s.locked ?? '0' } : {}),
    })),
  };
}
