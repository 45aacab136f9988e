// Failover (docs/pool.md "Failover (re-span)"): a producer that stalls collects a miss (jailed at
// maxMisses) and a replacement takes the rest of its epoch. Two clocks, both in block time:
//   - L2: the attested L2 head has not moved for l2StallSeconds (the producer of the next L2 block
//     builds nothing, or nothing the validators could import);
//   - batches: the producer that owes the next batch has work (the attested head passed the first
//     unbatched block) and made no progress for respanTimeoutSeconds plus batchMaxAgeSeconds (the
//     time a batch may legitimately stay open).
// The replacement builds from the block after the attested head and batches from the first
// unbatched one. SequencerSet.recommitEpoch accepts (old, old + 1, startBlock in old's range and not
// in the past), appending after the latest epoch or replacing the latest one; the app asks only for
// that, and the replacement's first L2 block carries it (l2/driver.ts), so startBlock is never past.
import { equalBytes, toHex } from '../common/bytes.js';
import { EpochStatus, type Epoch } from '../proto/seqpool.js';
import { encodeRecommitEpoch } from '../protocol/signed-payloads.js';
import { committee, electionSeed, electProducer } from './election.js';
import { builderCovering, buildStartOf, epochCovering, signerOf } from './epochs.js';
import { createSignRequest, event, type BlockCtx } from './sign-requests.js';
import type { State } from './state.js';
import { currentKey } from './mpc-sessions.js';
import { batchesAwaitingL1 } from './batches.js';
import { MAX_BATCHES_IN_FLIGHT } from '../protocol/batch-data.js';

/**
 * The owing producer's validator has voted for none of the blocks of the last respanTimeoutSeconds
 * (the decided last commit lists it ABSENT): its node is down. That is a stall whatever its batch
 * pipeline says: a full pipeline otherwise reads as waiting on L1, and only a fallback submitter
 * (after 20 s) would drain it. Without commit info in the request nothing is known.
 */
function producerGone(state: State, owing: Epoch | undefined, ctx: BlockCtx): boolean {
  if (!owing || !ctx.absent || !ctx.absent.has(toHex(owing.producer).toLowerCase())) {
    state.setAbsentSince(undefined);
    return false;
  }
  let since = state.absentSince();
  if (since === undefined) state.setAbsentSince((since = ctx.time));
  return ctx.time - since > ctx.params.respanTimeoutSeconds;
}

/** Run once per block after the txs and the election. */
export function checkFailover(state: State, ctx: BlockCtx): void {
  const meta = state.epochMeta();
  const bm = state.batchMeta();
  // Without a group key no re-span can be signed, so none is decided.
  if (!currentKey(state)) {
    state.setWorkSince(undefined);
    return;
  }
  // L2 production: the producer of the next L2 block owes one every second.
  const building = builderCovering(state, meta.l2Head + 1n);
  if (building && l2Stalled(state, building, ctx)) {
    ctx.log.warn({ epoch: building.id.toString(), head: meta.l2Head.toString(), since: (meta.l2HeadTime > (meta.producerSince ?? 0n) ? meta.l2HeadTime : meta.producerSince ?? 0n).toString() }, 'L2 stalled: the attested head has not moved');
    return respan(state, ctx, building);
  }
  // Batching: the producer that owes the next batch.
  const owing = epochCovering(state, bm.nextL2Start);
  const gone = producerGone(state, owing, ctx);
  // With a full pipeline the producer waits on the pool and on L1: it is not stalling (unless its
  // validator stopped voting). Otherwise only its requests count as progress: signatures and L1
  // finalizations of batches it requested before dying would hold off its replacement (the clock
  // restarted on each; failover took 20-38 s).
  if (meta.l2Head < bm.nextL2Start || (!gone && batchesAwaitingL1(state) >= MAX_BATCHES_IN_FLIGHT)) {
    state.setWorkSince(undefined);
    return;
  }
  let since = state.workSince();
  if (since === undefined) state.setWorkSince((since = ctx.time));
  const base = bm.lastProgressTime > since ? bm.lastProgressTime : since;
  // The producer may hold a batch open until its oldest block is batchMaxAgeSeconds old (issue 13).
  if (!gone && ctx.time - base <= ctx.params.respanTimeoutSeconds + ctx.params.batchMaxAgeSeconds) return;
  if (!owing) {
    ctx.log.error({ nextL2Start: bm.nextL2Start.toString() }, 'no epoch covers the next unbatched L2 block; cannot re-span');
    return restartClocks(state, ctx);
  }
  respan(state, ctx, owing);
}

/**
 * The attested L2 head has not moved for l2StallSeconds since it last did or since the producer of
 * the next block got its turn. A re-span whose recommitEpoch is not signed yet is waiting on the
 * pool, not stalling: its first block must carry that transaction.
 */
