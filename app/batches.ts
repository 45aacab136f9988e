// Batches (docs/pool.md "Batches"): the producer of an L2 range asks the pool to sign a BatchInbox
// header continuing the last requested batch; the L1 BatchAppended event, attested like every L1
// event, finalizes it and pays the producer. An expired signing rolls the chain of requested batches
// back to the last batch that did not expire.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { equalBytes, toHex } from '../common/bytes.js';
import { BATCH_DATA_VERSION } from '../protocol/batch-data.js';
import { BatchStatus, type Batch, type BatchMeta, type L1BatchAppended, type RequestBatchSignature, type Sequencer, type SignRequest } from '../proto/seqpool.js';
import { batchHeaderHash, encodeBatchHeader, encodeDistributeRewards, type BatchHeader } from '../protocol/signed-payloads.js';
import { epochCovering, signerOf } from './epochs.js';
import { createSignRequest, event, takeAuthNonce, type BlockCtx } from './sign-requests.js';
import type { State, View } from './state.js';
import { applyEscapeBatch, isEscapeBatch } from './escape-batch.js';

const GWEI = 10n ** 9n;
const ZERO32 = new Uint8Array(32);

/** A request's forced cursor and chain hash, unset fields read as nothing consumed. */
function forcedOf(msg: RequestBatchSignature): { cursor: bigint; chainHash: Uint8Array } {
  const h = msg.forcedChainHash;
  return { cursor: msg.forcedCursor ?? 0n, chainHash: h && h.length ? h : ZERO32 };
}

/** Forced cursor and chain hash after the last requested batch (or a finalized one: BatchMeta). */
export function lastForced(meta: BatchMeta): { cursor: bigint; chainHash: Uint8Array; known: boolean } {
  const h = meta.forcedChainHash;
  const cursor = meta.forcedCursor ?? 0n;
  // After an escape-hatch batch committed state has no chain hash (app/escape-batch.ts): unknown.
  return { cursor, chainHash: h && h.length ? h : ZERO32, known: cursor === 0n || !!h?.length };
}

/** Final batches whose data the pool keeps (the state holds at most this many plus the unfinalized). */
export const KEEP_BATCH_DATA = 8n;

/** Why a RequestBatchSignature must be rejected (INVALID_MESSAGE), or undefined. */
export function batchRequestProblem(state: State, view: View, msg: RequestBatchSignature, signer: Sequencer): string | undefined {
  const l1 = state.l1Config(view);
  if (!l1?.batchInbox?.length) return 'this pool has no BatchInbox (genesis app_state.l1.batchInbox is not set)';
  const meta = state.batchMeta(view);
  const head = state.epochMeta(view).l2Head;
  const params = state.params(view);
  if (msg.batchIndex !== meta.nextIndex) return `batch_index ${msg.batchIndex}: the next batch is ${meta.nextIndex}`;
  if (msg.prevBatchHash.length !== 32 || !equalBytes(msg.prevBatchHash, meta.lastHash)) return `prev_batch_hash ${toHex(msg.prevBatchHash)} is not the last batch's hash ${toHex(meta.lastHash)}`;
  if (msg.l2Start !== meta.nextL2Start) return `l2_start ${msg.l2Start}: the next batch starts at L2 block ${meta.nextL2Start}`;
  if (msg.dataHash.length !== 32) return 'data_hash must be 32 bytes';
  // The data itself is checked against L2 by every sidecar; here only what committed state decides.
  if (msg.data.length < 2 || msg.data.length > params.maxBatchBytes) return `data of ${msg.data.length} bytes: a batch carries 2..${params.maxBatchBytes} bytes (maxBatchBytes)`;
  if (msg.data[0] !== BATCH_DATA_VERSION) return `data version ${msg.data[0]}: this pool encodes batches with version ${BATCH_DATA_VERSION}`;
  if (!equalBytes(keccak_256(msg.data), msg.dataHash)) return `data_hash ${toHex(msg.dataHash)} is not keccak256 of the data (${toHex(keccak_256(msg.data))})`;
  if (msg.l2End < msg.l2Start) return `l2_end ${msg.l2End} is before l2_start ${msg.l2Start}`;
  const forced = forcedOf(msg);
  const last = lastForced(meta);
  // Committed state cannot see L1's queue or L2's blocks (the sidecars check those); it keeps the
  // cursor from going back and a cursor that does not move from changing its chain hash.
  if (forced.chainHash.length !== 32) return 'forced_chain_hash must be 32 bytes (zero before any entry is consumed)';
  if (forced.cursor < last.cursor) return `forced_cursor ${forced.cursor} goes back from the last batch's ${last.cursor}`;
  if (forced.cursor === last.cursor && last.known && !equalBytes(forced.chainHash, last.chainHash)) return `forced_cursor ${forced.cursor} did not move but forced_chain_hash ${toHex(forced.chainHash)} differs from the last batch's ${toHex(last.chainHash)}`;
  if (forced.cursor === 0n && !equalBytes(forced.chainHash, ZERO32)) return 'forced_chain_hash must be zero while forced_cursor is 0';
  const epoch = epochCovering(state, msg.l2Start, view);
  if (!epoch) return `no epoch covers L2 block ${msg.l2Start}`;
  if (!equalBytes(epoch.producer, signer.address)) return `signer ${toHex(signer.address).toUpperCase()} is not the producer of L2 block ${msg.l2Start} (epoch ${epoch.id}: ${toHex(epoch.producer).toUpperCase()})`;
  if (msg.l2End > epoch.endL2) return `l2_end ${msg.l2End} is beyond epoch ${epoch.id}'s end ${epoch.endL2}; end the batch there`;
  if (msg.l2End > head) return `l2_end ${msg.l2End} is beyond the attested L2 head ${head}; wait for validators to see it`;
  if (msg.l2End - msg.l2Start + 1n > params.maxBatchBlocks) return `batch of ${msg.l2End - msg.l2Start + 1n} L2 blocks exceeds maxBatchBlocks ${params.maxBatchBlocks}`;
  return undefined;
}

