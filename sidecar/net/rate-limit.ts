// Per-peer token buckets for inbound MPC frames. A frame costs one token; tokens refill at
// `messagesPerSecond` up to `burst`. A peer whose frames keep being refused is reported as a flooder
// once its refusals since the last report reach `floodThreshold`, and the channel disconnects it.

export interface RateLimit {
  messagesPerSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
  refused: number;
}

export type RateVerdict = 'ok' | 'drop' | 'flood';

export class PeerRateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    readonly limit: RateLimit,
    readonly floodThreshold: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit.messagesPerSecond > 0) || !(limit.burst >= 1)) throw new Error(`invalid MPC rate limit ${JSON.stringify(limit)}: need messagesPerSecond > 0 and burst >= 1`);
    if (!(floodThreshold >= 1)) throw new Error(`invalid flood threshold ${floodThreshold}`);
  }

  /** Takes a token for `peer`: 'ok' to accept, 'drop' when empty, 'flood' when refusals hit the threshold. */
  take(peer: string): RateVerdict {
    const t = this.now();
    let b = this.#buckets.get(peer);
    if (!b) {
      b = { tokens: this.limit.burst, at: t, refused: 0 };
      this.#buckets.set(peer, b);
    } else {
      b.tokens = Math.min(this.limit.burst, b.tokens + ((t - b.at) / 1000) * this.limit.messagesPerSecond);
      b.at = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 'ok';
    }
    b.refused += 1;
    if (b.refused >= this.floodThreshold) {
      b.refused = 0;
      return 'flood';
    }
    return 'drop';
  }

  forget(peer: string): void {
    this.#buckets.delete(peer);
  }
}
