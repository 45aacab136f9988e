// What bench:forced observes, from outside the pool: a geth's canonical chain as it first shows each
// block (reorg-aware: a censoring producer's own geth holds blocks the pool later replaces), the
// batches BatchInbox accepted on L1 with their L1 time, header cursor and gas, and the warnings the
// nodes and sidecars logged. Every figure comes from an RPC or a log file, none from the pool's own
// account of itself.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFunctionData, hexToBytes, type Address, type Hex, type PublicClient } from 'viem';
import { abiOf } from '../contracts/artifacts.js';
import { sidecarLogFile } from '../localnet/processes.js';
import { tokens } from './l2-batches.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SeenBlock {
  hash: Hex;
  /** Date.now() when this watcher first saw this block (by hash). */
  at: number;
  miner: string;
  timestamp: bigint;
  extraData: Hex;
  txs: Hex[];
}

/**
 * One geth's canonical chain, polled every 50 ms. A block that a reorg replaces is moved to `dropped`
 * and its height re-recorded with the time the replacement was first seen, so `seen` is always the
 * chain the geth holds now. Grows by one entry per L2 block: bounded by the bench's few minutes.
 */
export class ChainWatcher {
  readonly seen = new Map<bigint, SeenBlock>();
  readonly dropped: { number: bigint; block: SeenBlock }[] = [];
  private readonly txBlock = new Map<Hex, bigint>();
  private next: bigint;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    readonly client: PublicClient,
    private readonly from: bigint,
  ) {
    this.next = from;
    this.loop = this.run();
  }

  /** The L2 block holding transaction `hash` in the current chain, if seen. */
  blockOf(hash: Hex): bigint | undefined {
    return this.txBlock.get(hash.toLowerCase() as Hex);
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.poll().catch(() => undefined); // a busy geth: the next poll catches up
      await sleep(50);
    }
  }

  private async poll(): Promise<void> {
    const head = await this.client.getBlockNumber({ cacheTime: 0 });
    // Walk back over recorded blocks the geth no longer holds (forkchoice moved to another branch).
    while (this.next > this.from) {
      const n = this.next - 1n;
      const mine = this.seen.get(n);
      if (!mine) break;
      if (n <= head && (await this.client.getBlock({ blockNumber: n })).hash === mine.hash) break;
      this.drop(n);
      this.next = n;
    }
    for (; this.next <= head; this.next++) {
      const b = await this.client.getBlock({ blockNumber: this.next });
      const block: SeenBlock = { hash: b.hash!, at: Date.now(), miner: b.miner.toLowerCase(), timestamp: b.timestamp, extraData: b.extraData, txs: (b.transactions as Hex[]).map((t) => t.toLowerCase() as Hex) };
      this.seen.set(this.next, block);
      for (const t of block.txs) this.txBlock.set(t, this.next);
    }
  }

  private drop(n: bigint): void {
    const b = this.seen.get(n)!;
    this.dropped.push({ number: n, block: b });
    this.seen.delete(n);
    for (const t of b.txs) if (this.txBlock.get(t) === n) this.txBlock.delete(t);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** One BatchAppended on L1, with what its transaction carried and paid. */
export interface L1BatchRecord {
  index: bigint;
  l2Start: bigint;
  l2End: bigint;
  producer: Address;
  l1Block: bigint;
  /** Timestamp (unix s) of the L1 block that holds it. */
  l1Time: bigint;
  txHash: Hex;
  /** The signed header's forcedCursor (undefined for an escape-hatch batch, which has no header). */
  forcedCursor: bigint | undefined;
  /** Entries this batch consumed: its cursor minus the previous batch's. */
  consumed: number | undefined;
  gasUsed: bigint;
  /** appendBatch's own execution, gasUsed - 21,000 - 4 per calldata token, when the receipt paid
   * standard pricing; undefined when the EIP-7623 floor (10 per token) hides it. */
  execution: number | undefined;
}

/** BatchInbox's accepted batches, read incrementally: refresh() fetches what L1 appended since. */
export class L1Batches {
  readonly records: L1BatchRecord[] = [];
  private fromBlock = 0n;
  private readonly times = new Map<bigint, bigint>();

  constructor(
    private readonly l1: PublicClient,
    private readonly inbox: Address,
  ) {}

  async refresh(): Promise<L1BatchRecord[]> {
    const head = await this.l1.getBlockNumber({ cacheTime: 0 });
    if (head < this.fromBlock) return this.records;
    const logs = await this.l1.getContractEvents({ abi: abiOf('BatchInbox'), address: this.inbox, eventName: 'BatchAppended', fromBlock: this.fromBlock, toBlock: head });
    for (const l of logs) {
      const a = (l as unknown as { args: { batchIndex: bigint; l2StartBlock: bigint; l2EndBlock: bigint; producer: Address } }).args;
      const [tx, receipt] = await Promise.all([this.l1.getTransaction({ hash: l.transactionHash! }), this.l1.getTransactionReceipt({ hash: l.transactionHash! })]);
      const call = decodeFunctionData({ abi: abiOf('BatchInbox'), data: tx.input });
      const cursor = call.functionName === 'appendBatch' ? (call.args![0] as { forcedCursor: bigint }).forcedCursor : undefined;
      const prev = this.records.at(-1)?.forcedCursor ?? 0n;
      const t = tokens(hexToBytes(tx.input));
      const standard = Number(receipt.gasUsed) > 21_000 + 10 * t;
      this.records.push({
        index: a.batchIndex,
        l2Start: a.l2StartBlock,
        l2End: a.l2EndBlock,
        producer: a.producer,
        l1Block: l.blockNumber!,
        l1Time: await this.timeOf(l.blockNumber!),
        txHash: l.transactionHash!,
        forcedCursor: cursor,
        consumed: cursor === undefined ? undefined : Number(cursor - prev),
        gasUsed: receipt.gasUsed,
        execution: call.functionName === 'appendBatch' && standard ? Number(receipt.gasUsed) - 21_000 - 4 * t : undefined,
      });
    }
    this.fromBlock = head + 1n;
    return this.records;
  }

  /** The batch whose L2 range holds block `h`. */
  covering(h: bigint): L1BatchRecord | undefined {
    return this.records.find((b) => b.l2Start <= h && h <= b.l2End);
  }

  private async timeOf(block: bigint): Promise<bigint> {
    let t = this.times.get(block);
    if (t === undefined) this.times.set(block, (t = (await this.l1.getBlock({ blockNumber: block })).timestamp));
    return t;
  }
}

/** Warnings and errors (pino level >= 40) the nodes and sidecars logged, by message, each with one
 * sample line (errors first): what to read first when a figure looks wrong. */
export function loggedTrouble(homes: { name: string; home: string }[], ignore: RegExp): { msg: string; level: number; count: number; nodes: string[]; sample: string }[] {
  const byMsg = new Map<string, { msg: string; level: number; count: number; nodes: Set<string>; sample: string }>();
  for (const { name, home } of homes) {
    for (const file of [join(home, 'seqpool', 'node.log'), sidecarLogFile(home)]) {
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        let rec: { level?: number; msg?: string };
        try {
          rec = JSON.parse(line) as { level?: number; msg?: string };
        } catch {
          continue;
        }
        if ((rec.level ?? 0) < 40 || !rec.msg || ignore.test(rec.msg)) continue;
        const e = byMsg.get(rec.msg) ?? { msg: rec.msg, level: 0, count: 0, nodes: new Set<string>(), sample: `${name}: ${line.slice(0, 600)}` };
        e.level = Math.max(e.level, rec.level!);
        e.count++;
        e.nodes.add(name);
        byMsg.set(rec.msg, e);
      }
    }
  }
  // Errors first, then by how often.
  return [...byMsg.values()].sort((a, b) => b.level - a.level || b.count - a.count).map((e) => ({ msg: e.msg, level: e.level, count: e.count, nodes: [...e.nodes].sort(), sample: e.sample }));
}
