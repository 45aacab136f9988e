// Flow 3's first step: the producer's bridge builds the next batch from its own L2 RPC and asks the
// pool to sign it with a lane-0 RequestBatchSignature tx (docs/pool.md "Batches"). Every node runs
// one; it acts only while this validator produces the epoch covering BatchMeta.next_l2_start.
//
// Range: from next_l2_start to at most min(attested L2 head, epoch end, start + maxBatchBlocks - 1),
// closed by bridge/batch-policy.ts (size, range end, age); the request carries the batch data
// (protocol/batch-data.ts), which every sidecar derives again from its own L2 before signing.
// Pipelining: up to `maxInFlight` committed batches may be signing or signed (not yet finalized by
// BatchAppended) while the next is requested. CheckTx checks a request against committed state, so
// the next request goes out only once the previous one is in a block; a request the mempool accepted
// is remembered until BatchMeta shows it, or given up after `inclusionTimeoutMs`.
import type { Hex } from 'viem';
import { fromHex, toHex } from '../common/bytes.js';
import { silentLogger, type Logger } from '../common/log.js';
import { TxCode } from '../protocol/codes.js';
import { Lane, signTx } from '../protocol/tx.js';
import { pubKeyToAddress, publicKeyOf } from '../common/secp.js';
import { ethAddressOf } from '../protocol/l1-signer.js';
import { batchDataHash, decodeBatchData, MAX_BATCHES_IN_FLIGHT, type L2PayloadSource } from '../protocol/batch-data.js';
import { forcedConsumption, type ForcedQueueLookup } from '../protocol/forced-check.js';
import { BatchPolicy } from './batch-policy.js';
import type { BroadcastResult } from '../protocol/comet-rpc.js';
import { batchHeaderHash } from '../protocol/signed-payloads.js';
import { Loop, LoopTask } from './loop.js';
import type { PoolView } from './pool-view.js';

/** Sends a signed tx to the node's mempool (protocol/comet-rpc.ts CometRpc.broadcastTx): the CheckTx result. */
export type Broadcast = (tx: Uint8Array) => Promise<BroadcastResult>;

export interface BatcherOptions {
  pool: PoolView;
  /** This node's L2 (full blocks: the batch carries their transactions). */
  l2: L2PayloadSource;
  broadcast: Broadcast;
  /** The validator key (32-byte secp256k1 scalar): signs the tx; its Ethereum address is the header's producer. */
  privKey: Uint8Array;
  intervalMs?: number;
  /** Batches requested but neither finalized nor expired, at most (default MAX_BATCHES_IN_FLIGHT,
   * the depth at which the app stops counting the wait as a stall: keep it at the default). */
  maxInFlight?: number;
  /** A broadcast request not in committed state after this long is given up (default 30 s). */
  inclusionTimeoutMs?: number;
  /** L1's forced-inclusion queue (protocol/forced-queue.ts ForcedQueueReader): a batch whose blocks
   * consume entries names L1's chain hash there, and no batch is requested that leaves out an entry due
   * by its last block (every sidecar would refuse it). Without it a batch consuming entries waits. */
  forcedQueue?: ForcedQueueLookup;
  logger?: Logger;
}

interface Sent {
  index: bigint;
  hash: Hex;
  prevHash: Hex;
  l2Start: bigint;
  l2End: bigint;
  nonce: bigint;
  at: number;
}

export class Batcher extends LoopTask {
  private readonly log: Logger;
  protected readonly loop: Loop;
  private readonly address: string; // CometBFT address, upper hex
  private readonly pubKey: Uint8Array;
  readonly l1Address: Hex;
  private nextNonce: bigint | undefined;
  private sent: Sent[] = [];
  private chainId: string | undefined;
  private lastWait = '';
  private lastRefusal = '';
  private readonly policy: BatchPolicy;

  constructor(private readonly o: BatcherOptions) {
    super();
    this.log = (o.logger ?? silentLogger()).child({ task: 'batcher' });
    this.pubKey = publicKeyOf(o.privKey);
    this.address = toHex(pubKeyToAddress(this.pubKey)).toUpperCase();
    this.l1Address = ethAddressOf(o.privKey);
    this.policy = new BatchPolicy(o.l2);
    this.loop = new Loop({ name: 'batcher', intervalMs: o.intervalMs ?? 1_000, log: this.log, step: () => this.step() });
  }

