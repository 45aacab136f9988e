// The L2 adapter (issue 12, docs/l2.md): this node's consensus client for its own geth, after OP
// Stack's op-node driver. Every tick it asks the pool's committed state who builds the next L2
// height (l2/schedule.ts):
//   - this validator: it builds the block over the Engine API (forkchoiceUpdated with attributes,
//     then getPayload when the slot ends), signs it with the validator key (protocol/l2-block.ts),
//     stores it, imports it and pushes it to its peers;
//   - another validator: it imports the block at the next height if, and only if, it extends this
//     node's chain and is signed by the producer the pool elected for that height (a block that does
//     not is refused with the reason); when nothing came for a while, it pulls from its peers.
// When the pool re-spans, heights above the attested head change producer: blocks of the old
// producer there fail that test on every follower alike and are dropped (the store is truncated
// and geth's head set back), so every node continues from the attested head. The head this driver
// reports for ExtendVote is its validated head, never geth's (which may still be on dropped blocks).
// It also tells geth which blocks are safe and final (l2/schedule.ts settled()).
import type { Hex } from 'viem';
import { toHex } from '../common/bytes.js';
import { silentLogger, type Logger } from '../common/log.js';
import { blobVersionedHashes, blockNumberOf, L2BlockError, l2BlockSigner, signL2Block, type L2Payload, type SignedL2Block } from '../protocol/l2-block.js';
import type { L2BlockStore } from './block-store.js';
import type { ForcedBuilder } from './forced-builder.js';
import { ESCAPE_SIGNATURE } from '../protocol/forced-escape.js';
import { EscapeFollower } from './escape-follower.js';
import { headOf, replayStore, type L2Head } from './restore.js';
import { EngineError, ZERO_HASH, type EngineClient, type ExecutionPayload } from './engine.js';
import { recordsEpoch } from './epoch-tx.js';
import type { L2PeerTransport } from './peers.js';
import type { L2Schedule, L2Slot } from './schedule.js';

export interface L2DriverOptions {
  engine: EngineClient;
  chainId: bigint;
  /** The validator key: it signs the blocks this node builds. */
  privKey: Uint8Array;
  /** Its Ethereum address, 0x hex (the epoch signer the pool names). */
  address: Hex;
  schedule: L2Schedule;
  store: L2BlockStore;
  peers: L2PeerTransport;
  /** SequencerSet on this L2: the first block of a re-span must record it there (recommitEpoch). */
  sequencerSet?: Hex;
  /** L1's forced-inclusion queue (decision 46): while producing, due entries go into forced blocks
   * before any ordinary block. Without it this node builds none, and sidecars refuse its batches
   * once an entry is due. */
  forced?: ForcedBuilder;
  /** What this node builds forced blocks from, when not `forced` (a test program's seam). */
  forcedBuilding?: ForcedBuilder;
  /** Target L2 block interval; whole seconds, since block timestamps are seconds. */
  blockTimeMs: number;
  tickMs?: number;
  /** Pull from peers when the head has not moved for this long (default 1.5 block times). */
  pullAfterMs?: number;
  /** Not building while the pool's last committed block is older than this (default 6 s). */
  maxPoolLagMs?: number;
  /** Blocks with a timestamp further than this ahead of our clock are refused (default 2 s). */
  maxClockDriftMs?: number;
  logger?: Logger;
  now?: () => number;
  events?: L2DriverEvents;
}

/** What the driver reports (metrics, tests). */
export interface L2DriverEvents {
  built?(block: SignedL2Block, ms: number): void;
  imported?(block: SignedL2Block, from: string): void;
  refused?(height: bigint, from: string, reason: string): void;
  dropped?(from: bigint, to: bigint): void;
}

export type { L2Head };

export type ReceiveResult = { status: 'imported' } | { status: 'ignored'; reason: string } | { status: 'refused'; reason: string };

interface PendingBuild {
  payloadId: Hex;
  parent: Hex;
  number: bigint;
  sealAt: number;
  slot: L2Slot;
}

/**
 * Stored blocks re-checked against the schedule after a restart or a jump in pool height: more than a
 * producer builds ahead of the attested head before anyone notices it stalled (a few blocks).
 */
const DEEP_CHECK = 64n;

/** The "signer" of a block L1's escape hatch defined (decision 46): nobody's, and never dropped. */
const ESCAPED = 'escape';
const signerOf = (chainId: bigint, b: SignedL2Block): string => (b.signature === ESCAPE_SIGNATURE ? ESCAPED : `0x${toHex(l2BlockSigner(chainId, b))}`);

const hexQ = (v: bigint): Hex => `0x${v.toString(16)}`;

