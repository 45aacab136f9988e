// The seqpool ABCI application: the deterministic state machine behind CometBFT, free of I/O except
// through the injected persistence. Modelled on CometBFT's abci/example/kvstore: the whole ABCI
// contract in one place, delegating each concern to its module.
import type * as abci from 'cosmjs-types/tendermint/abci/types';
import { BlockIDFlag } from 'cosmjs-types/tendermint/types/validator';
import { ResponseProcessProposal_ProposalStatus as ProposalStatus, ResponseVerifyVoteExtension_VerifyStatus as VerifyStatus } from 'cosmjs-types/tendermint/abci/types';
import type { AbciApplication, DeepPartial } from '../abci/application.js';
import { equalBytes, toHex, uvarint } from '../common/bytes.js';
import { silentLogger, type Logger } from '../common/log.js';
import { CODESPACE, TxCode } from '../protocol/codes.js';
import { Lane } from '../protocol/tx.js';
import { GenesisError, parseGenesis } from './genesis-state.js';
import type { ObservationSource } from '../protocol/observations.js';
import type { StatePersistence } from './persistence.js';
import { answerQuery } from './queries.js';
import { State, type View } from './state.js';
import type { Observation, Sequencer } from '../proto/seqpool.js';
import { StateStore } from './store.js';
import { checkTx, laneNonce, type CheckedTx, type TxView } from './txs.js';
import { VerifiedTxMemo } from './tx-memo.js';
import { verify } from '../common/secp.js';
import { applyL1Event } from './staking-events.js';
import { ethAddress } from '../protocol/l1-signer.js';
import { sortValidators, validatorUpdatesBetween } from './validator-set.js';
import * as ve from './vote-extensions.js';
import { applyBatchAppended } from './batches.js';
import { applyL1Correction } from './l1-correction.js';
import { initEpochs } from './epochs.js';
import { advanceL2Head, attestedL2Head } from './attested-l2-head.js';
import type { AppEvent } from './mpc-sessions.js';
import type { StakingStateView } from '../protocol/staking-state-view.js';
import { applyMessage, beginBlock, blockContext, endBlock, messageProblem } from './block-lifecycle.js';
import type { BlockCtx } from './sign-requests.js';

/** The state machine's rules (decision 34): 2 is the hardened pool (decisions 24-31), 3 the pool
 * whose batches carry their L2 data (issue 13, decision 43). */
export const APP_VERSION = 4n;
export const SOFTWARE_VERSION = '0.1.0';

export interface SeqpoolAppOptions {
  persistence: StatePersistence;
  observations?: ObservationSource;
  logger?: Logger;
  /** The L2 head this node's bridge sees, for its vote extension (undefined: unknown). */
  l2Head?: () => bigint | undefined;
  /** Test hook that replaces this node's extension (byzantine-validator tests). */
  tamperVoteExtension?: (honest: Uint8Array) => Uint8Array;
}

type Res<T> = Promise<DeepPartial<T>>;

/** Addresses (lower-case hex) the decided last commit marks ABSENT; undefined without commit info. */
function absentValidators(votes: readonly abci.VoteInfo[] | undefined): Set<string> | undefined {
  if (!votes || votes.length === 0) return undefined;
  return new Set(votes.filter((v) => v.blockIdFlag === BlockIDFlag.BLOCK_ID_FLAG_ABSENT && v.validator).map((v) => toHex(v.validator!.address).toLowerCase()));
}

/** Called after a Commit: the committed height and the event types of that block. */
export type CommitListener = (height: bigint, eventTypes: readonly string[]) => void;

export class SeqpoolApp implements AbciApplication {
  readonly state: State;
  private lastHeight = 0n;
  private lastAppHash: Uint8Array = new Uint8Array(0);
  private finalized?: { height: bigint; time: bigint; appHash: Uint8Array; eventTypes: string[] };
  private lastTime = 0n;
  private readonly commitListeners = new Set<CommitListener>();
  private checkNonces = new Map<string, bigint>(); // mempool view: next nonce per (signer, lane)
  private mempoolView?: TxView; // built once per commit: decoding params per CheckTx showed in profiles
  private proposals = new Map<string, ve.CommitCheck>(); // verified extended commits by block hash
  private readonly signatures = new ve.VerifiedSignatures();
  private readonly verifiedTxs = new VerifiedTxMemo(); // bounded in bytes; only sequencers' verified txs
  private readonly log: Logger;

