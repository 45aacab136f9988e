// The L1 listener (flows 1 and 3): follows LockingPool (and, when configured, BatchInbox) up to the
// safe block (L1's finalized block, or K confirmations on chains without finality: bridge/finality.ts)
// and offers each safe event to ExtendVote: staking events per sequencer strictly in nonce order,
// BatchAppended events in batch index order. One serialized loop owns the store: poll the head,
// check the last scanned block's hash (reorg), drop what the app settled, scan forward to the safe
// block in bounded ranges, now and then sweep old ranges again for logs an RPC failed to return, and
// compare the pool with L1 (after a reorg below the safe block, and now and then), offering an L1
// state correction when they disagree (bridge/reconcile.ts, decision 38).
import { createPublicClient, http, type Hex } from 'viem';
import type { z } from 'zod';
import { equalBytes, toHex } from '../common/bytes.js';
import { silentLogger, type Logger } from '../common/log.js';
import { listenerOptionsSchema, type L1ListenerOptions, type L1ListenerStatus } from './listener-options.js';
import { observationDigest, type ObservationSource } from '../protocol/observations.js';
import type { Observation } from '../proto/seqpool.js';
import { decodeBatchAppendedLog, decodeLockingPoolLog, describeBatchAppended, describeEvent, isBatchAppendedLog } from './decode.js';
import { ChainMovedError, blockHash, findForkPoint, readRange, type L1Client } from './scan.js';
import { BridgeStore, eventId, located } from './listener-store.js';
import type { StakingStateView } from '../protocol/staking-state-view.js';
import { Sweeper } from './sweep.js';
import { EventBook } from './event-book.js';
import { FinalityConfigError, SafeHead } from './finality.js';
import { Reconciler } from './reconcile.js';

export type { L1ListenerOptions, L1ListenerStatus };

/** A configuration problem (wrong chain): retried like an RPC error but logged as an error. */
class ConfigError extends Error {}

const errorLine = (e: unknown): string => {
  const x = e as { shortMessage?: string; message?: string };
  return (x.shortMessage ?? x.message ?? String(e)).split('\n')[0]!;
};

export class L1Listener implements ObservationSource {
  private readonly o: z.output<typeof listenerOptionsSchema>;
  private readonly client: L1Client;
  private readonly log: Logger;
  private readonly stateView: StakingStateView;
  private readonly store: BridgeStore;
  private readonly sweeper: Sweeper;
  private readonly safeHead: SafeHead;
  private readonly reconciler: Reconciler | undefined;
  private readonly hashWindow: bigint;
  private readonly K: bigint;
  /** Safe, unsettled events (and what ExtendVote is offered of them). */
  private readonly book: EventBook;
  private readonly malformedSeen = new Set<string>();
  private cursor = 0n;
  private head: bigint | undefined;
  private safe: bigint | undefined;
  private chainChecked = false;
  private running = false;
  private loop: Promise<void> | undefined;
  private serial: Promise<unknown> = Promise.resolve();
  private wake: (() => void) | undefined;
  private failures = 0;
  private lastError: string | undefined;
  private reconcileError: string | undefined;

  constructor(opts: L1ListenerOptions) {
    this.o = listenerOptionsSchema.parse(opts);
    if (!opts.client && !this.o.rpcUrl) throw new Error('L1Listener needs rpcUrl or client');
    this.client = opts.client ?? createPublicClient({ transport: http(this.o.rpcUrl, { retryCount: 1, timeout: 15_000 }) });
    this.log = opts.logger ?? silentLogger();
    this.stateView = opts.stateView;
    this.store = new BridgeStore(this.o.dbPath);
    this.K = BigInt(this.o.confirmations);
    this.hashWindow = BigInt(this.o.hashWindow ?? Math.max(64, 8 * this.o.confirmations));
    this.book = new EventBook(this.stateView, this.log);
    this.safeHead = new SafeHead(this.client, this.o.finality, this.K, this.log);
    const client = this.client;
    const readContract = client.readContract?.bind(client);
    this.reconciler = readContract
      ? new Reconciler({
          reader: { getBlock: (a) => client.getBlock(a), readContract },
          contracts: { chainId: this.o.chainId, lockingPool: this.o.lockingPool as Hex, ...(this.o.batchInbox ? { batchInbox: this.o.batchInbox as Hex } : {}) },
          view: this.stateView,
          checkpointBlocks: BigInt(this.o.checkpointBlocks),
          intervalMs: this.o.reconcileIntervalMs,
          startBlock: this.o.startBlock,
          log: this.log,
        })
      : undefined;
    this.sweeper = new Sweeper({
      startBlock: this.o.startBlock,
      intervalMs: this.o.sweepIntervalMs,
      maxBlockRange: BigInt(this.o.maxBlockRange),
      log: this.log,
      stateView: this.stateView,
      store: this.store,
      cursor: () => this.cursor,
      events: () => this.book.stakingEvents(),
      otherBlocks: () => this.book.batchBlocks(),
      ingest: (from, to) => this.ingest(from, to, 'sweep'),
    });
  }

