// Flow 3's last step: once the pool has signed a batch, its producer submits
// BatchInbox.appendBatch(header, data, encodeL1Signature(sig)) to L1 with its validator key
// (decision 3); the data is what the pool recorded with the batch (protocol/batch-data.ts).
// The contract is the source of truth: every step reads nextBatchIndex() and submits exactly that
// batch (so none is skipped), and each batch index is one job of the EvmTxSender, whose LevelDB
// record survives restarts (so none is sent twice). Batches go one at a time: appendBatch checks the
// chain of batches, so the next one can only be simulated once the previous one is on chain.
import type { Abi, Hex } from 'viem';
import { artifact } from '../contracts/artifacts.js';
import { fromHex, toHex } from '../common/bytes.js';
import { silentLogger, type Logger } from '../common/log.js';
import { encodeL1Signature } from '../mpc/l1.js';
import { batchHeaderHash, batchHeaderTuple, type BatchHeader } from '../protocol/signed-payloads.js';
import { batchDataHash, encodeBatchData, readBatchContent, type L2PayloadSource } from '../protocol/batch-data.js';
import { Loop, LoopTask } from './loop.js';
import type { PoolBatch, PoolView } from './pool-view.js';
import { submitterErrors, type EvmTxSender } from './evm-tx-sender.js';

export interface L1BatchSubmitterOptions {
  sender: EvmTxSender;
  batchInbox: Hex;
  pool: PoolView;
  intervalMs?: number;
  /** A batch signed this long ago and still not on L1 is submitted by any node, not only its producer or the producer batching now (default 20 s). */
  fallbackAfterMs?: number;
  /** This node's L2: encodes a batch again when the pool no longer keeps its data. */
  l2?: L2PayloadSource;
  /** Blocks after which a mined appendBatch the contract does not show is considered lost to a reorg (default 12). */
  reorgDepth?: number;
  logger?: Logger;
}

export class L1BatchSubmitter extends LoopTask {
  private readonly log: Logger;
  protected readonly loop: Loop;
  private readonly abi: Abi = artifact('BatchInbox').abi;
  private readonly firstSeenSigned = new Map<bigint, number>();
  private lastReported = '';

  constructor(private readonly o: L1BatchSubmitterOptions) {
    super();
    this.log = (o.logger ?? silentLogger()).child({ task: 'l1-submitter' });
    this.loop = new Loop({
      name: 'L1 batch submitter',
      intervalMs: o.intervalMs ?? 2_000,
      log: this.log,
      step: () => this.step(),
      onError: submitterErrors(this.log, 'appendBatch not submitted', 'L1 batch submitter step failed (L1 RPC or pool query); retrying'),
    });
  }