export class L2Driver {
  private readonly log: Logger;
  private readonly now: () => number;
  private tip: L2Head = { number: 0n, hash: ZERO_HASH, timestamp: 0n };
  private genesis: L2Head = { number: 0n, hash: ZERO_HASH, timestamp: 0n };
  private lock: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private looping: Promise<void> | undefined;
  private pending: PendingBuild | undefined;
  private checkedAt = -1n;
  private advancedAt = 0;
  private lastPull = 0;
  private forkchoice = { safe: ZERO_HASH as Hex, finalized: ZERO_HASH as Hex };
  private readonly signers = new Map<bigint, string>();
  private waitingFor: string | undefined;
  private restored = false;
  private readonly escapes: EscapeFollower | undefined;

  constructor(private readonly o: L2DriverOptions) {
    if (o.blockTimeMs < 1000 || o.blockTimeMs % 1000 !== 0) throw new Error(`l2.blockTimeMs must be a whole number of seconds (>= 1000), got ${o.blockTimeMs}`);
    this.log = o.logger ?? silentLogger();
    this.now = o.now ?? Date.now;
    this.escapes = o.forced && new EscapeFollower(o.forced, o.engine, o.store, this.log, this.now);
  }

  /** This node's validated L2 head: what it reports in its vote extension. */
  head(): L2Head {
    return this.tip;
  }

  /**
   * Runs the loop. Its first steps bring geth to the stored chain (after a crash or a restart);
   * until geth answers, the driver waits (and says so) rather than failing the node.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** True once geth was brought to the stored chain: head() is then this node's L2 head. */
  get ready(): boolean {
    return this.restored;
  }

  private async bootstrap(): Promise<void> {
    const g = await this.o.engine.block(0n);
    if (!g) throw new EngineError('eth_getBlockByNumber', 'geth has no genesis block');
    this.genesis = { number: 0n, hash: g.hash, timestamp: BigInt(g.timestamp) };
    await this.restore();
    // An escape batch appended while this node was down replaces blocks we would otherwise report.
    await this.followEscapes().catch((e: Error) => this.log.warn({ error: e.message }, 'cannot read escape-hatch batches from L1 yet; retrying while running'));
    this.restored = true;
    this.advancedAt = this.now();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.looping;
    await this.lock;
  }

  /** A stored block of this node's chain, for peers that pull. */
  blockAt(height: bigint): Promise<SignedL2Block | undefined> {
    return this.o.store.get(height);
  }

  /** A block a peer pushed (already size-bounded and parsed by the gateway). */
  receive(block: SignedL2Block, from: string): Promise<ReceiveResult> {
    return this.exclusive(async () => {
      const n = blockNumberOf(block.payload);
      if (!this.running || !this.restored) return { status: 'ignored', reason: 'the L2 driver is not running' };
      if (n <= this.tip.number) return { status: 'ignored', reason: `block ${n} is at or below our head ${this.tip.number}` };
      if (n > this.tip.number + 1n) {
        this.lastPull = 0; // we are behind: pull at the next tick
        return { status: 'ignored', reason: `block ${n} is ahead of our head ${this.tip.number}; pulling the gap` };
      }
      return this.tryImport(block, from);
    });
  }

