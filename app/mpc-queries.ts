// abci_query answers under /mpc/ (docs/pool.md "Query paths"), read from committed state.
import { toHex } from '../common/bytes.js';
import { encodeL1GroupKey } from '../mpc/l1.js';
import type { MpcKey, MpcMember, MpcSession } from '../proto/seqpool.js';
import { QueryCode } from '../protocol/codes.js';
import { KIND_NAMES, readKey, readOpenSession, readSession, sessionIds, STATUS_NAMES } from './mpc-state.js';
import type { State } from './state.js';

type Answer = { code: number; value?: unknown; log?: string };

const notFound = (log: string): Answer => ({ code: QueryCode.NOT_FOUND, log });

export function keyJson(k: MpcKey): Record<string, unknown> {
  return {
    keyId: k.keyId,
    groupKey: toHex(k.groupKey),
    groupKeyL1: `0x${toHex(encodeL1GroupKey(k.groupKey))}`,
    threshold: k.threshold,
    keyEpoch: k.keyEpoch,
    members: k.members.map((m, i) => ({ ...memberJson(m), verifyingShare: toHex(k.verifyingShares[i]!) })),
    session: toHex(k.session),
    height: k.height.toString(),
  };
}

const memberJson = (m: MpcMember) => ({ index: m.index, address: toHex(m.address).toUpperCase(), identity: toHex(m.identity) });

export function sessionJson(s: MpcSession): Record<string, unknown> {
  return {
    id: toHex(s.id),
    kind: KIND_NAMES[s.kind],
    attempt: s.attempt,
    keyEpoch: s.keyEpoch,
    threshold: s.threshold,
    dealers: s.dealers.map(memberJson),
    receivers: s.receivers.map(memberJson),
    openedHeight: s.openedHeight.toString(),
    dealDeadline: s.dealDeadline.toString(),
    complaintDeadline: s.complaintDeadline.toString(),
    finalHeight: s.finalHeight.toString(),
    status: STATUS_NAMES[s.status],
    transcript: s.transcript.map(toHex),
    ready: s.ready,
    faults: s.faults.map((f) => ({ address: toHex(f.address).toUpperCase(), index: f.index, reason: f.reason })),
    failure: s.failure,
    closedHeight: s.closedHeight.toString(),
    forEpoch: s.forEpoch.toString(),
  };
}

/** The open session, else the newest (highest opened height; a retry beats the attempt it replaced). */
export function currentOrNewestSession(state: State): MpcSession | undefined {
  const open = readOpenSession(state, 'committed');
  if (open) return open;
  let best: MpcSession | undefined;
  for (const id of sessionIds(state, 'committed')) {
    const s = readSession(state, id, 'committed')!;
    if (!best || s.openedHeight > best.openedHeight || (s.openedHeight === best.openedHeight && s.closedHeight > best.closedHeight)) best = s;
  }
  return best;
}

export function answerMpcQuery(state: State, path: string): Answer | undefined {
  if (!path.startsWith('/mpc/')) return undefined;
  if (path === '/mpc/key') {
    const k = readKey(state, 'committed');
    return k ? { code: QueryCode.OK, value: keyJson(k) } : notFound('no MPC key yet: the genesis DKG has not finished');
  }
  if (path === '/mpc/session/current') {
    const s = currentOrNewestSession(state);
    return s ? { code: QueryCode.OK, value: sessionJson(s) } : notFound('no MPC session yet');
  }
  const m = /^\/mpc\/session\/([0-9a-fA-F]{64})$/.exec(path);
  if (m) {
    const s = readSession(state, m[1]!.toLowerCase(), 'committed');
    return s ? { code: QueryCode.OK, value: sessionJson(s) } : notFound(`no MPC session ${m[1]!.toLowerCase()}`);
  }
  return { code: QueryCode.UNKNOWN_PATH, log: `unknown MPC query path ${path}; known: /mpc/key, /mpc/session/current, /mpc/session/{id hex}` };
}
