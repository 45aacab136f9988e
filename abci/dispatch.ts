// From one decoded Request to one encoded Response: which app method runs, what a missing method
// means, what a throw means, and which app answers CometBFT must never see. This is pure protocol
// policy; sockets, ordering and queueing live in connection.ts and server.ts.
import {
  Request,
  Response,
  ResponseApplySnapshotChunk_Result,
  ResponseOfferSnapshot_Result,
  ResponseProcessProposal_ProposalStatus,
  ResponseVerifyVoteExtension_VerifyStatus,
} from 'cosmjs-types/tendermint/abci/types';
import type { DeepPartial } from 'cosmjs-types/helpers';
import type { Logger } from '../common/log.js';
import type { AbciApplication } from './application.js';

/** The request oneof names; each Response oneof carries the same name. */
export type RequestKind = keyof Request;

export const REQUEST_KINDS: readonly RequestKind[] = [
  'echo',
  'flush',
  'info',
  'initChain',
  'query',
  'checkTx',
  'commit',
  'listSnapshots',
  'offerSnapshot',
  'loadSnapshotChunk',
  'applySnapshotChunk',
  'prepareProposal',
  'processProposal',
  'extendVote',
  'verifyVoteExtension',
  'finalizeBlock',
];

/**
 * A throw here is a bug in the state machine. Answering anything but an exception would let this node
 * diverge from the others (or sign something it should not), so the server sends a ResponseException
 * and closes the connection, and CometBFT stops. Info is included: a wrong height or app hash at
 * handshake replays the wrong blocks.
 */
const CONSENSUS_KINDS: ReadonlySet<RequestKind> = new Set<RequestKind>([
  'info',
  'initChain',
  'prepareProposal',
  'processProposal',
  'extendVote',
  'verifyVoteExtension',
  'finalizeBlock',
  'commit',
]);

/** Answered with a safe default when the app lacks the method (no state sync yet) or it throws. */
const SNAPSHOT_DEFAULTS = {
  listSnapshots: { snapshots: [] },
  // REJECT (this snapshot, try others) rather than ABORT: a peer's snapshot is data we refuse, not an
  // error of ours; with every snapshot rejected CometBFT gives up state sync on its own.
  offerSnapshot: { result: ResponseOfferSnapshot_Result.REJECT },
  loadSnapshotChunk: { chunk: new Uint8Array(0) },
  applySnapshotChunk: { result: ResponseApplySnapshotChunk_Result.ABORT },
} as const;
type SnapshotKind = keyof typeof SNAPSHOT_DEFAULTS;

function isSnapshotKind(kind: RequestKind): kind is SnapshotKind {
  return kind in SNAPSHOT_DEFAULTS;
}

/** The single oneof set in `req`, or why there is none. More than one set is refused as ambiguous:
 * CometBFT never sends that, and guessing which one was meant is not a decision an I/O edge may make. */
export function requestKind(req: Request): { kind: RequestKind } | { error: string } {
  let found: RequestKind | undefined;
  for (const k of REQUEST_KINDS) {
    if (req[k] === undefined) continue;
    if (found !== undefined) return { error: `request sets both ${found} and ${k}` };
    found = k;
  }
  if (found === undefined) {
    // Also what a 0.34/0.37 client's BeginBlock/DeliverTx/EndBlock decode to (reserved field numbers).
    return { error: 'request has no known type set (empty, or from a pre-0.38 ABCI client?)' };
  }
  return { kind: found };
}

export interface Outcome {
  /** The encoded Response; its oneof is always set. */
  body: Uint8Array;
  /** Set when the answer is a ResponseException: the connection must be closed after sending it. */
  fatal?: Error;
}