  async start(): Promise<void> {
    if (this.running) throw new Error('L1Listener already started');
    const stored = await this.store.open({ chainId: this.o.chainId.toString(), contract: this.o.lockingPool, batchInbox: this.o.batchInbox });
    this.cursor = stored.cursor ?? this.o.startBlock - 1n;
    this.sweeper.load(stored.sweepFrom ?? this.o.startBlock);
    for (const obs of stored.events) this.book.remember(obs);
    if (stored.batchInboxChanged && stored.cursor !== undefined) {
      // Blocks below the cursor were read without this BatchInbox: read them again (stored and
      // settled staking events are recognised and skipped).
      this.log.warn({ batchInbox: this.o.batchInbox, rescanFrom: this.o.startBlock.toString() }, 'l1.batchInbox is new for this bridge database: re-reading L1 from the start block for its BatchAppended events');
      this.cursor = this.o.startBlock - 1n;
      this.sweeper.load(this.o.startBlock);
      await this.store.rewind(this.cursor, this.o.startBlock);
    }
    this.running = true;
    this.log.info(
      { chainId: this.o.chainId.toString(), lockingPool: this.o.lockingPool, batchInbox: this.o.batchInbox ?? null, resumeFrom: (this.cursor + 1n).toString(), confirmations: this.o.confirmations, storedEvents: this.book.size },
      stored.cursor === undefined ? 'L1 listener starting at its start block' : 'L1 listener resuming from its persisted cursor',
    );
    this.loop = this.runLoop();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.serial;
    await this.store.close();
    this.log.info({ cursor: this.cursor.toString() }, 'L1 listener stopped');
  }

  /** ExtendVote's view: the events the app takes next (EventBook), then a state correction if one is
   * being offered (decision 38). */
  pending(): Observation[] {
    return [...this.book.pending(), ...(this.reconciler?.pending() ?? [])];
  }

  /** One poll step now (serialized with the loop); throws what the step hit. */
  syncNow(): Promise<void> {
    return this.exclusive(() => this.step());
  }

  /** A poll step followed by a complete sweep pass, whatever the sweep interval says. */
  sweepNow(): Promise<void> {
    return this.exclusive(async () => {
      await this.step();
      await this.sweeper.run(true);
    });
  }

  status(): L1ListenerStatus {
    return {
      running: this.running,
      cursor: this.cursor,
      head: this.head,
      finality: this.safeHead.inUse,
      safe: this.safe,
      disagreement: this.reconciler?.latest,
      sweepFrom: this.sweeper.from,
      storedEvents: this.book.size,
      consecutiveFailures: this.failures,
      lastError: this.lastError,
    };
  }

