// The signed L2 blocks this node accepted, by height (HOME/seqpool/l2, LevelDB): its canonical L2
// chain as the pool's rules made it, with each block's producer signature, which geth does not keep.
// Peers that missed blocks pull them from here (l2/peers.ts), and after a crash the node re-imports
// into geth what geth lost. A block is written (synced) before geth is told to import it, so the
// store is never behind geth. Only blocks that passed the pool's check and geth's validation are
// written: the store grows with the L2 chain, never with what a peer sends.
import { Level } from 'level';
import type { Hex } from 'viem';
import { blockNumberOf, validateSignedL2Block, type SignedL2Block } from '../protocol/l2-block.js';

const BLOCK = 'b/';
const HEAD = 'm/head';
const key = (h: bigint): string => `${BLOCK}${h.toString().padStart(20, '0')}`;

export interface StoredHead {
  number: bigint;
  hash: Hex;
}

export class L2BlockStore {
  private readonly db: Level<string, string>;
  private top: bigint = 0n;

  constructor(readonly path: string) {
    this.db = new Level<string, string>(path, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  }

  async open(): Promise<void> {
    try {
      await this.db.open();
    } catch (e) {
      const cause = (e as { cause?: Error }).cause;
      throw new Error(`cannot open the L2 block store at ${this.path}: ${cause?.message ?? (e as Error).message} (is another seqpool node using this home?)`);
    }
    const h = await this.db.get(HEAD);
    this.top = h === undefined ? 0n : BigInt(h);
  }

  /** Height of the newest stored block (0: none, the chain is at genesis). */
  height(): bigint {
    return this.top;
  }

  async get(height: bigint): Promise<SignedL2Block | undefined> {
    if (height <= 0n || height > this.top) return undefined;
    const v = await this.db.get(key(height));
    // Written by this node after validation; parsed again so a damaged file fails loudly here.
    return v === undefined ? undefined : validateSignedL2Block(JSON.parse(v));
  }

  /** Appends `block` as the new head; its height must be height() + 1. */
  async append(block: SignedL2Block): Promise<void> {
    const n = blockNumberOf(block.payload);
    if (n !== this.top + 1n) throw new Error(`L2 block store: cannot append block ${n} on top of ${this.top}`);
    await this.db.batch([
      { type: 'put', key: key(n), value: JSON.stringify(block) },
      { type: 'put', key: HEAD, value: n.toString() },
    ], { sync: true });
    this.top = n;
  }

  /** Drops every block above `height` (a re-span took those heights from their producer). */
  async truncate(height: bigint): Promise<number> {
    if (height >= this.top) return 0;
    const ops: { type: 'del' | 'put'; key: string; value?: string }[] = [];
    for (let h = this.top; h > height; h--) ops.push({ type: 'del', key: key(h) });
    ops.push({ type: 'put', key: HEAD, value: height.toString() });
    await this.db.batch(ops as never, { sync: true });
    const dropped = Number(this.top - height);
    this.top = height;
    return dropped;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
