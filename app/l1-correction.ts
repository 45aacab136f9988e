// Reconciling with L1 after a reorg deeper than the bridge waited for (decision 38). The bridge waits
// for L1 finality (or K confirmations) before it attests an event, but if a reorg reaches below that
// anyway, the pool holds state made from events L1 no longer has. Its validators then attest the
// L1 record of the pool's contracts at one checkpoint block (L1StateCorrection), and the app takes
// each sequencer as L1 has it there, unless the pool applied an event of that sequencer from a later
// block (then the checkpoint cannot judge it). So power never exceeds what L1 holds, an id L1 gave to
// a new key is applied afresh, and batches L1 lost go back to awaiting L1 (their rewards are not
// issued a second time: the signed authorizations L1 lost are simply relayed again, in nonce order).
import { equalBytes, toHex } from '../common/bytes.js';
import { BatchStatus, SequencerStatus, type L1SequencerState, type L1StateCorrection, type Params, type Sequencer } from '../proto/seqpool.js';
import { changeSigner, releaseExitedId, store, unbindPeer, usableKey } from './staking-events.js';
import { batchesDisagreeing, L1Status, sequencerDisagrees, statusOf } from '../protocol/l1-state.js';
import { event, type BlockCtx } from './sign-requests.js';
import type { State } from './state.js';

/** A correction lists every id; more than this many sequencers is not a pool this app runs. */
const MAX_CORRECTION_SEQUENCERS = 1_000;

const DECIMAL = /^[0-9]{1,78}$/;
const NONE = new Uint8Array(0);

/** Structural problems of a correction, independent of state; undefined if well-formed. */
export function l1CorrectionProblem(c: L1StateCorrection): string | undefined {
  if (c.lockingPool.length !== 20) return 'locking_pool must be a 20-byte address';
  if (c.batchInbox.length !== 0 && c.batchInbox.length !== 20) return 'batch_inbox must be empty or a 20-byte address';
  if (c.blockNumber <= 0n || c.blockHash.length !== 32) return 'a correction names a positive block number and its 32-byte hash';
  if (c.sequencers.length > MAX_CORRECTION_SEQUENCERS) return `over ${MAX_CORRECTION_SEQUENCERS} sequencers`;
  for (const [i, r] of c.sequencers.entries()) {
    if (r.id !== BigInt(i + 1)) return `sequencer ${i + 1} of the list has id ${r.id}: ids run 1, 2, ... in order`;
    if (r.status > L1Status.UNLOCKED) return `sequencer ${r.id}: status ${r.status} is not a LockingPool status`;
    if (r.status === L1Status.NONE) {
      if (r.signer.length || r.signerPubkey.length || r.nonce !== 0n || r.amount !== '0') return `sequencer ${r.id}: an id L1 does not have carries no signer, stake or nonce`;
      continue;
    }
    if (r.signer.length !== 20 || r.signerPubkey.length !== 64) return `sequencer ${r.id}: signer must be 20 bytes and its pubkey 64`;
    if (!DECIMAL.test(r.amount) || r.nonce <= 0n) return `sequencer ${r.id}: amount must be a decimal uint256 and nonce positive`;
  }
  return undefined;
}

export type CorrectionOutcome = { ok: true; sequencers: bigint[]; batches: bigint } | { ok: false; reason: string };

/** Apply an attested correction; the reason it changed nothing otherwise. */
export function applyL1Correction(state: State, c: L1StateCorrection, ctx: BlockCtx): CorrectionOutcome {
  const problem = l1CorrectionProblem(c);
  if (problem) return { ok: false, reason: problem };
  const l1 = state.l1Config();
  if (!l1) return { ok: false, reason: 'this chain follows no L1 LockingPool' };
  if (c.chainId !== l1.chainId || !equalBytes(c.lockingPool, l1.lockingPool) || !equalBytes(c.batchInbox, l1.batchInbox ?? NONE)) {
    return { ok: false, reason: `correction of chain ${c.chainId} contracts 0x${toHex(c.lockingPool)}/0x${toHex(c.batchInbox)}, not the pool's` };
  }
  const meta = state.l1CorrectionMeta();
  if (c.blockNumber <= meta.lastBlock) return { ok: false, reason: `correction at L1 block ${c.blockNumber}, not after the last one applied (block ${meta.lastBlock})` };
  const known = state.maxSequencerId();
  if (BigInt(c.sequencers.length) < known) return { ok: false, reason: `correction lists ${c.sequencers.length} ids; the pool holds ids up to ${known}` };
  const params = state.params();
  const sequencers = c.sequencers.filter((r) => correctSequencer(state, r, c.blockNumber, params)).map((r) => r.id);
  const batches = correctBatches(state, c, ctx);
  state.setL1CorrectionMeta({ lastBlock: c.blockNumber, applied: meta.applied + 1n });
  ctx.events.push(event('l1_correction', { block: c.blockNumber.toString(), sequencers: sequencers.join(','), batches_unfinalized: batches.toString() }));
  ctx.log.warn({ l1Block: c.blockNumber.toString(), sequencers: sequencers.map(String), batchesUnfinalized: batches.toString() }, 'pool state corrected to L1 (a reorg deeper than the bridge waited for)');
  return { ok: true, sequencers, batches };
}

