// Which key members the signing driver believes unreachable (decision 39's signing half): it neither
// waits for their coordinator turns nor picks them as signers while others remain. A member becomes a
// suspect when it lets a round of ours pass unanswered, or when its validator signed none of the last
// ABSENT_COMMITS commits (its node is down: no round may ever pick it, and its coordinator turns would
// each hold a request for RANK_STEP_BLOCKS). Any message from it clears the suspicion, so a proposer
// that leaves an honest validator out of a commit costs that member its turns for a moment at most.
// Bounded: entries are members of the current key only.
import { bytesToHex } from '@noble/hashes/utils.js';

/** How long a member that missed a round stays suspected unless it is heard from sooner. */
export const SUSPECT_MS = 60_000;
/**
 * Consecutive canonical commits a member's validator must miss to be suspected. A live validator on a
 * loaded machine misses one now and then (its precommit came after the proposer's quorum); with 2 a
 * healthy 4-validator localnet showed a false suspect, so it takes six (two seconds at the localnet's
 * pace, still well under RANK_STEP_BLOCKS).
 */
export const ABSENT_COMMITS = 6;

export type SuspicionReason = 'missed-round' | 'absent-from-commits';

export class Suspects {
  readonly #since = new Map<string, number>(); // identity hex -> when suspected
  readonly #absentStreak = new Map<string, number>(); // identity hex -> commits missed in a row

  constructor(
    private readonly now: () => number,
    /** Told when a member becomes a suspect (logging). */
    private readonly onSuspect: (id: string, reason: SuspicionReason) => void = () => undefined,
  ) {}

  has(identity: Uint8Array | string): boolean {
    const since = this.#since.get(typeof identity === 'string' ? identity : bytesToHex(identity));
    return since !== undefined && this.now() - since < SUSPECT_MS;
  }

  /** Members currently suspected. */
  get count(): number {
    let n = 0;
    for (const id of this.#since.keys()) if (this.has(id)) n++;
    return n;
  }

  suspect(id: string, reason: SuspicionReason): void {
    if (!this.has(id)) this.onSuspect(id, reason);
    this.#since.set(id, this.now());
  }

  /** Heard from: reachable again. */
  heardFrom(id: string): void {
    this.#since.delete(id);
  }

  /** One commit: `signed` are the identities (hex) of `members` whose validators signed it; `me` is never suspected. */
  noteCommit(members: readonly { identity: Uint8Array }[], signed: Set<string>, me: Uint8Array): void {
    const ids = new Set(members.map((m) => bytesToHex(m.identity)));
    for (const id of this.#absentStreak.keys()) if (!ids.has(id)) this.#absentStreak.delete(id);
    for (const id of this.#since.keys()) if (!ids.has(id)) this.#since.delete(id);
    const mine = bytesToHex(me);
    for (const id of ids) {
      if (signed.has(id) || id === mine) {
        this.#absentStreak.delete(id);
        continue;
      }
      const streak = (this.#absentStreak.get(id) ?? 0) + 1;
      this.#absentStreak.set(id, streak);
      if (streak === ABSENT_COMMITS && !this.has(id)) this.suspect(id, 'absent-from-commits');
    }
  }
}
