// One LockingPool log -> one L1StakingEvent (the observation validators attest), or the reason it
// cannot be one. Decoding never throws: a malformed log must be reported and skipped, not stop the loop.
import { decodeEventLog, parseAbi, toEventSelector, type Hex } from 'viem';
import { fromHex, toHex } from '../common/bytes.js';
import type { L1BatchAppended, L1StakingEvent } from '../proto/seqpool.js';
import { lockingPoolEventsAbi } from './locking-pool-abi.js';

const U64_MAX = (1n << 64n) - 1n;
const PUBKEY_BYTES = 64;

/** topic0 of each followed event; logs with any other topic0 (Paused, ownership, ...) are not ours. */
const LOCKING_POOL_TOPICS: ReadonlySet<string> = new Set(
  lockingPoolEventsAbi.map((e) => toEventSelector(e).toLowerCase()),
);

/** The fields of an RPC log the decoder needs (viem's Log has them all once the block is mined). */
export interface RawLog {
  address: Hex;
  topics: readonly Hex[];
  data: Hex;
  blockHash: Hex;
  blockNumber: bigint;
  logIndex: number;
  transactionHash: Hex;
}

export type DecodeResult =
  | { ok: true; event: L1StakingEvent; name: string }
  | { ok: false; ours: boolean; reason: string };

/** True when the log's topic0 is one of the five followed events (malformed or not). */
export function isLockingPoolLog(log: Pick<RawLog, 'topics'>): boolean {
  const t0 = log.topics[0];
  return t0 !== undefined && LOCKING_POOL_TOPICS.has(t0.toLowerCase());
}

/** Where a log stands on L1: the fields every followed event kind carries. */
const located = (chainId: bigint, log: RawLog) => ({
  chainId,
  contract: fromHex(log.address),
  blockHash: fromHex(log.blockHash),
  blockNumber: log.blockNumber,
  logIndex: log.logIndex,
  txHash: fromHex(log.transactionHash),
});

function u64(name: string, v: bigint): bigint {
  if (v < 0n || v > U64_MAX) throw new Error(`${name} ${v} does not fit in 64 bits`);
  return v;
}

function pubkey(hex: Hex): Uint8Array {
  const b = fromHex(hex);
  if (b.length !== PUBKEY_BYTES) throw new Error(`signerPubkey is ${b.length} bytes, expected ${PUBKEY_BYTES} (uncompressed secp256k1 without the 0x04 prefix)`);
  return b;
}

/** Decodes a log emitted at `chainId`; `ours: false` means it is not a followed event at all. */
export function decodeLockingPoolLog(chainId: bigint, log: RawLog): DecodeResult {
  if (!isLockingPoolLog(log)) return { ok: false, ours: false, reason: 'not a LockingPool staking event' };
  let decoded;
  try {
    decoded = decodeEventLog({ abi: lockingPoolEventsAbi, topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true });
  } catch (e) {
    return { ok: false, ours: true, reason: `does not decode against the LockingPool ABI: ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message.split('\n')[0]}` };
  }
  try {
    const base = {
      ...located(chainId, log),
      sequencerId: u64('sequencerId', decoded.args.sequencerId),
      nonce: u64('nonce', decoded.args.nonce),
    };
    if (base.nonce === 0n) throw new Error('nonce 0 (per-sequencer nonces start at 1)');
    let event: L1StakingEvent;
    switch (decoded.eventName) {
      case 'Locked': {
        const x = decoded.args;
        event = { ...base, locked: { signer: fromHex(x.signer), amount: x.amount.toString(), total: x.total.toString(), signerPubkey: pubkey(x.signerPubkey) } };
        break;
      }
      case 'Relocked': {
        const x = decoded.args;
        event = { ...base, relocked: { amount: x.amount.toString(), total: x.total.toString() } };
        break;
      }
      case 'UnlockInit': {
        const x = decoded.args;
        // Saturated, not refused: the owner may set any exit delay, and an UnlockInit that could not
        // be decoded would leave the sequencer's later events a gap and its power in place for ever.
        const deactivationTime = x.deactivationTime > U64_MAX ? U64_MAX : x.deactivationTime;
        event = { ...base, unlockInit: { signer: fromHex(x.signer), deactivationTime, amount: x.amount.toString() } };
        break;
      }
      case 'Unlocked': {
        const x = decoded.args;
        event = { ...base, unlocked: { signer: fromHex(x.signer), amount: x.amount.toString() } };
        break;
      }
      case 'SignerChange': {
        const x = decoded.args;
        event = { ...base, signerChange: { oldSigner: fromHex(x.oldSigner), newSigner: fromHex(x.newSigner), signerPubkey: pubkey(x.signerPubkey) } };
        break;
      }
      case 'Slashed': {
        const x = decoded.args;
        event = { ...base, slashed: { amount: x.amount.toString(), total: x.total.toString() } };
        break;
      }
    }
    return { ok: true, event, name: decoded.eventName };
  } catch (e) {
    return { ok: false, ours: true, reason: `${decoded.eventName}: ${(e as Error).message}` };
  }
}

