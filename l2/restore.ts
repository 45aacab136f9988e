// The L2 driver's restart (l2/driver.ts): geth may have lost blocks the store has (a crash) or be on
// blocks the pool dropped since; the store is the truth. Finds the highest block both hold and replays
// the store above it, block by block, into geth.
import type { Hex } from 'viem';
import type { Logger } from '../common/log.js';
import { blobVersionedHashes, type L2Payload } from '../protocol/l2-block.js';
import type { L2BlockStore } from './block-store.js';
import { EngineError, ZERO_HASH, type EngineClient, type ExecutionPayload } from './engine.js';

export interface L2Head {
  number: bigint;
  hash: Hex;
  timestamp: bigint;
}

export const headOf = (p: Pick<L2Payload, 'blockNumber' | 'blockHash' | 'timestamp'>): L2Head => ({ number: BigInt(p.blockNumber), hash: p.blockHash as Hex, timestamp: BigInt(p.timestamp) });

export interface ReplayDeps {
  store: L2BlockStore;
  engine: EngineClient;
  genesis: L2Head;
  /** The driver's tip, moved as blocks are replayed (forkchoiceTo reads it). */
  setTip(h: L2Head): void;
  forkchoiceTo(hash: Hex): Promise<void>;
  log: Logger;
}

/** Replays the store into geth and leaves geth's head at the store's top. */
export async function replayStore(o: ReplayDeps): Promise<void> {
  const top = o.store.height();
  const latest = await o.engine.block('latest');
  // A geth restarted after a crash has set its head back but kept its canonical index, and until a
  // forkchoiceUpdated names its current head it counts itself "syncing" and ignores (answering
  // VALID) an update to a canonical block above it: it would stay behind our head for good. Naming
  // its own head first marks it synced (geth 1.17 eth/catalyst forkchoiceUpdated).
  if (latest) await o.engine.forkchoiceUpdated({ headBlockHash: latest.hash, safeBlockHash: ZERO_HASH, finalizedBlockHash: ZERO_HASH });
  let common = 0n;
  for (let h = top < BigInt(latest?.number ?? '0x0') ? top : BigInt(latest?.number ?? '0x0'); h > 0n; h--) {
    const [ours, theirs] = [await o.store.get(h), await o.engine.block(h)];
    if (ours && theirs && ours.payload.blockHash === theirs.hash) {
      common = h;
      break;
    }
  }
  let tip: L2Head = common === 0n ? o.genesis : headOf((await o.store.get(common))!.payload);
  o.setTip(tip);
  for (let h = common + 1n; h <= top; h++) {
    const b = (await o.store.get(h))!;
    const status = await o.engine.newPayload(b.payload as ExecutionPayload, blobVersionedHashes(b.payload.transactions));
    if (status.status !== 'VALID') throw new EngineError('engine_newPayloadV3', `geth refused stored block ${h}: ${status.status} ${status.validationError ?? ''}; the L2 data (HOME/geth) and HOME/seqpool/l2 disagree`);
    tip = headOf(b.payload);
    o.setTip(tip);
    // Block by block: a crashed geth may still have a block (newPayload answers VALID for a known
    // one without executing it) but not its state; making it the head re-executes it, so the next
    // block finds its parent's state instead of being put off as SYNCING.
    await o.forkchoiceTo(tip.hash);
  }
  if (common === top) await o.forkchoiceTo(tip.hash); // nothing replayed: still make it geth's head
  const now = await o.engine.block('latest');
  if (now?.hash !== tip.hash) throw new EngineError('engine_forkchoiceUpdatedV3', `geth answered VALID but its head is block ${now ? BigInt(now.number) : '?'} (${now?.hash}), not our ${tip.number} (${tip.hash}); retrying`);
  o.log.info({ head: tip.number.toString(), replayed: (top - common).toString() }, 'L2 driver at its stored head');
}