  /** Requests broadcast and not yet seen in committed state. */
  get uncommitted(): number {
    return this.sent.length;
  }

  async step(): Promise<void> {
    while (await this.once()) {
      /* pipeline: keep requesting while there is work and room */
    }
  }

  /** Builds and sends at most one request; true if it sent one. */
  private async once(): Promise<boolean> {
    const pool = this.o.pool;
    const [meta, params, current] = await Promise.all([pool.batchMeta(), pool.params(), pool.currentEpoch()]);
    if (!meta || !params || !current) return this.wait('the pool has no batch/epoch state yet');
    this.reconcile(meta);
    if (this.sent.length) return this.wait(`batch ${this.sent[0]!.index} requested, waiting for a block to include it`);
    const tip = { index: meta.nextIndex, prevHash: meta.lastHash as Hex, start: meta.nextL2Start };

    const producer = await pool.batcher(tip.start);
    if (!producer) return this.wait(`no epoch covers L2 block ${tip.start} yet`);
    if (producer.producer !== this.address) return false;
    const epoch = await pool.epoch(producer.epochId);
    if (!epoch) return this.wait(`epoch ${producer.epochId} not found`);
    let end = current.l2Head;
    let endIsFinal = false;
    if (epoch.endL2 <= end) [end, endIsFinal] = [epoch.endL2, true];
    if (tip.start + params.maxBatchBlocks - 1n <= end) [end, endIsFinal] = [tip.start + params.maxBatchBlocks - 1n, true];
    if (end < tip.start) return this.wait(`L2 block ${tip.start} is not attested yet (attested head ${current.l2Head})`);
    if ((await this.inFlight(meta.nextIndex)) >= (this.o.maxInFlight ?? MAX_BATCHES_IN_FLIGHT)) return this.wait(`${this.o.maxInFlight ?? MAX_BATCHES_IN_FLIGHT} batches in flight`);

    const choice = await this.policy.choose({ start: tip.start, end, endIsFinal, maxBatchBytes: params.maxBatchBytes, batchMaxAgeSeconds: params.batchMaxAgeSeconds, now: Date.now() });
    if (!choice.close) return this.wait(choice.why);
    end = choice.end;
    const data = choice.data;
    const dataHash = `0x${toHex(batchDataHash(data))}` as Hex;
    const forced = await this.forcedAfter(data, meta, params.forcedDueSeconds);
    if (typeof forced === 'string') return this.wait(forced);
    const header = {
      batchIndex: tip.index,
      prevBatchHash: fromHex(tip.prevHash),
      l2StartBlock: tip.start,
      l2EndBlock: end,
      dataHash: fromHex(dataHash),
      producer: fromHex(this.l1Address),
      forcedCursor: forced.cursor,
      forcedChainHash: fromHex(forced.chainHash),
    };
    const nonce = await this.nonce();
    const chainId = (this.chainId ??= (await pool.status())?.chainId);
    if (!chainId) return this.wait('no chain status yet');
    const tx = signTx(this.o.privKey, {
      chainId,
      signer: this.pubKey,
      nonce,
      lane: Lane.NODE,
      requestBatch: { batchIndex: tip.index, prevBatchHash: fromHex(tip.prevHash), l2Start: tip.start, l2End: end, dataHash: fromHex(dataHash), data, forcedCursor: forced.cursor, forcedChainHash: fromHex(forced.chainHash) },
    });
    const res = await this.o.broadcast(tx);
    const fields = { index: tip.index.toString(), forcedCursor: forced.cursor.toString(), l2: `${tip.start}-${end}`, blocks: (end - tip.start + 1n).toString(), bytes: data.length, closedBy: choice.why, nonce: nonce.toString(), dataHash };
    if (res.code === TxCode.BAD_NONCE) {
      this.log.warn({ ...fields, log: res.log }, 'batch request refused for its nonce: resyncing the lane-0 nonce from committed state');
      this.nextNonce = undefined;
      this.sent = [];
      return false;
    }
    if (res.code !== TxCode.OK) {
      // Logged as an error once per distinct refusal; the same refusal every second is noise.
      const key = `${tip.index}:${res.code}:${res.log}`;
      this.log[key === this.lastRefusal ? 'debug' : 'error']({ ...fields, code: res.code, log: res.log }, 'batch request refused by CheckTx');
      this.lastRefusal = key;
      return false;
    }
    this.nextNonce = nonce + 1n;
    this.sent.push({ index: tip.index, hash: `0x${toHex(batchHeaderHash(header))}`, prevHash: tip.prevHash, l2Start: tip.start, l2End: end, nonce, at: Date.now() });
    this.lastWait = '';
    this.log.info({ ...fields, tx: res.hash }, 'batch signature requested');
    return true;
  }