/** Which LockingPool event an L1StakingEvent carries, for logs. */
function eventKind(ev: L1StakingEvent): string {
  if (ev.locked) return 'Locked';
  if (ev.relocked) return 'Relocked';
  if (ev.unlockInit) return 'UnlockInit';
  if (ev.unlocked) return 'Unlocked';
  if (ev.signerChange) return 'SignerChange';
  if (ev.slashed) return 'Slashed';
  return 'unknown';
}

/** An event as a log line's fields: strings for bigints (JSON has none) and 0x hex for hashes. */
export function describeEvent(ev: L1StakingEvent): Record<string, string | number> {
  return {
    event: eventKind(ev),
    sequencerId: ev.sequencerId.toString(),
    nonce: ev.nonce.toString(),
    block: ev.blockNumber.toString(),
    blockHash: `0x${toHex(ev.blockHash)}`,
    logIndex: ev.logIndex,
    tx: `0x${toHex(ev.txHash)}`,
  };
}

// ---------- BatchInbox.BatchAppended (flow 3: the L1 record that finalizes a batch) ----------

export const batchInboxEventsAbi = parseAbi([
  'event BatchAppended(uint256 indexed batchIndex, bytes32 batchHash, uint256 l2StartBlock, uint256 l2EndBlock, bytes32 dataHash, address indexed producer)',
]);
export const BATCH_APPENDED_TOPIC: string = toEventSelector(batchInboxEventsAbi[0]).toLowerCase();

export function isBatchAppendedLog(log: Pick<RawLog, 'topics'>): boolean {
  return log.topics[0]?.toLowerCase() === BATCH_APPENDED_TOPIC;
}

export type BatchDecodeResult = { ok: true; event: L1BatchAppended } | { ok: false; reason: string };

/** Decodes a BatchAppended log emitted at `chainId`; never throws. */
export function decodeBatchAppendedLog(chainId: bigint, log: RawLog): BatchDecodeResult {
  if (!isBatchAppendedLog(log)) return { ok: false, reason: 'not a BatchAppended event' };
  try {
    const d = decodeEventLog({ abi: batchInboxEventsAbi, topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true });
    const x = d.args;
    return {
      ok: true,
      event: {
        ...located(chainId, log),
        batchIndex: u64('batchIndex', x.batchIndex),
        batchHash: fromHex(x.batchHash),
        l2Start: u64('l2StartBlock', x.l2StartBlock),
        l2End: u64('l2EndBlock', x.l2EndBlock),
        dataHash: fromHex(x.dataHash),
        producer: fromHex(x.producer),
      },
    };
  } catch (e) {
    return { ok: false, reason: `BatchAppended: ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message.split('\n')[0]}` };
  }
}

export function describeBatchAppended(ev: L1BatchAppended): Record<string, string | number> {
  return {
    event: 'BatchAppended',
    batchIndex: ev.batchIndex.toString(),
    batchHash: `0x${toHex(ev.batchHash)}`,
    l2: `${ev.l2Start}-${ev.l2End}`,
    block: ev.blockNumber.toString(),
    blockHash: `0x${toHex(ev.blockHash)}`,
    logIndex: ev.logIndex,
    tx: `0x${toHex(ev.txHash)}`,
  };
}
