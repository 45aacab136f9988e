// The block lifecycle of the pool (docs/pool.md), called by app.ts for every block: sign-request
// expiry before the txs; election, failover, the epoch boundary (validator set + MPC reshare) and the
// MPC sessions after them; and the check/apply of the pool messages a block carries (MpcPublic,
// RequestBatchSignature, SubmitSignature, ReportSigningCheater). Deterministic.
import { toHex } from '../common/bytes.js';
import { type Sequencer, type SignRequest, type TxBody, type ValidatorEntry } from '../proto/seqpool.js';
import { applyBatchRequest, batchRequestProblem, onBatchExpired, onBatchSigned } from './batches.js';
import { committee } from './election.js';
import { maybeAdvance, maybeElectNext, onEpochSigned } from './epochs.js';
import { checkFailover } from './failover.js';
import { jailSequencer } from './jail.js';
import { checkMpcPublic, deliverMpcPublic, endBlockMpc, onEpochBoundary, type MpcBlockContext } from './mpc-sessions.js';
import { cheaterReport, createSignRequest, expireRequests, recordSignature, submitSignatureProblem, type BlockCtx, type Purpose } from './sign-requests.js';
import type { State, View } from './state.js';

/** The block context with the app-owned jail callback bound to this state. */
export function blockContext(state: State, base: Omit<BlockCtx, 'jail'>): BlockCtx {
  const ctx: BlockCtx = { ...base, jail: (address, reason) => void jailSequencer(state, address, reason, ctx) };
  return ctx;
}

/** Before the block's txs: expire sign requests past their deadline and undo what hangs on them. */
export function beginBlock(state: State, ctx: BlockCtx): void {
  for (const r of expireRequests(state, ctx)) onExpired(state, r, ctx);
}

function onExpired(state: State, r: SignRequest, ctx: BlockCtx): void {
  switch (r.purpose as Purpose) {
    case 'appendBatch':
      return onBatchExpired(state, r, ctx);
    case 'commitEpoch':
    case 'distributeRewards':
    case 'slash': {
      // Re-issued unchanged: commitEpoch ids and authNonces must reach their contract in order.
      const epoch = r.purpose === 'commitEpoch' ? state.epoch(r.epochId) : undefined;
      if (r.purpose === 'commitEpoch' && (!epoch || epoch.signRequest !== r.id)) return;
      const again = createSignRequest(state, ctx, { purpose: r.purpose as Purpose, chainId: r.chainId, verifier: r.verifier, payload: r.payload, batchIndex: r.batchIndex, epochId: r.epochId, requester: r.requester });
      if (epoch) state.setEpoch({ ...epoch, signRequest: again.id });
      return;
    }
    case 'recommitEpoch':
      ctx.log.error({ requestId: r.id.toString(), epoch: r.epochId.toString() }, 'recommitEpoch expired unsigned; the next failover timeout re-spans again');
      return;
  }
}

/**
 * After the txs: election, failover, epoch advance (at which the validator set follows the committee
 * and the MPC sharing is reshared), then the MPC sessions. Returns the validator set after the block.
 */
export function endBlock(state: State, ctx: BlockCtx, set: ValidatorEntry[]): ValidatorEntry[] {
  if (state.hasEpochs()) {
    maybeElectNext(state, ctx);
    checkFailover(state, ctx);
    const advanced = maybeAdvance(state, ctx);
    if (advanced) {
      const members = committee(state);
      if (members.length === 0) ctx.log.error({ epoch: advanced.id.toString() }, 'the committee is empty: the validator set stays as it is');
      else set = members.map((s) => ({ address: s.address, pubKey: s.pubKey, power: s.power }));
      if (members.length > 0) onEpochBoundary(state, members, advanced.id, ctx);
    }
  }
  endBlockMpc(state, ctx);
  return set;
}

/** Why a pool message must be rejected (INVALID_MESSAGE), or undefined; no state change. */
export function messageProblem(state: State, view: View, body: TxBody, signer: Sequencer): string | undefined {
  if (body.mpcPublic) return checkMpcPublic(state, view, body.mpcPublic, signer);
  if (body.requestBatch) return batchRequestProblem(state, view, body.requestBatch, signer);
  if (body.submitSignature) return submitSignatureProblem(state, view, body.submitSignature);
  if (body.reportCheater) {
    const r = cheaterReport(state, view, body.reportCheater);
    return 'problem' in r ? r.problem : undefined;
  }
  return 'tx body carries no known message';
}

/** Apply a message that passed messageProblem on the working state; a reason if it changed nothing. */
export function applyMessage(state: State, body: TxBody, signer: Sequencer, ctx: BlockCtx): { reason?: string; attributes: Record<string, string> } {
  if (body.mpcPublic) {
    const reason = deliverMpcPublic(state, body.mpcPublic, signer, ctx as MpcBlockContext);
    return { reason, attributes: { session: toHex(body.mpcPublic.session) } };
  }
  if (body.requestBatch) {
    const b = applyBatchRequest(state, body.requestBatch, signer, ctx);
    return { attributes: { batch_index: b.index.toString(), request_id: b.signRequest.toString() } };
  }
  if (body.submitSignature) {
    const r = recordSignature(state, body.submitSignature, ctx);
    if (r.purpose === 'commitEpoch' || r.purpose === 'recommitEpoch') onEpochSigned(state, r.epochId, r.id, ctx.time);
    if (r.purpose === 'appendBatch') onBatchSigned(state, r);
    return { attributes: { request_id: r.id.toString() } };
  }
  const report = cheaterReport(state, 'working', body.reportCheater!);
  if ('problem' in report) return { reason: report.problem, attributes: {} };
  ctx.jail(report.address, 'signing-cheater');
  return { attributes: { request_id: body.reportCheater!.requestId.toString(), cheater: toHex(report.address).toUpperCase() } };
}


