// Following L1's escape hatch (issue 16, decision 46). An escape-hatch batch (BatchInbox.appendForcedBatch,
// appended by anyone once a forced entry was overdue for escapeDelay) defines L2 blocks nobody signs:
// every node derives them itself (protocol/forced-escape.ts). Our blocks from an escape batch's first
// height on (an unbatched tail the pool built before it stopped) give way to them, and the pool builds
// on top. The driver (l2/driver.ts) asks every 2 s, and before the first head it reports after a start.
import type { Hex } from 'viem';
import type { Logger } from '../common/log.js';
import { deriveEscapeBlocks, ESCAPE_SIGNATURE } from '../protocol/forced-escape.js';
import type { L2Payload, SignedL2Block } from '../protocol/l2-block.js';
import type { L2BlockStore } from './block-store.js';
import { EngineError, type EngineClient, type ExecutionPayload } from './engine.js';
import type { ForcedBuilder } from './forced-builder.js';

/** What following needs of the driver's chain. */
export interface FollowedChain {
  tip(): { number: bigint; hash: Hex; timestamp: bigint };
  /** Drops our blocks above `to`. */
  rewind(to: bigint): Promise<void>;
  /** Makes a block (geth validated it) our head. */
  adopt(block: SignedL2Block): Promise<void>;
  /** We lack blocks below an escape batch: pull from peers at the next tick. */
  behind(key: string, fields: Record<string, unknown>, msg: string): void;
}

export const ESCAPE_CHECK_MS = 2_000;

export class EscapeFollower {
  private checkedAt = -Infinity;

  constructor(
    private readonly forced: ForcedBuilder,
    private readonly engine: EngineClient,
    private readonly store: L2BlockStore,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** Brings `chain` onto every escape batch L1 has finalized (at most every ESCAPE_CHECK_MS). */
  async follow(chain: FollowedChain): Promise<void> {
    if (this.now() - this.checkedAt < ESCAPE_CHECK_MS) return;
    this.checkedAt = this.now();
    for (const esc of await this.forced.escapes()) {
      const end = esc.l2StartBlock + esc.count - 1n;
      if ((await this.store.get(end))?.signature === ESCAPE_SIGNATURE) continue;
      const tip = chain.tip();
      if (tip.number < esc.l2StartBlock - 1n) {
        chain.behind(`escape:${esc.batchIndex}`, { batch: esc.batchIndex.toString(), from: esc.l2StartBlock.toString(), head: tip.number.toString() }, 'an escape-hatch batch on L1 continues an L2 block we do not have yet: catching up from peers first');
        return;
      }
      if (tip.number >= esc.l2StartBlock) await chain.rewind(esc.l2StartBlock - 1n);
      const parent = chain.tip();
      const entries = await this.forced.entries(esc.firstEntry, Number(esc.count));
      const blocks = await deriveEscapeBlocks(this.forced.rpc, this.forced.chainId, { hash: parent.hash, timestamp: parent.timestamp }, entries, esc.l1Timestamp, (p) => this.adopt(chain, p));
      this.log.warn(
        {
          batch: esc.batchIndex.toString(),
          l2: `${esc.l2StartBlock}-${end}`,
          entries: `${esc.firstEntry}..${esc.firstEntry + esc.count - 1n}`,
          droppedFrom: tip.number >= esc.l2StartBlock ? esc.l2StartBlock.toString() : null,
          head: chain.tip().hash,
          verdicts: blocks.flatMap((b) => b.verdicts.map((v) => (v.valid ? `${v.index}:in` : `${v.index}:invalid (${v.reason})`))),
        },
        'followed an escape-hatch batch from L1: its forced blocks replace our unbatched blocks there',
      );
    }
  }

  private async adopt(chain: FollowedChain, p: L2Payload): Promise<void> {
    const st = await this.engine.newPayload(p as ExecutionPayload, []);
    if (st.status !== 'VALID') throw new EngineError('engine_newPayloadV3', `geth refused escape block ${BigInt(p.blockNumber)} derived from L1 (${st.status} ${st.validationError ?? ''})`);
    await chain.adopt({ payload: p, signature: ESCAPE_SIGNATURE });
  }
}
