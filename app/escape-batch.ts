// An escape-hatch batch landed on L1 (issue 16, decision 46): BatchInbox.appendForcedBatch, called by
// anyone once a forced entry was overdue for escapeDelay without a batch. It has no producer and no
// signature; L1, the source of truth, now holds it as the batch at its index. The pool adopts it:
//   - it is final at once (nothing to sign or reward), and the batch chain continues from its hash;
//   - the pool's own requests at or after its index can never land (the index is taken): expired;
//   - its L2 blocks (derived from L1 by every node, l2/driver.ts) replace the pool's unbatched blocks
//     from its first height: the attested L2 head becomes its last block, whatever it was (the only
//     place the head goes down: the blocks above it no longer exist on any honest node), and the
//     L2-stall clock restarts so that the producer of the next height gets a full turn;
//   - its forced cursor is the previous batch's plus the entries it consumed; its chain hash is not in
//     the event, so the next batch's is checked by the sidecars against L1 alone (BatchMeta keeps none).
import { BatchStatus, type Batch, type L1BatchAppended } from '../proto/seqpool.js';
import { toHex } from '../common/bytes.js';
import { epochCovering } from './epochs.js';
import { event, type BlockCtx } from './sign-requests.js';
import type { State } from './state.js';

export const isEscapeBatch = (ev: L1BatchAppended): boolean => ev.producer.every((b) => b === 0);

export function applyEscapeBatch(state: State, ev: L1BatchAppended, ctx: BlockCtx): string | undefined {
  const meta = state.batchMeta();
  if (ev.batchIndex !== meta.finalized) return `escape batch ${ev.batchIndex} appended, but batch ${meta.finalized} is the next to finalize`;
  const prev = ev.batchIndex > 0n ? state.batch(ev.batchIndex - 1n) : undefined;
  // The L2 starts at block 1 (BatchInbox's firstL2Block on every deployment of this pool).
  const expectedStart = prev ? prev.l2End + 1n : 1n;
  if (ev.l2Start !== expectedStart || ev.l2End < ev.l2Start) return `escape batch ${ev.batchIndex} covers L2 ${ev.l2Start}-${ev.l2End}, but the last final batch ends at ${expectedStart - 1n}`;
  // The pool's requests from this index on lost their index to the escape batch.
  for (let i = ev.batchIndex; i < meta.nextIndex; i++) {
    const b = state.batch(i);
    if (!b) continue;
    state.setBatchData(i, undefined);
    const req = state.signRequest(b.signRequest);
    if (req && req.status === 0) {
      state.setSignRequest({ ...req, status: 2 });
      ctx.events.push(event('sign_expired', { request_id: req.id.toString() }));
    }
    if (i > ev.batchIndex) {
      state.setBatch({ ...b, status: BatchStatus.EXPIRED });
      ctx.events.push(event('batch_expired', { index: i.toString() }));
    }
  }
  const cursor = (prev?.forcedCursor ?? 0n) + (ev.l2End - ev.l2Start + 1n);
  const batch: Batch = {
    index: ev.batchIndex,
    prevHash: prev?.hash ?? new Uint8Array(32),
    l2Start: ev.l2Start,
    l2End: ev.l2End,
    dataHash: ev.dataHash,
    producer: ev.producer,
    hash: ev.batchHash,
    status: BatchStatus.FINALIZED,
    signRequest: 0n,
    requestedHeight: ctx.height,
    finalizedHeight: ctx.height,
    l1TxHash: ev.txHash,
    epochId: epochCovering(state, ev.l2Start)?.id ?? 0n,
    l1Block: ev.blockNumber,
    forcedCursor: cursor,
    forcedChainHash: new Uint8Array(0),
  };
  state.setBatch(batch);
  state.setBatchMeta({ ...meta, nextIndex: ev.batchIndex + 1n, lastHash: ev.batchHash, nextL2Start: ev.l2End + 1n, finalized: ev.batchIndex + 1n, lastProgressTime: ctx.time, forcedCursor: cursor, forcedChainHash: new Uint8Array(0) });
  const em = state.epochMeta();
  state.setEpochMeta({ ...em, l2Head: ev.l2End, l2HeadTime: ctx.time, producerSince: ctx.time });
  state.setWorkSince(undefined);
  ctx.events.push(event('batch_escaped', { index: ev.batchIndex.toString(), l2_start: ev.l2Start.toString(), l2_end: ev.l2End.toString() }));
  ctx.log.warn({ index: ev.batchIndex.toString(), l2: `${ev.l2Start}-${ev.l2End}`, forcedCursor: cursor.toString(), l1Tx: `0x${toHex(ev.txHash)}`, attestedHeadWas: em.l2Head.toString() }, 'escape-hatch batch adopted from L1: the pool continues on its L2 blocks');
  return undefined;
}
