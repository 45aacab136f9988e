// MPC lifecycle as replicated state (docs/pool.md "Committee, validator set changes and MPC
// sessions"). SIGNATURES ONLY for now: the implementation lands with the MPC-state work; app.ts
// codes against these.
import type { Logger } from '../common/log.js';
import type { MpcKey, MpcPublic, MpcSession, Params, Sequencer } from '../proto/seqpool.js';
import type { State, View } from './state.js';

/** An ABCI event in the shape FinalizeBlock returns. */
export interface AppEvent {
  type: string;
  attributes: { key: string; value: string; index: boolean }[];
}

export interface MpcBlockContext {
  height: bigint;
  /** Block time, unix seconds. */
  time: bigint;
  params: Params;
  log: Logger;
  /** Jail a sequencer (app-owned: sets jailed + reason, creates a slash request when configured). */
  jail(address: Uint8Array, reason: string): void;
  events: AppEvent[];
}

/** The current sharing, or undefined before the genesis DKG finished. */
export function currentKey(state: State, view: View = 'working'): MpcKey | undefined {
  void state;
  void view;
  return undefined;
}

/** The open session, if any. */
export function openSession(state: State, view: View = 'working'): MpcSession | undefined {
  void state;
  void view;
  return undefined;
}

/** Why an MpcPublic tx must be rejected (undefined: acceptable), without changing state (CheckTx). */
export function checkMpcPublic(state: State, view: View, msg: MpcPublic, signer: Sequencer): string | undefined {
  void state;
  void view;
  void msg;
  void signer;
  return 'MPC sessions are not implemented yet';
}

/** Apply an MpcPublic tx (FinalizeBlock); returns a rejection reason or undefined when applied. */
export function deliverMpcPublic(state: State, msg: MpcPublic, signer: Sequencer, ctx: MpcBlockContext): string | undefined {
  void state;
  void msg;
  void signer;
  void ctx;
  return 'MPC sessions are not implemented yet';
}

/**
 * Called once per block after the txs: opens the genesis DKG when there is no key and no session,
 * finalises the open session when it is complete or past its final height, retries failures.
 */
export function endBlockMpc(state: State, ctx: MpcBlockContext): void {
  void state;
  void ctx;
}

/**
 * Called at an epoch boundary with the new committee (active, unjailed, power > 0, by address):
 * opens a reshare when it differs from the key's members, or a refresh when one is due.
 */
export function onEpochBoundary(state: State, committee: Sequencer[], epochId: bigint, ctx: MpcBlockContext): void {
  void state;
  void committee;
  void epochId;
  void ctx;
}

/** abci_query paths under /mpc/ (JSON answers), or undefined when the path is not an MPC path. */
export function mpcQuery(state: State, path: string): { code: number; value?: unknown; log?: string } | undefined {
  void state;
  void path;
  return undefined;
}
