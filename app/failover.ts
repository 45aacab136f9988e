// Failover (docs/pool.md "Failover (re-span)"): when the producer that owes the next batch makes no
// progress for respanTimeoutSeconds of block time while the attested L2 head shows it has work, it
// collects a miss (jailed at maxMisses) and a replacement takes the unbatched rest of its epoch.
// SequencerSet.recommitEpoch accepts (old, old + 1, startBlock in old's range and not in the past),
// appending after the latest epoch or replacing the latest one; the app asks only for that.
import { equalBytes, toHex } from '../common/bytes.js';
import { EpochStatus, type Epoch } from '../proto/seqpool.js';
import { encodeRecommitEpoch } from '../protocol/signed-payloads.js';
import { committee, electionSeed, electProducer } from './election.js';
import { epochCovering, signerOf } from './epochs.js';
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

/** L2 blocks between the attested head and the earliest start a recommit may name. */
export const RESPAN_START_MARGIN = 5n;

/** Run once per block after the txs and the election. */
export function checkFailover(state: State, ctx: BlockCtx): void {
  const meta = state.epochMeta();
  const bm = state.batchMeta();
  const owing = epochCovering(state, bm.nextL2Start);
  const gone = producerGone(state, owing, ctx);
  // Without a group key no batch can be signed, and with a full pipeline the producer waits on the
  // pool and on L1: in neither case is it stalling (unless its validator stopped voting). Otherwise
  // only its requests count as progress: signatures and L1 finalizations of batches it requested
  // before dying would hold off its replacement (the clock restarted on each; failover took 20-38 s).
  if (meta.l2Head < bm.nextL2Start || !currentKey(state) || (!gone && batchesAwaitingL1(state) >= MAX_BATCHES_IN_FLIGHT)) {
    state.setWorkSince(undefined);
    return;
  }
  let since = state.workSince();
  if (since === undefined) state.setWorkSince((since = ctx.time));
  const base = bm.lastProgressTime > since ? bm.lastProgressTime : since;
  if (!gone && ctx.time - base <= ctx.params.respanTimeoutSeconds) return;
  const restart = () => {
    state.setBatchMeta({ ...state.batchMeta(), lastProgressTime: ctx.time });
    state.setAbsentSince(undefined);
  };
  if (!owing) {
    ctx.log.error({ nextL2Start: bm.nextL2Start.toString() }, 'no epoch covers the next unbatched L2 block; cannot re-span');
    return restart();
  }
  // The miss.
  const stalled = state.sequencer(owing.producer);
  if (stalled && !stalled.jailed) {
    const misses = (stalled.misses ?? 0) + 1;
    ctx.log.warn({ producer: toHex(owing.producer).toUpperCase(), epoch: owing.id.toString(), misses }, 'producer stalled: miss');
    if (misses >= ctx.params.maxMisses) ctx.jail(owing.producer, 'missed');
    else state.setSequencer({ ...stalled, misses });
  }
  const seed = electionSeed(ctx.hash, state.lastSignature());
  const pick = electProducer(committee(state).filter((s) => !equalBytes(s.address, owing.producer)), seed);
  restart(); // the replacement (or the stalled producer, if none) gets a full timeout
  if (!pick) {
    ctx.log.warn({ epoch: owing.id.toString() }, 'no other candidate for a re-span: the producer continues');
    return;
  }
  const nls = bm.nextL2Start;
  const startBlock = nls > meta.l2Head + RESPAN_START_MARGIN ? nls : meta.l2Head + RESPAN_START_MARGIN;
  const successor = owing.id < meta.latest ? state.epoch(owing.id + 1n)! : undefined;
  const successorStarted = successor !== undefined && meta.current >= successor.id;
  // SequencerSet can move the rest of `owing` only while startBlock lies in owing's L2 range.
  if (startBlock <= owing.endL2 && (successor === undefined || !successorStarted)) {
    const end = successor ? successor.endL2 : owing.endL2;
    const id = owing.id + 1n;
    let record: Epoch = { id, startL2: nls, endL2: end, producer: pick.address, signer: signerOf(pick), seed, electedHeight: ctx.height, signRequest: 0n, status: EpochStatus.ELECTED, respanOf: owing.id, isRespan: true };
    state.setEpoch({ ...owing, endL2: nls - 1n });
    const l2 = state.l2Config();
    if (l2) {
      const r = createSignRequest(state, ctx, { purpose: 'recommitEpoch', chainId: l2.chainId, verifier: l2.sequencerSet, payload: encodeRecommitEpoch(owing.id, id, startBlock, end, record.signer), epochId: id });
      record = { ...record, signRequest: r.id };
    }
    state.setEpoch(record);
    const m = state.epochMeta();
    state.setEpochMeta({ ...m, latest: m.latest > id ? m.latest : id });
    ctx.events.push(event('respan', { old_epoch: owing.id.toString(), new_epoch: id.toString() }));
    ctx.log.warn({ old: owing.id.toString(), new: id.toString(), start: nls.toString(), l2Start: startBlock.toString(), end: end.toString(), producer: toHex(pick.address).toUpperCase() }, 're-span');
    return;
  }
  if (successor) {
    // Too late for SequencerSet (the owing epoch's L2 blocks are produced) or the next epoch already
    // runs: its producer takes over batching the unbatched tail; L2 block production is unchanged.
    state.setEpoch({ ...owing, endL2: nls - 1n });
    state.setEpoch({ ...successor, startL2: nls });
    ctx.events.push(event('respan', { old_epoch: owing.id.toString(), new_epoch: successor.id.toString() }));
    ctx.log.warn({ old: owing.id.toString(), new: successor.id.toString(), start: nls.toString() }, 're-span: the next epoch takes over the unbatched tail');
    return;
  }
  ctx.log.error({ epoch: owing.id.toString(), head: meta.l2Head.toString() }, 'cannot re-span: the epoch is (nearly) over on L2 and no next epoch is elected yet; raise electionLeadBlocks above the start margin');
}