function encode(partial: DeepPartial<Response>): Uint8Array {
  // fromPartial fills every missing field with its default: ts-proto encoders crash on missing arrays.
  return Response.encode(Response.fromPartial(partial)).finish();
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The answers the server gives itself, without the app or the queue. */
export function serverAnswer(req: Request, kind: 'echo' | 'flush'): Uint8Array {
  return kind === 'echo' ? encode({ echo: { message: req.echo?.message ?? '' } }) : encode({ flush: {} });
}

/**
 * Runs the app method for `kind` and encodes its answer. Never rejects: every failure becomes either
 * a normal answer (CheckTx/Query code 1, snapshot defaults) or a fatal Outcome.
 */
export async function dispatch(app: AbciApplication, req: Request, kind: RequestKind, log: Logger): Promise<Outcome> {
  const method = (app as unknown as Record<string, ((r: unknown) => unknown) | undefined>)[kind];
  try {
    if (isSnapshotKind(kind) && typeof method !== 'function') {
      return { body: encode({ [kind]: SNAPSHOT_DEFAULTS[kind] }) };
    }
    if (typeof method !== 'function') throw new Error(`the application has no ${kind} method`);
    // Call through the app so `this` is the app; `?? {}`: an app that returns nothing still answers.
    const result = ((await method.call(app, req[kind])) ?? {}) as Record<string, unknown>;
    const response = Response.fromPartial({ [kind]: result } as DeepPartial<Response>);
    check(response, req, kind, log);
    return { body: Response.encode(response).finish() };
  } catch (err) {
    return onThrow(err, kind, log);
  }
}

/** Post-conditions on the app's answer that CometBFT would otherwise turn into a halt or a panic. */
function check(response: Response, req: Request, kind: RequestKind, log: Logger): void {
  if (kind === 'processProposal') {
    const r = response.processProposal!;
    if (r.status !== ResponseProcessProposal_ProposalStatus.ACCEPT && r.status !== ResponseProcessProposal_ProposalStatus.REJECT) {
      // CometBFT panics on UNKNOWN. REJECT is the safe reading of "the app did not say yes".
      log.error({ status: r.status }, 'ProcessProposal returned a status other than ACCEPT or REJECT; answering REJECT');
      r.status = ResponseProcessProposal_ProposalStatus.REJECT;
    }
  } else if (kind === 'verifyVoteExtension') {
    const r = response.verifyVoteExtension!;
    if (r.status !== ResponseVerifyVoteExtension_VerifyStatus.ACCEPT && r.status !== ResponseVerifyVoteExtension_VerifyStatus.REJECT) {
      log.error({ status: r.status }, 'VerifyVoteExtension returned a status other than ACCEPT or REJECT; answering REJECT');
      r.status = ResponseVerifyVoteExtension_VerifyStatus.REJECT;
    }
  } else if (kind === 'finalizeBlock') {
    const want = req.finalizeBlock!.txs.length;
    const got = response.finalizeBlock!.txResults.length;
    // CometBFT refuses the block and halts anyway; failing here names the culprit.
    if (got !== want) throw new Error(`FinalizeBlock returned ${got} tx results for ${want} txs`);
  }
}

function onThrow(err: unknown, kind: RequestKind, log: Logger): Outcome {
  const message = errorMessage(err);
  if (kind === 'checkTx') {
    // Bad client data must never reach CometBFT as an exception (it would stop the node): reject the tx.
    log.warn({ err }, 'CheckTx threw; rejecting the tx with code 1');
    return { body: encode({ checkTx: { code: 1, log: `internal error: ${message}` } }) };
  }
  if (kind === 'query') {
    log.warn({ err }, 'Query threw; answering code 1');
    return { body: encode({ query: { code: 1, log: `internal error: ${message}` } }) };
  }
  if (isSnapshotKind(kind)) {
    // State sync is optional: refuse rather than stop the node.
    log.error({ err, req: kind }, 'snapshot method threw; answering the safe default');
    return { body: encode({ [kind]: SNAPSHOT_DEFAULTS[kind] }) };
  }
  if (!CONSENSUS_KINDS.has(kind)) {
    // echo/flush never come here; kept total so a future kind fails loudly instead of silently.
    log.fatal({ err, req: kind }, 'unexpected failure on a server-answered request');
  } else {
    log.fatal({ err, req: kind }, `${kind} threw: sending an exception and closing the connection so CometBFT stops instead of diverging`);
  }
  const fatal = err instanceof Error ? err : new Error(message);
  return { body: encode({ exception: { error: `${kind}: ${message}` } }), fatal };
}