/** Apply an approved request: Batch record, appendBatch sign request, BatchMeta advanced. */
export function applyBatchRequest(state: State, msg: RequestBatchSignature, signer: Sequencer, ctx: BlockCtx): Batch {
  const l1 = state.l1Config()!;
  const epoch = epochCovering(state, msg.l2Start)!;
  const forced = forcedOf(msg);
  const header: BatchHeader = {
    batchIndex: msg.batchIndex,
    prevBatchHash: msg.prevBatchHash,
    l2StartBlock: msg.l2Start,
    l2EndBlock: msg.l2End,
    dataHash: msg.dataHash,
    producer: signerOf(signer),
    forcedCursor: forced.cursor,
    forcedChainHash: forced.chainHash,
  };
  const hash = batchHeaderHash(header);
  const r = createSignRequest(state, ctx, { purpose: 'appendBatch', chainId: l1.chainId, verifier: l1.batchInbox!, payload: encodeBatchHeader(header), batchIndex: msg.batchIndex, requester: signer.address });
  const batch: Batch = {
    index: msg.batchIndex,
    prevHash: msg.prevBatchHash,
    l2Start: msg.l2Start,
    l2End: msg.l2End,
    dataHash: msg.dataHash,
    producer: header.producer,
    hash,
    status: BatchStatus.SIGNING,
    signRequest: r.id,
    requestedHeight: ctx.height,
    finalizedHeight: 0n,
    l1TxHash: new Uint8Array(0),
    epochId: epoch.id,
    forcedCursor: forced.cursor,
    forcedChainHash: forced.chainHash,
  };
  state.setBatch(batch);
  state.setBatchData(msg.batchIndex, msg.data);
  const meta = state.batchMeta();
  state.setBatchMeta({ ...meta, nextIndex: msg.batchIndex + 1n, lastHash: hash, nextL2Start: msg.l2End + 1n, lastProgressTime: ctx.time, forcedCursor: forced.cursor, forcedChainHash: forced.chainHash });
  ctx.events.push(event('batch_requested', { index: msg.batchIndex.toString() }));
  return batch;
}

/** A batch's signature landed. Not progress of the producer (failover measures its requests): a
 * dead producer's in-flight batches still get signed and must not hold off its replacement. */
export function onBatchSigned(state: State, r: SignRequest): void {
  const b = state.batch(r.batchIndex);
  if (b && b.signRequest === r.id && b.status === BatchStatus.SIGNING) state.setBatch({ ...b, status: BatchStatus.SIGNED });
}

/** Batches signing or signed, not yet finalized (expired ones do not count). */
export function batchesAwaitingL1(state: State): number {
  const meta = state.batchMeta();
  let n = 0;
  for (let i = meta.finalized; i < meta.nextIndex; i++) {
    const status = state.batch(i)?.status;
    if (status === BatchStatus.SIGNING || status === BatchStatus.SIGNED) n++;
  }
  return n;
}

/** An appendBatch request expired: that batch and every batch chained on it expire; the chain
 * continues from the last batch before it. */
