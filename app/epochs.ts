// Epochs (docs/pool.md "Epochs and election"): contiguous ranges of L2 blocks, each with a producer.
// Epoch 0 is elected at InitChain; epoch E+1 is elected when the attested L2 head comes within
// electionLeadBlocks of E's end, and the pool signs commitEpoch for the L2 SequencerSet. Start blocks
// never decrease with the id (as in SequencerSet), so the epoch of a block is a binary search.
import { toHex } from '../common/bytes.js';
import { EpochStatus, type Epoch, type Sequencer } from '../proto/seqpool.js';
import { encodeCommitEpoch } from '../protocol/signed-payloads.js';
import { committee, electionSeed, electProducer, genesisSeed } from './election.js';
import { ethAddress } from '../protocol/l1-signer.js';
import { createSignRequest, event, type BlockCtx } from './sign-requests.js';
import type { State, View } from './state.js';

export const signerOf = (s: Sequencer): Uint8Array => (s.signer?.length ? s.signer : ethAddress(s.pubKey));

/** Epoch 0, the epoch/batch/sign bookkeeping records, at InitChain. */
export function initEpochs(state: State, chainId: string, height: bigint, time: bigint): Epoch {
  const seed = genesisSeed(chainId);
  const pick = electProducer(committee(state), seed);
  if (!pick) throw new Error('genesis has no sequencer with power > 0 to produce epoch 0');
  const epoch: Epoch = {
    id: 0n,
    startL2: 1n,
    endL2: state.params().epochLength,
    producer: pick.address,
    signer: signerOf(pick),
    seed,
    electedHeight: height,
    signRequest: 0n,
    status: EpochStatus.COMMITTED, // SequencerSet is deployed with it
    respanOf: 0n,
    isRespan: false,
    buildStart: 1n,
  };
  state.setEpoch(epoch);
  state.setEpochMeta({ current: 0n, latest: 0n, l2Head: 0n, l2HeadTime: time, producerSince: time });
  state.setBatchMeta({ nextIndex: 0n, lastHash: new Uint8Array(32), nextL2Start: 1n, finalized: 0n, lastProgressTime: time });
  state.setSignMeta({ nextId: 1n });
  return epoch;
}

/** The epoch record covering L2 block `l2Height`, or undefined (beyond the latest, or block 0). */
export function epochCovering(state: State, l2Height: bigint, view: View = 'working'): Epoch | undefined {
  const meta = state.epochMeta(view);
  let lo = 0n;
  let hi = meta.latest + 1n; // first id with start > l2Height lies in [lo, hi]
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (state.epoch(mid, view)!.startL2 <= l2Height) lo = mid + 1n;
    else hi = mid;
  }
  if (lo === 0n) return undefined;
  const e = state.epoch(lo - 1n, view)!;
  return l2Height <= e.endL2 ? e : undefined;
}

export const buildStartOf = (e: Epoch): bigint => (e.buildStart > 0n ? e.buildStart : e.startL2);

/**
 * The epoch whose producer builds L2 block `l2Height` (SequencerSet.getSequencer's answer), or
 * undefined. Build ranges are contiguous and their starts never decrease with the id, like
 * SequencerSet's; they differ from the batch ranges (epochCovering) only after a re-span, whose
 * producer batches from the first unbatched block but builds from the block after the attested head.
 */
export function builderCovering(state: State, l2Height: bigint, view: View = 'working'): Epoch | undefined {
  const meta = state.epochMeta(view);
  let lo = 0n;
  let hi = meta.latest + 1n; // first id with buildStart > l2Height lies in [lo, hi]
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (buildStartOf(state.epoch(mid, view)!) <= l2Height) lo = mid + 1n;
    else hi = mid;
  }
  if (lo === 0n) return undefined;
  const e = state.epoch(lo - 1n, view)!;
  // Only the latest epoch can end before the next height; earlier ones end where the next builds.
  return e.id < meta.latest || l2Height <= e.endL2 ? e : undefined;
}