  private constructor(private readonly opts: SeqpoolAppOptions) {
    this.state = new State(new StateStore());
    this.log = opts.logger ?? silentLogger();
  }

  /** Open the app on its persisted state (a fresh node starts empty and waits for InitChain). */
  static async open(opts: SeqpoolAppOptions): Promise<SeqpoolApp> {
    const app = new SeqpoolApp(opts);
    const saved = await opts.persistence.load();
    if (saved) {
      app.state.store.load(saved.entries);
      const root = app.state.store.committedRoot();
      if (!equalBytes(root, saved.appHash)) {
        throw new Error(`stored state does not match its app hash at height ${saved.height} (${toHex(root)} != ${toHex(saved.appHash)}): the state database is corrupt; restore it or resync the node`);
      }
      app.lastHeight = saved.height;
      app.lastAppHash = saved.appHash;
      const version = app.state.chain('committed')?.appVersion || 1n; // unset (0) before version 2
      if (version !== APP_VERSION) {
        throw new Error(
          `the state database was written by app version ${version} and this is app version ${APP_VERSION}, whose rules differ (docs/decisions.md 34): ` +
            'start the chain again from a fresh genesis (for a localnet: seqpool localnet up --reset), or run the seqpool release that wrote it',
        );
      }
    }
    return app;
  }

  /** Committed staking state for the bridge: which L1 event nonce comes next, what is settled, and
   * the records it compares with L1 after a deep reorg (decision 38). */
  stakingView(): Required<StakingStateView> {
    return {
      nextNonce: (id) => (this.state.sequencerById(id, 'committed')?.l1Nonce ?? 0n) + 1n,
      isSettled: (digest) => this.state.observation(digest, 'committed') !== undefined,
      nextBatchIndex: () => this.state.batchMeta('committed').finalized,
      sequencerById: (id) => this.state.sequencerById(id, 'committed'),
      maxSequencerId: () => this.state.maxSequencerId('committed'),
      batchL1Block: (index) => this.state.batch(index, 'committed')?.l1Block,
    };
  }

  get height(): bigint {
    return this.lastHeight;
  }

  /** The block time (unix seconds) of the last block this process committed; 0 before the first. */
  get blockTime(): bigint {
    return this.lastTime;
  }
  get appHash(): Uint8Array {
    return this.lastAppHash;
  }

  async info(_req: abci.RequestInfo): Res<abci.ResponseInfo> {
    return { data: 'seqpool', version: SOFTWARE_VERSION, appVersion: APP_VERSION, lastBlockHeight: this.lastHeight, lastBlockAppHash: this.lastAppHash };
  }

  async initChain(req: abci.RequestInitChain): Res<abci.ResponseInitChain> {
    if (this.lastHeight > 0n) throw new Error(`InitChain at committed height ${this.lastHeight}: the app database belongs to a running chain`);
    this.state.store.discard();
    this.mempoolView = undefined;
    const genesis = parseGenesis(req.appStateBytes);
    // The sequencer set in app_state must be exactly the validator set of genesis.json.
    const given = new Map(req.validators.map((v) => [toHex(v.pubKey?.secp256k1 ?? new Uint8Array(0)), BigInt(v.power)]));
    if (req.validators.some((v) => !v.pubKey?.secp256k1)) throw new GenesisError('genesis.json validators must use secp256k1 keys (decision 3)');
    if (given.size !== genesis.sequencers.length || genesis.sequencers.some((s) => given.get(toHex(s.pubKey)) !== s.power)) {
      throw new GenesisError('genesis.json validators and app_state.sequencers differ: every sequencer must be a genesis validator with the same power');
    }
    const veHeight = req.consensusParams?.abci?.voteExtensionsEnableHeight ?? 0n;
    this.state.setChain({ chainId: req.chainId, voteExtensionsEnableHeight: veHeight, initialHeight: req.initialHeight, appVersion: APP_VERSION });
    this.state.setParams(genesis.params);
    if (genesis.l1) this.state.setL1Config(genesis.l1);
    if (genesis.l2) this.state.setL2Config(genesis.l2);
    for (const s of genesis.sequencers) {
      this.state.setSequencer({ address: s.address, pubKey: s.pubKey, power: s.power, nonce: 0n, sequencerId: s.sequencerId, l1Nonce: s.l1Nonce, locked: s.locked, signer: ethAddress(s.pubKey) });
    }
    const validators = sortValidators(genesis.sequencers.map((s) => ({ address: s.address, pubKey: s.pubKey, power: s.power })));
    this.state.addValidatorSet({ fromHeight: req.initialHeight, validators }, req.initialHeight);
    const epoch0 = initEpochs(this.state, req.chainId, req.initialHeight, req.time?.seconds ?? 0n);
    this.log.info({ producer: toHex(epoch0.producer).toUpperCase(), end: epoch0.endL2.toString() }, 'epoch 0 elected');
    this.log.info({ chainId: req.chainId, validators: validators.length, veHeight: veHeight.toString() }, 'genesis applied');
    return { appHash: this.state.store.workingRoot(), validators: [] };
  }

