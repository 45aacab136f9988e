// The attested L2 head (docs/pool.md "L2 head"): each validator's bridge reports the L2 head it
// sees in its vote extension; the app takes the largest h such that validators holding more than
// 2/3 of the voting power reported a head >= h. A byzantine minority can therefore neither raise it
// (a huge report needs 2/3 to back it) nor hold it back. It never decreases.
import type { State } from './state.js';

export interface HeadReport {
  power: bigint;
  head: bigint;
}

/** Largest h with power(reports >= h) > 2/3 of `totalPower`; 0 when no such h. */
export function attestedL2Head(reports: readonly HeadReport[], totalPower: bigint): bigint {
  const sorted = [...reports].sort((a, b) => (a.head === b.head ? 0 : a.head > b.head ? -1 : 1));
  let power = 0n;
  for (const r of sorted) {
    power += r.power;
    if (power * 3n > totalPower * 2n) return r.head;
  }
  return 0n;
}

/** Raise EpochMeta.l2Head to `attested` if higher (l2HeadTime = block time); true when it moved. */
export function advanceL2Head(state: State, attested: bigint, time: bigint): boolean {
  const meta = state.epochMeta();
  if (attested <= meta.l2Head) return false;
  state.setEpochMeta({ ...meta, l2Head: attested, l2HeadTime: time });
  return true;
}