/** Sets id `r.id` to L1's record at `block`; false when it already matched or cannot be judged there. */
function correctSequencer(state: State, r: L1SequencerState, block: bigint, params: Params): boolean {
  const current = state.sequencerById(r.id);
  if (!sequencerDisagrees(current, r, block)) return false;
  if (r.status === L1Status.NONE) {
    removeId(state, current!);
    return true;
  }
  const status = statusOf(r.status);
  const fields: Partial<Sequencer> = { l1Nonce: r.nonce, l1Block: block, locked: r.amount, status, deactivationTime: r.deactivationTime, signer: r.signer };
  if (!current) {
    // An id the pool never applied (its Locked was lost, or the pool removed it): seated like a lock.
    const base: Sequencer = { address: NONE, pubKey: NONE, power: 0n, nonce: 0n, sequencerId: r.id, ...fields };
    const key = usableKey(state, r.signerPubkey, r.signer);
    if ('problem' in key) store(state, { ...base, inactive: key.problem }, params);
    else {
      if (key.record) releaseExitedId(state, key.record);
      store(state, { ...base, address: key.address, pubKey: key.pubKey, nonce: key.record?.nonce ?? 0n, sidecarNonce: key.record?.sidecarNonce ?? 0n }, params);
    }
    return true;
  }
  const next: Sequencer = { ...current, ...fields };
  if (!equalBytes(current.signer ?? NONE, r.signer)) changeSigner(state, next, { oldSigner: current.signer ?? NONE, newSigner: r.signer, signerPubkey: r.signerPubkey }, params);
  else store(state, status === SequencerStatus.EXITED ? unbindPeer(state, next) : next, params);
  if (status === SequencerStatus.EXITED) {
    const seated = state.sequencerById(r.id);
    if (seated?.peer) store(state, unbindPeer(state, seated), params);
  }
  return true;
}

/** L1 has no such id: the pool's record came from events an orphaned block carried. Its key keeps
 * its tx nonces (decision 31) but no longer holds the id, so a later Locked of the id starts afresh. */
function removeId(state: State, s: Sequencer): void {
  if (s.pubKey.length > 0) {
    const key = unbindPeer(state, s);
    state.setSequencer({ ...key, status: SequencerStatus.EXITED, power: 0n, locked: '0', sequencerId: 0n, l1Nonce: 0n, l1Block: 0n, inactive: '' });
  }
  state.unseatSequencerId(s.sequencerId ?? 0n);
}

/**
 * Batches the pool counts final but L1 does not have at the block go back to SIGNED (awaiting L1):
 * the producer's submitter appends them again. Only when the first of them was finalized from a block
 * at or before the checkpoint (a later BatchAppended cannot be judged there).
 */
function correctBatches(state: State, c: L1StateCorrection, ctx: BlockCtx): bigint {
  const meta = state.batchMeta();
  const missing = batchesDisagreeing(meta.finalized, state.batch(c.nextBatchIndex)?.l1Block, c);
  if (missing === 0n) return 0n;
  for (let i = c.nextBatchIndex; i < meta.finalized; i++) {
    const b = state.batch(i)!;
    state.setBatch({ ...b, status: BatchStatus.SIGNED, finalizedHeight: 0n, l1TxHash: NONE, l1Block: 0n });
    ctx.events.push(event('batch_unfinalized', { index: i.toString() }));
  }
  state.setBatchMeta({ ...meta, finalized: c.nextBatchIndex });
  return missing;
}
