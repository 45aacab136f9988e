// The app as the ABCI server sees it, timed: every method's duration goes to
// seqpool_abci_method_duration_seconds, and a block's events (with its time and the validators its
// decided last commit marks absent) go to NodeMetrics.onCommit once its Commit succeeded, so the
// counters never include a block that was not committed. The app itself stays free of metrics.
import type * as abci from 'cosmjs-types/tendermint/abci/types';
import { BlockIDFlag } from 'cosmjs-types/tendermint/types/validator';
import type { AbciApplication } from '../abci/application.js';
import { toHex } from '../common/bytes.js';
import type { AppEvent } from '../app/mpc-sessions.js';
import type { CommittedBlock, NodeMetrics } from './metrics.js';

type Method = Exclude<keyof AbciApplication, 'listSnapshots' | 'offerSnapshot' | 'loadSnapshotChunk' | 'applySnapshotChunk'>;

/** CometBFT's method label style (cometbft_abci_connection_method_timing_seconds). */
const LABEL: Record<Method, string> = {
  info: 'info',
  initChain: 'init_chain',
  query: 'query',
  checkTx: 'check_tx',
  prepareProposal: 'prepare_proposal',
  processProposal: 'process_proposal',
  extendVote: 'extend_vote',
  verifyVoteExtension: 'verify_vote_extension',
  finalizeBlock: 'finalize_block',
  commit: 'commit',
};

export function meteredApp(app: AbciApplication, metrics: NodeMetrics): AbciApplication {
  let finalized: CommittedBlock | undefined;
  const timed = <K extends Method>(method: K) => {
    const label = { method: LABEL[method] };
    const call = app[method].bind(app) as (req: Parameters<AbciApplication[K]>[0]) => ReturnType<AbciApplication[K]>;
    return async (req: Parameters<AbciApplication[K]>[0]): Promise<Awaited<ReturnType<AbciApplication[K]>>> => {
      const end = metrics.abciSeconds.startTimer(label);
      try {
        return await call(req);
      } catch (e) {
        metrics.abciErrors.inc(label);
        throw e;
      } finally {
        end();
      }
    };
  };
  const finalizeBlock = timed('finalizeBlock');
  const commit = timed('commit');
  return {
    info: timed('info'),
    initChain: timed('initChain'),
    query: timed('query'),
    checkTx: timed('checkTx'),
    prepareProposal: timed('prepareProposal'),
    processProposal: timed('processProposal'),
    extendVote: timed('extendVote'),
    verifyVoteExtension: timed('verifyVoteExtension'),
    async finalizeBlock(req: abci.RequestFinalizeBlock) {
      finalized = undefined;
      const res = await finalizeBlock(req);
      const events = [...(res.events ?? []), ...(res.txResults ?? []).flatMap((r) => r?.events ?? [])] as AppEvent[];
      const absent = (req.decidedLastCommit?.votes ?? []).filter((v) => v.blockIdFlag === BlockIDFlag.BLOCK_ID_FLAG_ABSENT && v.validator).map((v) => toHex(v.validator!.address).toUpperCase());
      const time = Number(req.time?.seconds ?? 0n) + (req.time?.nanos ?? 0) / 1e9;
      finalized = { height: req.height, time, events, absent };
      return res;
    },
    async commit(req: abci.RequestCommit) {
      const block = finalized; // this Commit's block, whether or not it succeeds
      finalized = undefined;
      const res = await commit(req);
      try {
        if (block) metrics.onCommit(block);
      } catch {
        // a metric must never fail a Commit
      }
      return res;
    },
  };
}