  /** The forced cursor after the batch (its blocks' markers, from the last batch's) and L1's chain hash there. */
  private async forcedAfter(data: Uint8Array, meta: { forcedCursor: bigint; forcedChainHash: string }, dueSeconds: bigint): Promise<{ cursor: bigint; chainHash: Hex } | string> {
    const c = decodeBatchData(data);
    const used = forcedConsumption(c.blocks.map((b, i) => ({ blockNumber: `0x${(c.firstBlock + BigInt(i)).toString(16)}`, extraData: b.extraData })), meta.forcedCursor);
    if (typeof used === 'string') return `our L2 blocks do not continue the forced queue: ${used}`;
    const q = this.o.forcedQueue;
    if (!q) return used.cursor === meta.forcedCursor ? { cursor: used.cursor, chainHash: meta.forcedChainHash as Hex } : `the batch consumes forced entries up to ${used.cursor}, but this node reads no forced queue from L1 (node.json l1.batchInbox)`;
    const next = (await q.view(used.cursor, 1)).entries[0];
    const lastTs = c.blocks[c.blocks.length - 1]!.timestamp;
    if (next && next.timestamp + dueSeconds <= lastTs) return `the batch would end at L2 time ${lastTs} without forced entry ${next.index}, due from ${next.timestamp + dueSeconds}: waiting for the block that consumes it`;
    // The last batch's chain hash holds while the cursor stays (read from L1 when committed state has
    // none: after an escape-hatch batch, decision 46).
    const known = used.cursor === meta.forcedCursor && (used.cursor === 0n || BigInt(meta.forcedChainHash) !== 0n);
    return { cursor: used.cursor, chainHash: known ? (meta.forcedChainHash as Hex) : await q.chainAt(used.cursor) };
  }

  /** Drops the local request once committed state shows it (or contradicts it, or it timed out). */
  private reconcile(meta: { nextIndex: bigint; lastHash: string; nextL2Start: bigint }): void {
    this.sent = this.sent.filter((s) => s.index >= meta.nextIndex);
    if (!this.sent.length) return;
    const first = this.sent[0]!;
    const timedOut = Date.now() - first.at > (this.o.inclusionTimeoutMs ?? 30_000);
    if (first.index !== meta.nextIndex || first.prevHash !== meta.lastHash || first.l2Start !== meta.nextL2Start || timedOut) {
      this.log.warn(
        { requested: first.index.toString(), committedNext: meta.nextIndex.toString(), timedOut },
        'batch requests not (or no longer) in line with committed state: rebuilding from BatchMeta',
      );
      this.sent = [];
      this.nextNonce = undefined;
    }
  }

  /** Committed batches still signing or signed (not finalized, not expired), counted down from the newest. */
  private async inFlight(nextIndex: bigint): Promise<number> {
    let n = 0;
    const cap = BigInt(this.o.maxInFlight ?? MAX_BATCHES_IN_FLIGHT);
    for (let i = nextIndex - 1n; i >= 0n && i >= nextIndex - cap; i--) {
      const b = await this.o.pool.batch(i);
      if (!b || b.status === 'finalized') break;
      if (b.status === 'signing' || b.status === 'signed') n++;
    }
    return n;
  }

  private async nonce(): Promise<bigint> {
    if (this.nextNonce !== undefined) return this.nextNonce;
    const used = await this.o.pool.laneZeroNonce(this.address);
    if (used === undefined) throw new Error(`validator ${this.address} is not a sequencer in committed state`);
    return (this.nextNonce = used + 1n);
  }

  private wait(why: string): false {
    if (why !== this.lastWait) this.log.debug(why);
    this.lastWait = why;
    return false;
  }
}