  async query(req: abci.RequestQuery): Res<abci.ResponseQuery> {
    return answerQuery(req, this.state, this.lastHeight);
  }

  async checkTx(req: abci.RequestCheckTx): Res<abci.ResponseCheckTx> {
    const chain = this.state.chain('committed');
    if (!chain) return { code: TxCode.INTERNAL, codespace: CODESPACE, log: 'node has no committed state yet; retry after the first block' };
    const result = checkTx(req.tx, (this.mempoolView ??= this.txView('committed', this.checkNonces)));
    if (result.code !== TxCode.OK) {
      this.log.debug({ code: result.code, reason: result.log }, 'CheckTx rejected tx');
      return { code: result.code, codespace: CODESPACE, log: result.log };
    }
    this.checkNonces.set(nonceKey(result.sequencer.address, result.lane), result.body.nonce + 1n);
    return { code: TxCode.OK, gasWanted: 1n };
  }

  async prepareProposal(req: abci.RequestPrepareProposal): Res<abci.ResponsePrepareProposal> {
    const txs: Uint8Array[] = [];
    let budget = req.maxTxBytes;
    const take = (tx: Uint8Array): boolean => {
      const size = BigInt(tx.length + 1 + uvarint(tx.length).length); // as CometBFT counts it
      if (size > budget) return false;
      budget -= size;
      txs.push(tx);
      return true;
    };
    if (ve.expectsVoteExtensions(req.height, this.chain().voteExtensionsEnableHeight)) {
      if (!take(ve.encodeInjected(req.localLastCommit))) throw new Error('extended commit does not fit in max_tx_bytes');
    }
    for (const tx of req.txs) if (!ve.isInjected(tx)) take(tx);
    return { txs };
  }

  async processProposal(req: abci.RequestProcessProposal): Res<abci.ResponseProcessProposal> {
    const problem = this.checkProposal(req.txs, req.height, req.hash);
    if (problem) {
      this.log.warn({ height: req.height.toString(), proposer: toHex(req.proposerAddress).toUpperCase(), reason: problem }, 'rejecting proposal');
      return { status: ProposalStatus.REJECT };
    }
    return { status: ProposalStatus.ACCEPT };
  }

