// The contract between the ABCI socket server (I/O) and the state machine: one method per ABCI 2.0
// request that reaches the application. Echo and Flush never reach it (the server answers them).
// Types are cosmjs-types' tendermint.abci (generated from the CometBFT 0.38 protos, decision 2).
import type {
  RequestApplySnapshotChunk,
  RequestCheckTx,
  RequestCommit,
  RequestExtendVote,
  RequestFinalizeBlock,
  RequestInfo,
  RequestInitChain,
  RequestListSnapshots,
  RequestLoadSnapshotChunk,
  RequestOfferSnapshot,
  RequestPrepareProposal,
  RequestProcessProposal,
  RequestQuery,
  RequestVerifyVoteExtension,
  ResponseApplySnapshotChunk,
  ResponseCheckTx,
  ResponseCommit,
  ResponseExtendVote,
  ResponseFinalizeBlock,
  ResponseInfo,
  ResponseInitChain,
  ResponseListSnapshots,
  ResponseLoadSnapshotChunk,
  ResponseOfferSnapshot,
  ResponsePrepareProposal,
  ResponseProcessProposal,
  ResponseQuery,
  ResponseVerifyVoteExtension,
} from 'cosmjs-types/tendermint/abci/types';

/** Deep-partial response: the server fills defaults with `Response.fromPartial` before encoding. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? DeepPartial<U>[] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
type R<T> = Promise<DeepPartial<T>> | DeepPartial<T>;

export interface AbciApplication {
  info(req: RequestInfo): R<ResponseInfo>;
  initChain(req: RequestInitChain): R<ResponseInitChain>;
  query(req: RequestQuery): R<ResponseQuery>;
  checkTx(req: RequestCheckTx): R<ResponseCheckTx>;
  prepareProposal(req: RequestPrepareProposal): R<ResponsePrepareProposal>;
  processProposal(req: RequestProcessProposal): R<ResponseProcessProposal>;
  extendVote(req: RequestExtendVote): R<ResponseExtendVote>;
  verifyVoteExtension(req: RequestVerifyVoteExtension): R<ResponseVerifyVoteExtension>;
  finalizeBlock(req: RequestFinalizeBlock): R<ResponseFinalizeBlock>;
  commit(req: RequestCommit): R<ResponseCommit>;
  /** Optional until state sync exists; the server answers "no snapshots" / REJECT / ABORT. */
  listSnapshots?(req: RequestListSnapshots): R<ResponseListSnapshots>;
  offerSnapshot?(req: RequestOfferSnapshot): R<ResponseOfferSnapshot>;
  loadSnapshotChunk?(req: RequestLoadSnapshotChunk): R<ResponseLoadSnapshotChunk>;
  applySnapshotChunk?(req: RequestApplySnapshotChunk): R<ResponseApplySnapshotChunk>;
}
