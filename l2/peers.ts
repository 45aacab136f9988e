// How signed L2 blocks travel between validators (decision 41): HTTP between the nodes' gateways.
// The producer pushes each block it builds to every peer (POST /l2/blocks); a follower that missed
// blocks, or that refused a block its committed state could not yet place (a re-span it has not
// committed), pulls them by height (GET /l2/blocks/{n}) from one peer after another. Nothing a peer
// sends is trusted: every block is size-bounded, parsed and checked by the driver before use.
import { silentLogger, type Logger } from '../common/log.js';
import { encodeSignedL2Block, L2BlockError, MAX_SIGNED_L2_BLOCK_BYTES, parseSignedL2Block, type SignedL2Block } from '../protocol/l2-block.js';

export interface L2PeerTransport {
  /** Sends `block` to every peer; never throws, never waits for slow peers. */
  publish(block: SignedL2Block): void;
  /**
   * Asks peers for the block at `height`, one after another, until `accept` takes one; false when
   * none had an acceptable block.
   */
  fetch(height: bigint, accept: (block: SignedL2Block, peer: string) => Promise<boolean>): Promise<boolean>;
}

export interface HttpL2PeersOptions {
  /** The peers' gateway base URLs, e.g. http://10.0.0.2:1317. */
  urls: readonly string[];
  timeoutMs?: number;
  logger?: Logger;
}

/** The body of `res`, refused once it passes `max` bytes (a peer cannot make us buffer more). */
export async function readBounded(res: Response, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) throw new L2BlockError(`answer of ${declared} bytes exceeds ${max}`);
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      throw new L2BlockError(`answer exceeds ${max} bytes`);
    }
    parts.push(value);
  }
  return Buffer.concat(parts);
}

export class HttpL2Peers implements L2PeerTransport {
  private readonly urls: string[];
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private next = 0;
  private readonly failing = new Set<string>();

  constructor(o: HttpL2PeersOptions) {
    this.urls = o.urls.map((u) => u.replace(/\/+$/, ''));
    this.log = o.logger ?? silentLogger();
    this.timeoutMs = o.timeoutMs ?? 2_000;
  }

  get size(): number {
    return this.urls.length;
  }

  publish(block: SignedL2Block): void {
    const body = encodeSignedL2Block(block);
    for (const url of this.urls) {
      void fetch(`${url}/l2/blocks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(this.timeoutMs) })
        .then(async (res) => {
          // 409: the peer has it already or is elsewhere in the chain; it pulls what it lacks.
          if (!res.ok && res.status !== 409) this.note(url, `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
          else this.recovered(url);
        })
        .catch((e: Error) => this.note(url, e.message));
    }
  }

  async fetch(height: bigint, accept: (block: SignedL2Block, peer: string) => Promise<boolean>): Promise<boolean> {
    const n = this.urls.length;
    const first = this.next++ % Math.max(n, 1); // spread the load; a dead peer is not always asked first
    for (let i = 0; i < n; i++) {
      const url = this.urls[(first + i) % n]!;
      let block: SignedL2Block;
      try {
        const res = await fetch(`${url}/l2/blocks/${height}`, { signal: AbortSignal.timeout(this.timeoutMs) });
        if (res.status === 404) continue;
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        block = parseSignedL2Block(await readBounded(res, MAX_SIGNED_L2_BLOCK_BYTES));
        this.recovered(url);
      } catch (e) {
        this.note(url, (e as Error).message);
        continue;
      }
      if (await accept(block, url)) return true;
    }
    return false;
  }

  private note(url: string, why: string): void {
    if (this.failing.has(url)) return;
    this.failing.add(url);
    this.log.warn({ peer: url, error: why.split('\n')[0] }, 'L2 peer unreachable or answered badly; its blocks come from the others (check l2.peers in node.json)');
  }

  private recovered(url: string): void {
    if (this.failing.delete(url)) this.log.info({ peer: url }, 'L2 peer answers again');
  }
}
