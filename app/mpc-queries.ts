// abci_query answers under /mpc/ (docs/pool.md "Query paths"), read from committed state.
import { encodeL1GroupKey } from '../mpc/l1.js';
import type { MpcSession } from '../proto/seqpool.js';
import { QueryCode } from '../protocol/codes.js';
import { renderMpcKey, renderMpcSession } from '../protocol/views/mpc.js';
import { readKey, readOpenSession, readSession, sessionIds } from './mpc-state.js';
import type { State } from './state.js';

type Answer = { code: number; value?: unknown; log?: string };

const notFound = (log: string): Answer => ({ code: QueryCode.NOT_FOUND, log });

/** The open session, else the newest (highest opened height; a retry beats the attempt it replaced). */
function currentOrNewestSession(state: State): MpcSession | undefined {
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
    return k ? { code: QueryCode.OK, value: renderMpcKey(k, encodeL1GroupKey(k.groupKey)) } : notFound('no MPC key yet: the genesis DKG has not finished');
  }
  if (path === '/mpc/session/current') {
    const s = currentOrNewestSession(state);
    return s ? { code: QueryCode.OK, value: renderMpcSession(s) } : notFound('no MPC session yet');
  }
  const m = /^\/mpc\/session\/([0-9a-fA-F]{64})$/.exec(path);
  if (m) {
    const s = readSession(state, m[1]!.toLowerCase(), 'committed');
    return s ? { code: QueryCode.OK, value: renderMpcSession(s) } : notFound(`no MPC session ${m[1]!.toLowerCase()}`);
  }
  return { code: QueryCode.UNKNOWN_PATH, log: `unknown MPC query path ${path}; known: /mpc/key, /mpc/session/current, /mpc/session/{id hex}` };
}
