// What the DKG, reshare and refresh engines have in common: each drives one VssSession with its own
// rules and its own start() and finalise(); everything else is the session's, forwarded here once.
import type { TranscriptLimits } from './transcript-limits.js';
import type { Fault, Outbound, VssSession } from './vss-session.js';

export abstract class VssEngine {
  /** Set by the subclass constructor once it has derived the session's rules. */
  protected vss!: VssSession;

  get session(): Uint8Array {
    return this.vss.session;
  }

  receive(envelope: Uint8Array): { outbound: Outbound[]; fault?: Fault } {
    return this.vss.receive(envelope);
  }

  /** Throws exactly when receive() would, changing nothing (VssSession.check). */
  check(envelope: Uint8Array): string {
    return this.vss.check(envelope);
  }

  /** Byte caps of this session's messages and transcript (decision 28). */
  get limits(): TranscriptLimits {
    return this.vss.limits;
  }

  hasDealt(dealer: number): boolean {
    return this.vss.hasDealt(dealer);
  }

  complain(): Outbound[] {
    return this.vss.complain();
  }

  /** Signed shares dealt to us, by dealer (secret: store encrypted). */
  receivedShares(): Map<number, Uint8Array> {
    return this.vss.receivedShares();
  }

  /** Signed shares we dealt, by recipient (secret: store encrypted). */
  sentShares(): Map<number, Uint8Array> {
    return this.vss.sentShares();
  }

  /** After a restart: the shares we dealt before it (see VssSession.restoreSentShares). */
  restoreSentShares(envelopes: Iterable<Uint8Array>): void {
    this.vss.restoreSentShares(envelopes);
  }

  status(): ReturnType<VssSession['status']> {
    return this.vss.status();
  }
}
