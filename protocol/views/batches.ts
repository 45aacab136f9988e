// Batches as the pool's queries answer them (/batch/...): the typed views, their declared shapes
// (parser and JSON Schema, shape.ts) and the app's renderers, side by side. The header a batch is
// signed as is protocol/signed-payloads.ts; its data hash, protocol/batch-data.ts.
import type { Batch, BatchMeta } from '../../proto/seqpool.js';
import { HEX0X, hex0x, listOf, object, oneOf, text, textOrNull, u64, u64Or0, type EnumSpec, type ViewOf } from './shape.js';

export type BatchStatus = 'signing' | 'signed' | 'finalized' | 'expired';
const BATCH_STATUS: EnumSpec<BatchStatus> = { names: ['signing', 'signed', 'finalized', 'expired'], protoPrefix: 'batch_status_' };

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
    l1Block: u64Or0, // L1 block of the BatchAppended that finalized it (0: not final)
    rewardRequest: u64Or0, // its distributeRewards sign request (0: none)
    forcedCursor: u64Or0, // forced-inclusion entries consumed up to and by it (decision 46)
    forcedChainHash: text(HEX0X), // the L1 queue's hash chain after entry forcedCursor - 1 (zeros: none)
  },
  { name: 'Batch' },
);
export type BatchView = ViewOf<typeof BATCH>;
export const parseBatch = (v: unknown): BatchView => BATCH.parse(v);

export const BATCH_META = object(
  'batch meta',
  {
    nextIndex: u64, // the index the next batch request must carry
    lastHash: text(HEX0X), // hash of the last requested (not expired) batch, zeros before the first
    nextL2Start: u64, // the first unbatched L2 block
    finalized: u64, // batches finalized on L1 (the next index to finalize)
    lastProgressTime: u64, // unix s
    forcedCursor: u64Or0, // forced cursor of the last requested (not expired) batch
    forcedChainHash: text(HEX0X), // and its chain hash
  },
  { name: 'BatchMeta' },
);
export type BatchMetaView = ViewOf<typeof BATCH_META>;
export const parseBatchMeta = (v: unknown): BatchMetaView => BATCH_META.parse(v);

export const RECENT_BATCHES = object('recent batches', { nextIndex: u64, finalized: u64, batches: listOf(BATCH) }, { name: 'RecentBatches' });
/** The last batches, in index order. */
export type RecentBatches = ViewOf<typeof RECENT_BATCHES>;
export const parseRecentBatches = (v: unknown): RecentBatches => RECENT_BATCHES.parse(v);

export function renderBatch(b: Batch): Record<string, unknown> {
  return {
    index: b.index.toString(),
    prevHash: hex0x(b.prevHash),
    l2Start: b.l2Start.toString(),
    l2End: b.l2End.toString(),
    dataHash: hex0x(b.dataHash),
    producer: hex0x(b.producer),
    hash: hex0x(b.hash),
    status: BATCH_STATUS.names[b.status] ?? 'unknown',
    signRequest: b.signRequest.toString(),
    requestedHeight: b.requestedHeight.toString(),
    finalizedHeight: b.finalizedHeight.toString(),
    l1TxHash: b.l1TxHash.length ? hex0x(b.l1TxHash) : null,
    epochId: b.epochId.toString(),
    l1Block: (b.l1Block ?? 0n).toString(),
    rewardRequest: (b.rewardRequest ?? 0n).toString(),
    forcedCursor: (b.forcedCursor ?? 0n).toString(),
    forcedChainHash: hex0x(b.forcedChainHash?.length ? b.forcedChainHash : new Uint8Array(32)),
  };
}

/** A batch's data (protocol/batch-data.ts) while the pool keeps it: /batch/{index}/data. */
export const BATCH_DATA = object('batch data', { index: u64, dataHash: text(HEX0X), data: text(HEX0X) }, { name: 'BatchData' });
export type BatchDataView = ViewOf<typeof BATCH_DATA>;
export const parseBatchData = (v: unknown): BatchDataView => BATCH_DATA.parse(v);

export function renderBatchData(b: Batch, data: Uint8Array): Record<string, unknown> {
  return { index: b.index.toString(), dataHash: hex0x(b.dataHash), data: hex0x(data) };
}

export function renderBatchMeta(m: BatchMeta): Record<string, unknown> {
  return { nextIndex: m.nextIndex.toString(), lastHash: hex0x(m.lastHash), nextL2Start: m.nextL2Start.toString(), finalized: m.finalized.toString(), lastProgressTime: m.lastProgressTime.toString(), forcedCursor: (m.forcedCursor ?? 0n).toString(), forcedChainHash: hex0x(m.forcedChainHash?.length ? m.forcedChainHash : new Uint8Array(32)) };
}