/** commitEpoch on the L2 SequencerSet for `epoch` (nothing without a genesis l2 section). */
function requestCommitEpoch(state: State, epoch: Epoch, ctx: BlockCtx): Epoch {
  const l2 = state.l2Config();
  if (!l2) return epoch;
  const r = createSignRequest(state, ctx, {
    purpose: 'commitEpoch',
    chainId: l2.chainId,
    verifier: l2.sequencerSet,
    payload: encodeCommitEpoch(epoch.id, epoch.startL2, epoch.endL2, epoch.signer),
    epochId: epoch.id,
  });
  const next = { ...epoch, signRequest: r.id };
  state.setEpoch(next);
  return next;
}

/** Elect epoch current+1 when the head is within the lead of the current epoch's end. */
export function maybeElectNext(state: State, ctx: BlockCtx): Epoch | undefined {
  const meta = state.epochMeta();
  if (meta.latest !== meta.current) return undefined;
  const cur = state.epoch(meta.current)!;
  const lead = ctx.params.electionLeadBlocks;
  const trigger = cur.endL2 > lead ? cur.endL2 - lead : 0n;
  if (meta.l2Head < trigger) return undefined;
  const seed = electionSeed(ctx.hash, state.lastSignature());
  const pick = electProducer(committee(state), seed);
  const producer = pick ? { address: pick.address, signer: signerOf(pick) } : { address: cur.producer, signer: cur.signer };
  if (!pick) ctx.log.warn({ epoch: (cur.id + 1n).toString() }, 'no candidate for election: the previous producer continues');
  let epoch: Epoch = {
    id: cur.id + 1n,
    startL2: cur.endL2 + 1n,
    endL2: cur.endL2 + ctx.params.epochLength,
    producer: producer.address,
    signer: producer.signer,
    seed,
    electedHeight: ctx.height,
    signRequest: 0n,
    status: EpochStatus.ELECTED,
    respanOf: 0n,
    isRespan: false,
    buildStart: cur.endL2 + 1n,
  };
  state.setEpoch(epoch);
  state.setEpochMeta({ ...meta, latest: epoch.id });
  epoch = requestCommitEpoch(state, epoch, ctx);
  ctx.events.push(event('epoch_elected', { epoch_id: epoch.id.toString() }));
  ctx.log.info({ epoch: epoch.id.toString(), start: epoch.startL2.toString(), end: epoch.endL2.toString(), producer: toHex(epoch.producer).toUpperCase() }, 'epoch elected');
  return epoch;
}

/** Advance EpochMeta.current by one when the attested head passed its end and the next exists. */
export function maybeAdvance(state: State, ctx: BlockCtx): Epoch | undefined {
  const meta = state.epochMeta();
  const cur = state.epoch(meta.current)!;
  if (meta.l2Head <= cur.endL2 || meta.latest === meta.current) return undefined;
  const next = state.epoch(meta.current + 1n)!;
  state.setEpochMeta({ ...meta, current: next.id });
  ctx.events.push(event('epoch_current', { epoch_id: next.id.toString() }));
  ctx.log.info({ epoch: next.id.toString(), l2Head: meta.l2Head.toString() }, 'epoch is current');
  return next;
}

/**
 * A commitEpoch/recommitEpoch request was signed: its epoch is COMMITTED (if still its request). A
 * re-span's producer could not build before (its first block must carry the recommitEpoch): the L2
 * stall clock starts now for it.
 */
export function onEpochSigned(state: State, epochId: bigint, requestId: bigint, time: bigint): void {
  const e = state.epoch(epochId);
  if (!e || e.signRequest !== requestId) return;
  state.setEpoch({ ...e, status: EpochStatus.COMMITTED });
  const meta = state.epochMeta();
  if (e.isRespan && buildStartOf(e) === meta.l2Head + 1n) state.setEpochMeta({ ...meta, producerSince: time });
}