function l2Stalled(state: State, building: Epoch, ctx: BlockCtx): boolean {
  if (ctx.params.l2StallSeconds === 0n) return false;
  const meta = state.epochMeta();
  if (building.isRespan && buildStartOf(building) === meta.l2Head + 1n && building.signRequest !== 0n && building.status !== EpochStatus.COMMITTED) return false;
  const since = meta.l2HeadTime > (meta.producerSince ?? 0n) ? meta.l2HeadTime : meta.producerSince ?? 0n;
  return ctx.time - since > ctx.params.l2StallSeconds;
}

/** The replacement (or the stalled producer, if none) gets full timeouts on both clocks. */
function restartClocks(state: State, ctx: BlockCtx): void {
  state.setBatchMeta({ ...state.batchMeta(), lastProgressTime: ctx.time });
  state.setEpochMeta({ ...state.epochMeta(), producerSince: ctx.time });
  state.setAbsentSince(undefined);
  state.setWorkSince(undefined);
}

/**
 * Hands the rest of `stalled` to another producer: it builds from the block after the attested
 * head (blocks up to it keep their producer; unattested blocks above it are dropped by every node's
 * L2 adapter) and batches from the first unbatched block of `stalled`.
 */
function respan(state: State, ctx: BlockCtx, stalled: Epoch): void {
  const meta = state.epochMeta();
  const bm = state.batchMeta();
  const producer = state.sequencer(stalled.producer);
  if (producer && !producer.jailed) {
    const misses = (producer.misses ?? 0) + 1;
    ctx.log.warn({ producer: toHex(stalled.producer).toUpperCase(), epoch: stalled.id.toString(), misses }, 'producer stalled: miss');
    if (misses >= ctx.params.maxMisses) ctx.jail(stalled.producer, 'missed');
    else state.setSequencer({ ...producer, misses });
  }
  const seed = electionSeed(ctx.hash, state.lastSignature());
  // Not the stalled producer, nor a validator that signed none of the last block's precommits (its
  // node is down, as the decided last commit says): electing it would only stall again.
  const others = committee(state).filter((s) => !equalBytes(s.address, stalled.producer));
  const up = others.filter((s) => !ctx.absent?.has(toHex(s.address).toLowerCase()));
  const pick = electProducer(up.length ? up : others, seed);
  restartClocks(state, ctx);
  if (!pick) {
    ctx.log.warn({ epoch: stalled.id.toString() }, 'no other candidate for a re-span: the producer continues');
    return;
  }
  const buildStart = meta.l2Head + 1n;
  const successor = stalled.id < meta.latest ? state.epoch(stalled.id + 1n)! : undefined;
  const successorStarted = successor !== undefined && meta.current >= successor.id;
  // SequencerSet can move the rest of `stalled` only while buildStart lies in its L2 range.
  if (buildStart <= stalled.endL2 && buildStart >= buildStartOf(stalled) && (successor === undefined || !successorStarted)) {
    const batchStart = bm.nextL2Start > stalled.startL2 ? bm.nextL2Start : stalled.startL2;
    const end = successor ? successor.endL2 : stalled.endL2;
    const id = stalled.id + 1n;
    let record: Epoch = { id, startL2: batchStart, endL2: end, buildStart, producer: pick.address, signer: signerOf(pick), seed, electedHeight: ctx.height, signRequest: 0n, status: EpochStatus.ELECTED, respanOf: stalled.id, isRespan: true };
    state.setEpoch({ ...stalled, endL2: batchStart - 1n });
    const l2 = state.l2Config();
    if (l2) {
      const r = createSignRequest(state, ctx, { purpose: 'recommitEpoch', chainId: l2.chainId, verifier: l2.sequencerSet, payload: encodeRecommitEpoch(stalled.id, id, buildStart, end, record.signer), epochId: id });
      record = { ...record, signRequest: r.id };
    }
    state.setEpoch(record);
    const m = state.epochMeta();
    state.setEpochMeta({ ...m, latest: m.latest > id ? m.latest : id });
    ctx.events.push(event('respan', { old_epoch: stalled.id.toString(), new_epoch: id.toString() }));
    ctx.log.warn({ old: stalled.id.toString(), new: id.toString(), batchStart: batchStart.toString(), buildStart: buildStart.toString(), end: end.toString(), producer: toHex(pick.address).toUpperCase() }, 're-span');
    return;
  }
  if (successor) {
    // The stalled epoch's L2 blocks are all built and the next epoch already runs: its producer takes
    // over batching the unbatched tail; L2 block production is unchanged.
    const nls = bm.nextL2Start;
    state.setEpoch({ ...stalled, endL2: nls - 1n });
    state.setEpoch({ ...successor, startL2: nls });
    ctx.events.push(event('respan', { old_epoch: stalled.id.toString(), new_epoch: successor.id.toString() }));
    ctx.log.warn({ old: stalled.id.toString(), new: successor.id.toString(), start: nls.toString() }, 're-span: the next epoch takes over the unbatched tail');
    return;
  }
  ctx.log.error({ epoch: stalled.id.toString(), head: meta.l2Head.toString() }, 'cannot re-span: the epoch is over on L2 and no next epoch is elected yet; raise electionLeadBlocks');
}