  // ---------- the loop ----------

  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    if (!this.running) return Promise.reject(new Error('L1Listener is not running'));
    const run = this.serial.then(f, f);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private async runLoop(): Promise<void> {
    while (this.running) {
      let delay = this.o.pollIntervalMs;
      try {
        await this.exclusive(() => this.step());
        if (this.failures > 0) this.log.info({ after: this.failures }, 'L1 RPC reachable again; following resumes');
        this.failures = 0;
        this.lastError = undefined;
      } catch (e) {
        if (!this.running) break;
        this.failures++;
        this.lastError = errorLine(e);
        delay = Math.min(this.o.pollIntervalMs * 2 ** Math.min(this.failures, 16), this.o.maxBackoffMs);
        const fields = { error: this.lastError, attempt: this.failures, retryInMs: delay };
        if (e instanceof ChainMovedError) this.log.info(fields, 'L1 changed while a range was read; nothing kept, reading it again');
        else if (e instanceof ConfigError || e instanceof FinalityConfigError) this.log.error(fields, 'L1 listener misconfigured; fix the setting, it keeps retrying');
        else this.log.warn({ ...fields, rpc: this.rpcLabel() }, 'L1 RPC request failed; backing off and retrying');
      }
      if (!this.running) break; // stop() during the step: no wake was armed yet
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => (clearTimeout(t), resolve());
      });
      this.wake = undefined;
    }
  }

  private rpcLabel(): string {
    if (!this.o.rpcUrl) return 'custom client';
    try {
      return new URL(this.o.rpcUrl).origin; // never the path or query: providers put API keys there
    } catch {
      return 'rpcUrl';
    }
  }

  private async step(): Promise<void> {
    if (!this.chainChecked) {
      const id = BigInt(await this.client.getChainId());
      if (id !== this.o.chainId) throw new ConfigError(`the L1 RPC serves chain ${id}, the bridge is configured for chain ${this.o.chainId}`);
      this.chainChecked = true;
    }
    const head = await this.client.getBlockNumber({ cacheTime: 0 });
    this.head = head;
    const safe = await this.safeHead.safe(head);
    this.safe = safe;
    await this.checkReorg(head);
    await this.pruneSettled();
    while (this.running && this.cursor < safe) {
      const from = this.cursor + 1n;
      const to = from + BigInt(this.o.maxBlockRange) - 1n < safe ? from + BigInt(this.o.maxBlockRange) - 1n : safe;
      await this.ingest(from, to, 'scan');
    }
    await this.sweeper.run(false);
    const corrected = await this.reconcile(safe);
    if (corrected !== undefined && corrected < this.cursor) {
      // While the pool was wrong, events it had "already applied" were dropped as superseded: read the
      // blocks after the correction again against the corrected pool.
      await this.rewindTo(corrected);
      this.log.info({ rescanFrom: (corrected + 1n).toString() }, 'L1 re-read from the corrected block');
    }
    const keep = new Set(this.book.blocks());
    keep.add(this.cursor);
    await this.store.pruneHashes(this.cursor - this.hashWindow, keep);
  }

  /**
   * Reads [from, to] and stores its new events. A forward scan also records every recent block's hash
   * and moves the cursor in the same batch; a sweep only adds events it had missed. Returns how many.
   */
  private async ingest(from: bigint, to: bigint, source: 'scan' | 'sweep'): Promise<number> {
    // Keep every block's hash near the safe head (where reorgs happen); while catching up from
    // far behind, the range end and the event blocks are enough and cost far fewer requests.
    const recent = (this.safe ?? (this.head ?? to) - this.K) - this.hashWindow;
    const snap = await readRange(this.client, { lockingPool: this.o.lockingPool as Hex, batchInbox: this.o.batchInbox as Hex | undefined }, from, to, (n) => source === 'scan' && n > recent);
    if (source === 'sweep') {
      // A sweep reads blocks the scan already passed: if one no longer has the stored hash, the
      // chain reorganised under us and checkReorg, not the sweep, must handle it.
      for (const [n, h] of snap.hashes) {
        const mine = await this.store.blockHash(n);
        if (mine && !equalBytes(mine, h)) throw new ChainMovedError(`block ${n} has another hash than the one scanned; the reorg check runs next`);
      }
    }
    const fresh: Observation[] = [];
    const known = (id: string) => this.book.has(id) || fresh.some((f) => eventId(located(f)) === id);
    for (const raw of snap.logs) {
      if (isBatchAppendedLog(raw)) {
        const b = decodeBatchAppendedLog(this.o.chainId, raw);
        if (!b.ok) {
          const key = `${raw.blockHash}:${raw.logIndex}`;
          if (!this.malformedSeen.has(key)) {
            this.malformedSeen.add(key);
            this.log.warn({ block: raw.blockNumber.toString(), logIndex: raw.logIndex, tx: raw.transactionHash, reason: b.reason }, 'malformed BatchAppended log skipped: check that l1.batchInbox is the BatchInbox this node expects');
          }
          continue;
        }
        if (known(eventId(b.event))) continue;
        if (this.stateView.isSettled(observationDigest({ batchAppended: b.event }))) {
          if (source === 'scan') this.log.info({ ...describeBatchAppended(b.event), source }, 'L1 BatchAppended seen, already settled by the app');
          continue;
        }
        this.log[source === 'sweep' ? 'warn' : 'info']({ ...describeBatchAppended(b.event), source }, source === 'sweep' ? 'L1 BatchAppended seen by the sweep: the forward scan had missed it' : 'L1 BatchAppended seen (confirmed)');
        fresh.push({ batchAppended: b.event });
        continue;
      }
      const r = decodeLockingPoolLog(this.o.chainId, raw);
      if (!r.ok) {
        const key = `${raw.blockHash}:${raw.logIndex}`;
        if (r.ours && !this.malformedSeen.has(key)) {
          this.malformedSeen.add(key);
          this.log.warn(
            { block: raw.blockNumber.toString(), blockHash: raw.blockHash, logIndex: raw.logIndex, tx: raw.transactionHash, reason: r.reason },
            'malformed LockingPool log skipped: check that lockingPool is the contract version this node expects; the sequencer it names waits at this nonce until the app settles it otherwise',
          );
        }
        continue;
      }
      const ev = r.event;
      if (known(eventId(ev))) continue;
      const settled = this.stateView.isSettled(observationDigest({ l1Staking: ev })) || ev.nonce < this.stateView.nextNonce(ev.sequencerId);
      if (settled) {
        // Seen again after the app settled it (a sweep over an old range, or a node catching up).
        if (source === 'scan') this.log.info({ ...describeEvent(ev), source }, 'L1 event seen, already settled by the app');
        continue;
      }
      this.log[source === 'sweep' ? 'warn' : 'info'](
        { ...describeEvent(ev), source },
        source === 'sweep' ? 'L1 event seen by the sweep: the forward scan had missed it (RPC returned partial logs?)' : 'L1 event seen (confirmed)',
      );
      fresh.push({ l1Staking: ev });
    }
    await this.store.commitRange(fresh, source === 'scan' ? snap.hashes : new Map(), source === 'scan' ? to : undefined);
    if (source === 'scan') this.cursor = to;
    for (const ev of fresh) this.book.remember(ev);
    return fresh.length;
  }

  /** Drops what the app settled (applied or rejected), and what it moved past under another block hash. */
  private async pruneSettled(): Promise<void> {
    const gone = this.book.settled();
    await this.store.deleteEvents(gone);
    for (const ev of gone) this.book.forget(ev);
  }

  /**
   * The cursor block's stored hash must still be canonical; if not, walk back to the fork point, drop
   * every stored event above it (none was settled yet, or it would have been pruned) and rescan.
   */
  private async checkReorg(head: bigint): Promise<void> {
    if (this.cursor < this.o.startBlock) return;
    const stored = await this.store.blockHash(this.cursor);
    if (!stored) return;
    const now = this.cursor <= head ? await blockHash(this.client, this.cursor) : undefined;
    if (now && equalBytes(now, stored)) return;

    const { fork: found, checked } = await findForkPoint(this.client, this.store.hashesDescending(this.cursor), head);
    const fork = found ?? this.o.startBlock - 1n;
    if (found === undefined) {
      this.log.error({ checkedBlocks: checked, rescanFrom: this.o.startBlock.toString() }, 'L1 reorg deeper than every stored block hash; re-scanning from the start block');
    }
    const from = this.cursor;
    const dropped = await this.rewindTo(fork);
    for (const obs of dropped) {
      this.log.warn(obs.l1Staking ? describeEvent(obs.l1Staking) : describeBatchAppended(obs.batchAppended!), 'L1 event dropped before attestation: a reorg orphaned its block; it is offered again only if the new chain has it');
    }
    // Blocks the bridge had taken as safe changed: what the pool applied from them may be gone.
    this.reconciler?.callFor(from);
    this.log.warn(
      {
        block: from.toString(),
        storedHash: `0x${toHex(stored)}`,
        nowHash: now ? `0x${toHex(now)}` : 'beyond the head',
        forkPoint: fork.toString(),
        depthFromCursor: (from - fork).toString(),
        droppedEvents: dropped.length,
        confirmations: this.o.confirmations,
      },
      `L1 reorg below the safe block (${this.safeHead.inUse === 'finalized' ? 'L1 finality' : 'the confirmation depth'}): rewound the cursor to the fork point and re-scanning; the pool is compared with L1 and corrected if it applied events from orphaned blocks`,
    );
  }

  /** One reconciliation step; its failures (an RPC that cannot read state at a block, a contract
   * without signerPubkeys) are logged and never stop the events from being followed. */
  private async reconcile(safe: bigint): Promise<bigint | undefined> {
    try {
      return await this.reconciler?.check(safe);
    } catch (e) {
      const line = errorLine(e);
      if (line !== this.reconcileError) this.log.warn({ error: line }, 'comparing the pool with L1 failed; events are still followed, and the comparison is tried again');
      this.reconcileError = line;
      return undefined;
    }
  }

  /** Moves the cursor back to `block`: stored events above it are dropped (a rescan finds them again
   * if the chain still has them). Returns the dropped events. */
  private async rewindTo(block: bigint): Promise<Observation[]> {
    const dropped = this.book.above(block);
    const sweepFrom = this.sweeper.rewound(block);
    await this.store.rewind(block, sweepFrom);
    this.cursor = block;
    for (const obs of dropped) this.book.forget(obs);
    return dropped;
  }
}