  // ---------- the loop ----------

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.looping = this.exclusive(() => this.step())
        .catch((e: Error) => this.warnOnce(`step:${e.message}`, { error: e.message }, 'L2 driver step failed; retrying'))
        .finally(() => this.schedule(this.o.tickMs ?? 100));
    }, ms);
  }

  private async step(): Promise<void> {
    if (!this.restored) await this.bootstrap();
    await this.followEscapes();
    const poolHeight = this.o.schedule.poolHeight();
    if (poolHeight !== this.checkedAt) {
      // Committed one pool block at a time, a re-span only moves heights above the attested head.
      // After a restart or a jump (this node was down or behind while the pool re-spanned), our own
      // unattested blocks of then may lie below today's attested head: look deeper.
      await this.dropUnelected(this.checkedAt < 0n || poolHeight > this.checkedAt + 1n);
      this.checkedAt = poolHeight;
    }
    const next = this.tip.number + 1n;
    const slot = await this.o.schedule.slot(next);
    if (slot && slot.signer === this.o.address.toLowerCase() && this.poolIsCurrent()) await this.build(next, slot);
    else {
      this.pending = undefined;
      if (this.now() - this.advancedAt > (this.o.pullAfterMs ?? this.o.blockTimeMs * 1.5) && this.now() - this.lastPull > this.o.blockTimeMs / 4) await this.pull();
    }
    await this.settle();
  }

  /**
   * Heights above the attested head (with `deep`, also the top DEEP_CHECK stored blocks) whose stored
   * block is not signed by the producer committed state now names (a re-span moved them): drop them
   * and everything above.
   */
  private async dropUnelected(deep: boolean): Promise<void> {
    if (this.tip.number === 0n) return;
    const attested = await this.o.schedule.attestedHead();
    let from = attested + 1n;
    if (deep) from = this.tip.number > DEEP_CHECK ? this.tip.number - DEEP_CHECK + 1n : 1n;
    for (let h = from; h <= this.tip.number; h++) {
      const slot = await this.o.schedule.slot(h);
      const signer = await this.signerAt(h);
      if (signer === ESCAPED || (slot && signer === slot.signer)) continue;
      const from = this.tip.number;
      await this.rewind(h - 1n);
      this.log.warn({ from: from.toString(), to: this.tip.number.toString(), attested: attested.toString(), producer: slot?.signer ?? null }, 'dropped L2 blocks the pool no longer assigns to their producer (re-span at the attested head)');
      this.o.events?.dropped?.(h, from);
      return;
    }
  }

  private async signerAt(h: bigint): Promise<string | undefined> {
    let s = this.signers.get(h);
    if (s === undefined) {
      const b = await this.o.store.get(h);
      if (!b) return undefined;
      s = signerOf(this.o.chainId, b);
      this.signers.set(h, s);
    }
    return s;
  }

  private async rewind(to: bigint): Promise<void> {
    await this.o.store.truncate(to);
    this.o.forced?.reset();
    this.o.forcedBuilding?.reset();
    for (const h of [...this.signers.keys()]) if (h > to) this.signers.delete(h);
    this.pending = undefined;
    this.tip = to === 0n ? this.genesis : headOf((await this.o.store.get(to))!.payload);
    // geth (>= 1.17) sets its head back to a canonical ancestor on forkchoiceUpdated.
    await this.forkchoiceTo(this.tip.hash);
    this.advancedAt = this.now();
  }

  // ---------- building ----------

  /** Our pool state is recent: a node catching up must not build on a schedule the pool changed since. */
  private poolIsCurrent(): boolean {
    const lag = this.now() - Number(this.o.schedule.poolTime()) * 1000;
    if (lag <= (this.o.maxPoolLagMs ?? 6_000)) return true;
    this.pending = undefined;
    this.warnOnce('pool-lag', { lagMs: lag }, 'not building our L2 slot: our pool state is old (CometBFT catching up?); waiting for it to be current');
    return false;
  }

  private nextTimestamp(): bigint {
    const blockSec = BigInt(this.o.blockTimeMs / 1000);
    const nowSec = BigInt(Math.floor(this.now() / 1000));
    return this.tip.timestamp + blockSec > nowSec ? this.tip.timestamp + blockSec : nowSec;
  }

  /**
   * Builds the forced block consuming the entries our chain has not (decision 46), if L1 has any: true
   * when this slot is taken by it (built, or waiting for its timestamp). Not the first block of a
   * re-span, which must record the recommitEpoch.
   */
  private async buildForced(number: bigint, slot: L2Slot): Promise<boolean> {
    const forced = this.o.forcedBuilding ?? this.o.forced;
    if (!forced || slot.mustRecommit) return false;
    const entries = await forced.pending(this.tip.number);
    if (!entries.length) return false;
    const ts = this.nextTimestamp();
    if (Number(ts) * 1000 > this.now()) return true;
    const started = this.now();
    const d = await forced.derive(this.tip.hash, entries, ts, this.o.address, this.tip.hash);
    const status = await this.o.engine.newPayload(d.payload as ExecutionPayload, []);
    if (status.status !== 'VALID') throw new EngineError('engine_newPayloadV3', `geth refused our forced block ${number} (${status.status} ${status.validationError ?? ''}): eth_simulateV1 and block execution disagree`);
    const block = signL2Block(this.o.chainId, d.payload, this.o.privKey);
    await this.adopt(block);
    this.o.peers.publish(block);
    this.o.events?.built?.(block, this.now() - started);
    this.log.info({ height: number.toString(), hash: d.payload.blockHash, consumed: d.consumed, entries: d.verdicts.map((v) => (v.valid ? `${v.index}:in` : `${v.index}:invalid (${v.reason})`)) }, 'built forced L2 block');
    return true;
  }

  private async build(number: bigint, slot: L2Slot): Promise<void> {
    const p = this.pending;
    if (p && (p.parent !== this.tip.hash || p.number !== number)) this.pending = undefined;
    if (!this.pending && (await this.buildForced(number, slot))) return;
    if (!this.pending) {
      const ts = this.nextTimestamp();
      const r = await this.o.engine.forkchoiceUpdated(this.fcState(this.tip.hash), {
        timestamp: hexQ(ts),
        prevRandao: this.tip.hash, // no beacon randomness on this L2; the parent hash is as good as any
        suggestedFeeRecipient: this.o.address,
        withdrawals: [],
        parentBeaconBlockRoot: ZERO_HASH,
      });
      if (r.payloadStatus.status !== 'VALID' || !r.payloadId) throw new EngineError('engine_forkchoiceUpdatedV3', `geth did not start a payload on our head ${this.tip.number} (${r.payloadStatus.status} ${r.payloadStatus.validationError ?? ''})`);
      this.pending = { payloadId: r.payloadId, parent: this.tip.hash, number, sealAt: Number(ts) * 1000, slot };
      return;
    }
    if (this.now() < this.pending.sealAt) return;
    const started = this.pending.sealAt - this.o.blockTimeMs;
    const payload = (await this.o.engine.getPayload(this.pending.payloadId)) as L2Payload;
    this.pending = undefined;
    const status = await this.o.engine.newPayload(payload as ExecutionPayload, blobVersionedHashes(payload.transactions));
    if (status.status !== 'VALID') throw new EngineError('engine_newPayloadV3', `geth refused the block it built: ${status.status} ${status.validationError ?? ''}`);
    if (slot.mustRecommit && !(await this.recordsRespan(payload, slot))) {
      // Discarded (geth keeps it as a side block, never the head): the next slot tries again.
      this.warnOnce(`recommit:${slot.epochId}`, { height: number.toString(), epoch: slot.epochId.toString() }, 'first block of our re-span waits for its recommitEpoch (and any commitEpoch before it), signed by the pool and submitted by the relayer, to reach our geth');
      return;
    }
    const block = signL2Block(this.o.chainId, payload, this.o.privKey);
    await this.adopt(block);
    this.o.peers.publish(block);
    this.o.events?.built?.(block, this.now() - started);
    this.log.info({ height: number.toString(), hash: payload.blockHash, txs: payload.transactions.length, epoch: slot.epochId.toString() }, 'built L2 block');
  }

  /** After `payload`, SequencerSet records the re-span `slot` starting at this block. */
  private recordsRespan(payload: L2Payload, slot: L2Slot): Promise<boolean> {
    if (this.o.sequencerSet === undefined) return Promise.resolve(false);
    return recordsEpoch(this.o.engine, this.o.sequencerSet, payload.blockHash as Hex, { epochId: slot.epochId, signer: slot.signer, startBlock: blockNumberOf(payload) });
  }

  // ---------- the escape hatch ----------

  private followEscapes(): Promise<void> {
    return (
      this.escapes?.follow({
        tip: () => this.tip,
        rewind: (to) => this.rewind(to),
        adopt: (b) => this.adopt(b),
        behind: (key, fields, msg) => {
          this.warnOnce(key, fields, msg);
          this.lastPull = 0;
        },
      }) ?? Promise.resolve()
    );
  }

  // ---------- importing ----------

  private async pull(): Promise<void> {
    this.lastPull = this.now();
    // Catch up as far as peers have blocks, one height at a time (each checked like a pushed one).
    for (let i = 0; i < 64 && this.running; i++) {
      const before = this.tip.number;
      let refused = false;
      const got = await this.o.peers.fetch(before + 1n, async (b, peer) => {
        const r = await this.tryImport(b, peer);
        if (r.status === 'refused') refused = true;
        return r.status === 'imported';
      });
      if (!got || this.tip.number === before) {
        if (refused) this.lastPull = this.now(); // the next try after a quarter block
        return;
      }
    }
  }

  /** The checks every follower makes, then geth's import. Called with the lock held. */
  private async tryImport(block: SignedL2Block, from: string): Promise<ReceiveResult> {
    const n = blockNumberOf(block.payload);
    const refuse = (reason: string): ReceiveResult => {
      this.o.events?.refused?.(n, from, reason);
      this.warnOnce(`refuse:${n}:${from}:${reason}`, { height: n.toString(), from, reason }, 'refused L2 block');
      return { status: 'refused', reason };
    };
    if (n !== this.tip.number + 1n) return { status: 'ignored', reason: `block ${n} does not follow our head ${this.tip.number}` };
    if (block.payload.parentHash !== this.tip.hash) return refuse(`its parent ${block.payload.parentHash} is not our block ${this.tip.number} (${this.tip.hash})`);
    if (BigInt(block.payload.timestamp) * 1000n > BigInt(this.now() + (this.o.maxClockDriftMs ?? 2_000))) return refuse(`its timestamp ${BigInt(block.payload.timestamp)} is ahead of our clock`);
    const slot = await this.o.schedule.slot(n);
    if (!slot) return refuse(`the pool has elected no producer for height ${n} yet`);
    let signer: string;
    try {
      signer = `0x${toHex(l2BlockSigner(this.o.chainId, block))}`;
    } catch (e) {
      return refuse((e as L2BlockError).message);
    }
    if (signer !== slot.signer) return refuse(`signed by ${signer}, but the pool elected ${slot.signer} (epoch ${slot.epochId}) for height ${n}`);
    const censored = await this.o.forced?.refusal(block.payload, this.tip.number, slot.mustRecommit);
    if (censored) return refuse(censored);
    const status = await this.o.engine.newPayload(block.payload as ExecutionPayload, blobVersionedHashes(block.payload.transactions));
    if (status.status !== 'VALID') return refuse(`geth: ${status.status}${status.validationError ? ` (${status.validationError})` : ''}`);
    if (slot.mustRecommit && !(await this.recordsRespan(block.payload, slot))) return refuse(`first block of re-span epoch ${slot.epochId} does not record it in SequencerSet (no successful recommitEpoch)`);
    await this.adopt(block);
    this.o.events?.imported?.(block, from);
    this.log.debug({ height: n.toString(), hash: block.payload.blockHash, from }, 'imported L2 block');
    return { status: 'imported' };
  }

  /** Stores `block` (synced; geth validated it already) and makes it geth's head. */
  private async adopt(block: SignedL2Block): Promise<void> {
    await this.o.store.append(block);
    this.o.forced?.adopted(block.payload);
    this.o.forcedBuilding?.adopted(block.payload);
    this.signers.set(blockNumberOf(block.payload), signerOf(this.o.chainId, block));
    this.tip = headOf(block.payload);
    this.advancedAt = this.now();
    this.waitingFor = undefined;
    await this.forkchoiceTo(this.tip.hash);
  }

  // ---------- forkchoice ----------

  private fcState(head: Hex) {
    return { headBlockHash: head, safeBlockHash: this.forkchoice.safe, finalizedBlockHash: this.forkchoice.finalized };
  }

  private async forkchoiceTo(head: Hex): Promise<void> {
    // Safe and finalized must be ancestors of the head; after a rewind they may not be any more.
    const r = await this.o.engine.forkchoiceUpdated(this.fcState(head)).catch(async (e: EngineError) => {
      this.forkchoice = { safe: ZERO_HASH, finalized: ZERO_HASH };
      this.log.warn({ error: e.message }, 'forkchoiceUpdated refused our safe/finalized blocks; retrying without them');
      return this.o.engine.forkchoiceUpdated(this.fcState(head));
    });
    if (r.payloadStatus.status !== 'VALID') throw new EngineError('engine_forkchoiceUpdatedV3', `geth answered ${r.payloadStatus.status} for our head ${head}`);
  }

  /** Moves geth's safe and finalized blocks to what L1 settled (never beyond our head). */
  private async settle(): Promise<void> {
    const s = await this.o.schedule.settled();
    const hashAt = async (h: bigint): Promise<Hex> => {
      const at = h > this.tip.number ? this.tip.number : h;
      if (at <= 0n) return ZERO_HASH;
      return ((await this.o.store.get(at))?.payload.blockHash as Hex | undefined) ?? ZERO_HASH;
    };
    const want = { safe: await hashAt(s.safe > s.finalized ? s.safe : s.finalized), finalized: await hashAt(s.finalized) };
    if (want.safe === this.forkchoice.safe && want.finalized === this.forkchoice.finalized) return;
    this.forkchoice = want;
    await this.forkchoiceTo(this.tip.hash);
    this.log.debug({ safe: s.safe.toString(), finalized: s.finalized.toString() }, 'L2 safe/finalized moved');
  }

  // ---------- restart ----------

  /** geth may have lost blocks the store has (a crash) or be on dropped ones: replay the store. */
  private async restore(): Promise<void> {
    await replayStore({
      store: this.o.store,
      engine: this.o.engine,
      genesis: this.genesis,
      setTip: (h) => (this.tip = h),
      forkchoiceTo: (hash) => this.forkchoiceTo(hash),
      log: this.log,
    });
  }

  // ---------- plumbing ----------

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private warnOnce(key: string, fields: Record<string, unknown>, msg: string): void {
    if (this.waitingFor === key) return;
    this.waitingFor = key;
    this.log.warn(fields, msg);
  }
}