  /** One pass: follow sent txs, then submit the batch L1 expects next if it is signed. */
  async step(): Promise<void> {
    const s = this.o.sender;
    await s.tick();
    const next = (await s.client.readContract({ address: this.o.batchInbox, abi: this.abi, functionName: 'nextBatchIndex' })) as bigint;
    await s.forget((j) => j.id.startsWith('batch/') && BigInt(j.id.slice(6)) < next - 64n);
    const b = await this.o.pool.batch(next);
    if (!b) return; // the pool has not requested it yet
    if (b.status !== 'signed' && b.status !== 'finalized') return this.report(next, `batch ${next} is ${b.status}`);
    // Its producer submits it; so does the producer batching now (after a re-span the replacement
    // continues from the last batch on L1, which may be a signed batch its dead predecessor never
    // sent); anyone else only after a fallback delay.
    const mine = b.producer === s.address.toLowerCase() || (await this.owesBatches());
    const seen = this.firstSeenSigned.get(next) ?? Date.now();
    this.firstSeenSigned.set(next, seen);
    for (const k of this.firstSeenSigned.keys()) if (k < next) this.firstSeenSigned.delete(k);
    if (!mine && Date.now() - seen < (this.o.fallbackAfterMs ?? 20_000)) return;

    const id = `batch/${next}`;
    const rec = s.job(id);
    if (rec?.status === 'pending') return;
    if (rec?.status === 'mined') {
      const head = await s.client.getBlockNumber({ cacheTime: 0 });
      if (head - BigInt(rec.minedBlock!) < BigInt(this.o.reorgDepth ?? 12)) return; // the RPC may lag the receipt
      await s.lost(id);
    }
    const req = await this.o.pool.signRequest(b.signRequest);
    if (!req?.signature) throw new Error(`batch ${next} is ${b.status} but sign request ${b.signRequest} has no signature in committed state`);
    const header = headerOf(b);
    const hash = `0x${toHex(batchHeaderHash(header))}`;
    if (hash !== b.hash) throw new Error(`batch ${next}: header hash ${hash} differs from the pool's ${b.hash}; this node and the app disagree on the header encoding`);
    const last = (await s.client.readContract({ address: this.o.batchInbox, abi: this.abi, functionName: 'lastBatchHash' })) as Hex;
    if (last.toLowerCase() !== b.prevHash) {
      throw new Error(`batch ${next} continues ${b.prevHash} but BatchInbox's last batch hash is ${last}: L1 and the pool disagree; check l1.batchInbox in node.json`);
    }
    const data = await this.dataOf(b);
    const sig96 = `0x${toHex(encodeL1Signature(fromHex(req.signature)))}` as Hex;
    const sent = await s.submit(id, `appendBatch(${next})`, { address: this.o.batchInbox, abi: this.abi, functionName: 'appendBatch', args: [batchHeaderTuple(header), `0x${toHex(data)}`, sig96] });
    this.log.info({ batch: next.toString(), l2: `${b.l2Start}-${b.l2End}`, nonce: sent.nonce, tx: sent.txs[sent.txs.length - 1]!.hash, asProducer: mine }, 'appendBatch submitted to L1');
  }

  /**
   * The batch's data: as the pool recorded it, or, for an old batch whose data the pool no longer
   * keeps (an L1 reorg deeper than finality lost it, decision 38), encoded again from our own L2.
   */
  private async dataOf(b: PoolBatch): Promise<Uint8Array> {
    const kept = await this.o.pool.batchData(b.index);
    if (kept) return kept;
    if (!this.o.l2) throw new Error(`batch ${b.index}: the pool no longer keeps its data and this node has no L2 RPC (l2.rpcUrl) to encode it again`);
    const data = encodeBatchData(await readBatchContent(this.o.l2, b.l2Start, b.l2End));
    if (`0x${toHex(batchDataHash(data))}` !== b.dataHash) throw new Error(`batch ${b.index}: its data, encoded again from our L2, hashes to 0x${toHex(batchDataHash(data))}, not the signed ${b.dataHash} (another brotli version than the producer's?); a node that kept the data must submit it`);
    return data;
  }

  /** True when this node's validator produces the epoch covering the next unbatched L2 block. */
  private async owesBatches(): Promise<boolean> {
    const meta = await this.o.pool.batchMeta();
    const owing = meta && (await this.o.pool.batcher(meta.nextL2Start));
    return owing !== undefined && owing.signer.toLowerCase() === this.o.sender.address.toLowerCase();
  }

  private report(index: bigint, what: string): void {
    const key = `${index}:${what}`;
    if (key === this.lastReported) return;
    this.lastReported = key;
    this.log.debug({ batch: index.toString() }, `waiting: ${what}`);
  }
}

/** The header of a batch as the pool records it. */
export function headerOf(b: PoolBatch): BatchHeader {
  return { batchIndex: b.index, prevBatchHash: fromHex(b.prevHash), l2StartBlock: b.l2Start, l2EndBlock: b.l2End, dataHash: fromHex(b.dataHash), producer: fromHex(b.producer), forcedCursor: b.forcedCursor, forcedChainHash: fromHex(b.forcedChainHash) };
}
