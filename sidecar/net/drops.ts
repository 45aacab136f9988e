// What the MPC channel refused or gave up on, counted by reason for stats(), and its warnings
// throttled so that a hostile peer cannot flood the log.
import type { Logger } from '../../common/log.js';

export type DropReason =
  | 'not-allowed' // connection or stream from a peer id not on the allowlist (or banned)
  | 'oversize' // frame longer than maxMessageBytes
  | 'malformed' // empty frame, undecodable or non-canonical envelope
  | 'bad-signature' // envelope signature does not verify
  | 'wrong-sender' // envelope signed by another identity than the one bound to the peer id
  | 'rate' // over the peer's token bucket
  | 'queue-full' // outbound: send() refused, queue bound reached
  | 'unreachable'; // outbound: given up after retries

const WARN_EVERY_MS = 10_000;

export class DropLog {
  readonly #dropped: Record<string, number> = {};
  readonly #lastWarn = new Map<string, number>();

  constructor(private readonly log: Logger) {}

  drop(reason: DropReason, peer: string, n = 1): void {
    this.#dropped[reason] = (this.#dropped[reason] ?? 0) + n;
    this.log.debug({ peer, reason }, 'MPC drop');
  }

  /** warn at most once per key every 10 s (a hostile peer cannot flood the log), debug otherwise. */
  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    const last = this.#lastWarn.get(key);
    if (last === undefined || now - last >= WARN_EVERY_MS) {
      this.#lastWarn.set(key, now);
      if (this.#lastWarn.size > 10_000) this.#lastWarn.clear();
      this.log.warn(fields, msg);
    } else this.log.debug(fields, msg);
  }

  /** A copy of the counts by reason. */
  counts(): Record<string, number> {
    return { ...this.#dropped };
  }
}