export function onBatchExpired(state: State, r: SignRequest, ctx: BlockCtx): void {
  const first = state.batch(r.batchIndex);
  if (!first || first.signRequest !== r.id || first.status !== BatchStatus.SIGNING) return;
  const meta = state.batchMeta();
  for (let i = first.index; i < meta.nextIndex; i++) {
    const b = state.batch(i)!;
    state.setBatch({ ...b, status: BatchStatus.EXPIRED });
    state.setBatchData(i, undefined);
    const req = state.signRequest(b.signRequest);
    if (i > first.index && req && req.status === 0) {
      state.setSignRequest({ ...req, status: 2 });
      ctx.events.push(event('sign_expired', { request_id: req.id.toString() }));
    }
    ctx.events.push(event('batch_expired', { index: i.toString() }));
  }
  const before = first.index > 0n ? state.batch(first.index - 1n)! : undefined;
  const prev = before ? before.hash : new Uint8Array(32);
  state.setBatchMeta({ ...meta, nextIndex: first.index, lastHash: prev, nextL2Start: first.l2Start, forcedCursor: before?.forcedCursor ?? 0n, forcedChainHash: before ? (before.forcedChainHash ?? new Uint8Array(0)) : ZERO32 });
  ctx.log.warn({ from: first.index.toString(), to: (meta.nextIndex - 1n).toString() }, 'batch signing expired: batch chain rolled back');
}

/** Apply an attested BatchAppended; returns why it changed nothing, or undefined. */
export function applyBatchAppended(state: State, ev: L1BatchAppended, ctx: BlockCtx): string | undefined {
  const l1 = state.l1Config();
  if (!l1?.batchInbox?.length) return 'this pool has no BatchInbox';
  if (ev.chainId !== l1.chainId || !equalBytes(ev.contract, l1.batchInbox)) return `event of chain ${ev.chainId} contract 0x${toHex(ev.contract)}, not the pool's BatchInbox`;
  if (isEscapeBatch(ev)) return applyEscapeBatch(state, ev, ctx);
  const meta = state.batchMeta();
  if (ev.batchIndex !== meta.finalized) return `batch ${ev.batchIndex} appended, but batch ${meta.finalized} is the next to finalize`;
  const b = state.batch(ev.batchIndex);
  if (!b || (b.status !== BatchStatus.SIGNING && b.status !== BatchStatus.SIGNED)) return `batch ${ev.batchIndex} is not awaiting L1 (${b ? 'status ' + b.status : 'unknown'})`;
  if (!equalBytes(b.hash, ev.batchHash) || b.l2Start !== ev.l2Start || b.l2End !== ev.l2End || !equalBytes(b.dataHash, ev.dataHash) || !equalBytes(b.producer, ev.producer)) {
    return `batch ${ev.batchIndex} on L1 (hash ${toHex(ev.batchHash)}) differs from the approved one (${toHex(b.hash)})`;
  }
  const finalized = { ...b, status: BatchStatus.FINALIZED, finalizedHeight: ctx.height, l1TxHash: ev.txHash, l1Block: ev.blockNumber };
  state.setBatchMeta({ ...meta, finalized: meta.finalized + 1n });
  // L1 holds the data now; the pool keeps the last KEEP_BATCH_DATA final batches' data for an L1
  // reorg deeper than finality (decision 38), after which submitters re-derive it from their L2.
  if (b.index >= KEEP_BATCH_DATA) state.setBatchData(b.index - KEEP_BATCH_DATA, undefined);
  ctx.events.push(event('batch_finalized', { index: b.index.toString() }));
  // Rewards: rewardPerL2BlockGwei * 1e9 per L2 block to the producer's LockingPool sequencer id, once
  // per batch: a batch finalized again after an L1 correction (decision 38) already has its request,
  // whose signed authorization is relayed again if L1 lost it.
  const amount = BigInt(ctx.params.rewardPerL2BlockGwei || '0') * GWEI * (b.l2End - b.l2Start + 1n);
  const producer = state.epoch(b.epochId) && state.sequencer(state.epoch(b.epochId)!.producer);
  const id = producer?.sequencerId ?? 0n;
  if ((b.rewardRequest ?? 0n) > 0n) {
    state.setBatch(finalized);
  } else if (amount > 0n && id > 0n) {
    const nonce = takeAuthNonce(state, l1.lockingPool);
    const r = createSignRequest(state, ctx, { purpose: 'distributeRewards', chainId: l1.chainId, verifier: l1.lockingPool, payload: encodeDistributeRewards([id], [amount], nonce), batchIndex: b.index });
    state.setBatch({ ...finalized, rewardRequest: r.id });
  } else {
    state.setBatch(finalized);
    if (amount > 0n) ctx.log.warn({ batch: b.index.toString() }, 'batch producer has no LockingPool sequencer id: no reward request');
  }
  return undefined;
}