  async extendVote(_req: abci.RequestExtendVote): Res<abci.ResponseExtendVote> {
    const pending = this.opts.observations?.pending() ?? [];
    let head: bigint | undefined;
    try {
      head = this.opts.l2Head?.();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'L2 head source failed; voting without an L2 head');
    }
    let ext = ve.buildVoteExtension(pending, this.state.params(), (d) => this.state.observation(d) !== undefined, head);
    if (this.opts.tamperVoteExtension) ext = this.opts.tamperVoteExtension(ext);
    return { voteExtension: ext };
  }

  async verifyVoteExtension(req: abci.RequestVerifyVoteExtension): Res<abci.ResponseVerifyVoteExtension> {
    const parsed = ve.parseVoteExtension(req.voteExtension, this.state.params());
    if (!parsed.ok) {
      this.log.warn({ height: req.height.toString(), validator: toHex(req.validatorAddress).toUpperCase(), reason: parsed.reason }, 'rejecting vote extension');
      return { status: VerifyStatus.REJECT };
    }
    return { status: VerifyStatus.ACCEPT };
  }

  async finalizeBlock(req: abci.RequestFinalizeBlock): Res<abci.ResponseFinalizeBlock> {
    const height = req.height;
    const chain = this.chain();
    const expects = ve.expectsVoteExtensions(height, chain.voteExtensionsEnableHeight);
    const events: AppEvent[] = [];
    const txResults: DeepPartial<abci.ExecTxResult>[] = [];
    const absent = absentValidators(req.decidedLastCommit?.votes);
    const ctx = blockContext(this.state, { height, time: req.time?.seconds ?? 0n, hash: req.hash, params: this.state.params(), log: this.log, events, ...(absent ? { absent } : {}) });
    let startAt = 0;
    const setBefore = this.state.latestValidatorSet().validators;
    if (expects && req.txs[0] && ve.isInjected(req.txs[0])) {
      startAt = 1;
      txResults.push({ code: TxCode.OK, log: 'vote extensions of the previous height' });
      const check = this.proposals.get(toHex(req.hash)) ?? this.checkCommit(req.txs[0], height);
      if (check.ok) {
        for (const reason of check.ignored) this.log.warn({ height: height.toString(), reason }, 'malformed vote extension not counted');
        this.applyAttestations(check, ctx);
      }
      else this.log.error({ height: height.toString(), reason: check.reason }, 'decided block carries an invalid extended commit; no observation applied');
    }
    beginBlock(this.state, ctx);
    const nonces = new Map<string, bigint>();
    const view = this.txView('working', nonces);
    for (const raw of req.txs.slice(startAt)) txResults.push(this.deliverTx(raw, view, nonces, ctx));
    this.proposals.clear();
    // The CometBFT set follows the committee only at epoch boundaries (docs/pool.md).
    const set = endBlock(this.state, ctx, setBefore);
    // Updates returned at height H take effect at H+2 (CometBFT); the set in force at H must stay
    // known for the next ProcessProposal, which checks the votes of H.
    const updates = validatorUpdatesBetween(setBefore, set);
    if (updates.length > 0) {
      this.state.addValidatorSet({ fromHeight: height + 2n, validators: set }, height);
      this.log.info({ height: height.toString(), updates: updates.map((u) => ({ pubKey: toHex(u.pubKey), power: u.power.toString() })) }, 'validator set changes');
    }
    const appHash = this.state.store.workingRoot();
    const eventTypes = new Set(events.map((e) => e.type));
    for (const r of txResults) for (const e of r.events ?? []) if (e?.type) eventTypes.add(e.type);
    this.finalized = { height, time: req.time?.seconds ?? 0n, appHash, eventTypes: [...eventTypes] };
    return { events, txResults, validatorUpdates: updates.map((u) => ({ pubKey: { secp256k1: u.pubKey }, power: u.power })), appHash };
  }

  async commit(_req: abci.RequestCommit): Res<abci.ResponseCommit> {
    if (!this.finalized) throw new Error('Commit without FinalizeBlock');
    const { height, time, appHash, eventTypes } = this.finalized;
    const changes = this.state.store.commit();
    await this.opts.persistence.save(height, appHash, changes);
    this.lastHeight = height;
    this.lastTime = time;
    this.lastAppHash = appHash;
    this.finalized = undefined;
    this.checkNonces.clear(); // CometBFT rechecks the mempool against the new state next
    this.mempoolView = undefined;
    this.log.debug({ height: height.toString(), appHash: toHex(appHash), changes: changes.length }, 'committed');
    for (const fn of this.commitListeners) {
      try {
        fn(height, eventTypes);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'commit listener failed');
      }
    }
    return { retainHeight: 0n };
  }

  /**
   * Calls `fn` after each Commit with the height and the block's event types (in-process followers
   * such as the bridge wake on it instead of polling). It must not touch state; returns an unsubscribe.
   */
  onCommit(fn: CommitListener): () => void {
    this.commitListeners.add(fn);
    return () => this.commitListeners.delete(fn);
  }

  // ---------- helpers ----------

  private chain() {
    const c = this.state.chain();
    if (!c) throw new Error('no chain info: InitChain has not run');
    return c;
  }

  private txView(view: View, nonces: Map<string, bigint>): TxView {
    const chainId = this.state.chain(view)!.chainId;
    // The committed view does not change until the next Commit drops it, so its sequencer records
    // are decoded once; the working view's change as the block applies txs. Only sequencers are
    // remembered: a miss is a stranger's address, and strangers must not grow anything.
    const memo = view === 'committed' ? new Map<string, Sequencer>() : undefined;
    const lookup = (a: Uint8Array): Sequencer | undefined => {
      if (!memo) return this.state.sequencer(a, view);
      const id = toHex(a);
      const hit = memo.get(id);
      if (hit) return hit;
      const s = this.state.sequencer(a, view);
      if (s) memo.set(id, s);
      return s;
    };
    return {
      chainId,
      params: this.state.params(view),
      sequencer: lookup, // checkTx decides what a non-active sequencer may still sign
      expectedNonce: (s, lane) => nonces.get(nonceKey(s.address, lane)) ?? laneNonce(s, lane) + 1n,
      messageProblem: (body, s) => messageProblem(this.state, view, body, s),
      peerOwner: (p) => this.state.peerOwner(p, view),
      parties: this.state.sequencers(view).length,
      memo: this.verifiedTxs,
      verify,
    };
  }

  private deliverTx(raw: Uint8Array, view: TxView, nonces: Map<string, bigint>, ctx: BlockCtx): DeepPartial<abci.ExecTxResult> {
    const checked: CheckedTx = checkTx(raw, view);
    if (checked.code !== TxCode.OK) return { code: checked.code, codespace: CODESPACE, log: checked.log };
    const { body, lane } = checked;
    const address = toHex(checked.sequencer.address);
    const attributes = [{ key: 'signer', value: address.toUpperCase(), index: true }];
    let type = 'bind_peer';
    if (body.bindPeer) {
      const sequencer = checked.sequencer;
      if (sequencer.peer && sequencer.peer.peerId !== body.bindPeer.peerId) this.state.deletePeer(sequencer.peer.peerId);
      this.state.setPeerOwner(body.bindPeer.peerId, address);
      this.state.setSequencer({ ...sequencer, peer: { peerId: body.bindPeer.peerId, addrs: body.bindPeer.addrs, height: ctx.height } });
      attributes.push({ key: 'peer_id', value: body.bindPeer.peerId, index: true });
    } else {
      const outcome = applyMessage(this.state, body, checked.sequencer, ctx);
      if (outcome.reason !== undefined) return { code: TxCode.INVALID_MESSAGE, codespace: CODESPACE, log: outcome.reason }; // changed nothing
      type = body.mpcPublic ? 'mpc_public' : body.requestBatch ? 'request_batch' : body.submitSignature ? 'submit_signature' : 'report_cheater';
      for (const [key, value] of Object.entries(outcome.attributes)) attributes.push({ key, value, index: true });
    }
    // The message may have changed the signer's record (a jailing): bump the nonce on the fresh one.
    const fresh = this.state.sequencer(checked.sequencer.address)!;
    this.state.setSequencer(lane === Lane.SIDECAR ? { ...fresh, sidecarNonce: body.nonce } : { ...fresh, nonce: body.nonce });
    nonces.set(nonceKey(checked.sequencer.address, lane), body.nonce + 1n);
    return { code: TxCode.OK, events: [{ type, attributes }] };
  }

  /** Why a proposal must be rejected, or undefined. Caches a verified extended commit. */
  private checkProposal(txs: Uint8Array[], height: bigint, hash: Uint8Array): string | undefined {
    const expects = ve.expectsVoteExtensions(height, this.chain().voteExtensionsEnableHeight);
    const injectedAt = txs.findIndex(ve.isInjected);
    if (!expects) return injectedAt >= 0 ? `tx ${injectedAt} carries vote extensions before they are enabled` : undefined;
    if (injectedAt !== 0 || txs.slice(1).some(ve.isInjected)) return 'txs[0] and only txs[0] must carry the extended commit';
    const check = this.checkCommit(txs[0]!, height);
    if (!check.ok) return check.reason;
    // Kept for FinalizeBlock of the same block; rounds add proposals, so a few at most are kept.
    if (this.proposals.size >= MAX_REMEMBERED_PROPOSALS) this.proposals.delete(this.proposals.keys().next().value!);
    this.proposals.set(toHex(hash), check);
    return undefined;
  }

  private checkCommit(injected: Uint8Array, height: bigint): ve.CommitCheck {
    let commit;
    try {
      commit = ve.decodeInjected(injected);
    } catch (e) {
      return { ok: false, reason: `undecodable extended commit: ${(e as Error).message}` };
    }
    const voted = height - 1n;
    return ve.checkExtendedCommit(commit, this.state.validatorSetAt(voted).validators, {
      chainId: this.chain().chainId,
      height: voted,
      params: this.state.params(),
      signatures: this.signatures,
    });
  }

  /** Apply what more than 2/3 attested: the L2 head, then each observation. L1 staking events change
   * sequencer records at once; the CometBFT set follows at the next epoch boundary. */
  private applyAttestations(check: Extract<ve.CommitCheck, { ok: true }>, ctx: BlockCtx): void {
    const head = attestedL2Head(check.votes.map((v) => ({ power: v.validator.power, head: v.l2Head })), check.totalPower);
    if (advanceL2Head(this.state, head, ctx.time)) this.log.debug({ height: ctx.height.toString(), l2Head: head.toString() }, 'attested L2 head advanced');
    for (const a of ve.tallyAttestations(check.votes, check.totalPower)) {
      if (this.state.observation(a.digest)) continue; // settled before: idempotent
      let rejected = '';
      if (a.observation.l1Staking) {
        const r = applyL1Event(this.state, a.observation.l1Staking);
        if (!r.ok) rejected = r.reason;
      } else if (a.observation.batchAppended) rejected = applyBatchAppended(this.state, a.observation.batchAppended, ctx) ?? '';
      else if (a.observation.l1Correction) {
        const r = applyL1Correction(this.state, a.observation.l1Correction, ctx);
        if (!r.ok) rejected = r.reason;
      }
      this.state.setObservation({ digest: a.digest, observation: a.observation, height: ctx.height, power: a.power, totalPower: check.totalPower, rejected });
      const fields = { height: ctx.height.toString(), digest: toHex(a.digest), power: a.power.toString(), total: check.totalPower.toString(), l1: describeL1(a.observation) };
      if (rejected) this.log.warn({ ...fields, reason: rejected }, 'attested observation rejected');
      else this.log.info(fields, 'observation attested and applied');
      const attributes = [{ key: 'digest', value: toHex(a.digest), index: true }];
      if (rejected) attributes.push({ key: 'rejected', value: rejected, index: false });
      ctx.events.push({ type: rejected ? 'observation_rejected' : 'observation_applied', attributes });
    }
  }
}


/** Verified extended commits kept between ProcessProposal and FinalizeBlock (one per round). */
const MAX_REMEMBERED_PROPOSALS = 8;

const nonceKey = (address: Uint8Array, lane: number): string => `${toHex(address)}/${lane}`;

/** A short description of an L1 event for logs: kind, sequencer, nonce, block. */
function describeL1(o: Observation): string | undefined {
  const b = o.batchAppended;
  if (b) return `BatchAppended batch ${b.batchIndex} L2 ${b.l2Start}-${b.l2End} at L1 block ${b.blockNumber}`;
  if (o.l1Correction) return `L1 state correction at L1 block ${o.l1Correction.blockNumber} (${o.l1Correction.sequencers.length} sequencers, next batch ${o.l1Correction.nextBatchIndex})`;
  const e = o.l1Staking;
  if (!e) return undefined;
  const kind = e.locked ? 'Locked' : e.relocked ? 'Relocked' : e.unlockInit ? 'UnlockInit' : e.unlocked ? 'Unlocked' : e.slashed ? 'Slashed' : 'SignerChange';
  return `${kind} sequencer ${e.sequencerId} nonce ${e.nonce} at L1 block ${e.blockNumber}`;
}
