// Every Prometheus metric of the node process (docs/operators.md "Metrics"), served on its own port
// (node.json metrics.listen) by common/metrics-server.ts. Names follow CometBFT's conventions: a
// `seqpool_` prefix, the unit in the name, counters ending in _total. The app stays pure: what the
// chain did is read from each committed block's events (node/abci-metrics.ts hands them over after
// Commit) and from committed state when Prometheus scrapes; the bridge reports through the optional
// observers its parts take.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { fromHex, toHex } from '../common/bytes.js';
import type { SeqpoolApp } from '../app/app.js';
import type { AppEvent } from '../app/mpc-sessions.js';
import { BatchStatus, type Observation } from '../proto/seqpool.js';
import type { L1ListenerStatus } from '../bridge/listener-options.js';
import type { TxSenderEvent } from '../bridge/evm-tx-sender.js';
import type { L2DriverEvents } from '../l2/driver.js';
import { l2DriverMetrics } from './l2-metrics.js';

/** Where the scrape-time gauges read from; set once the parts exist (each may be absent). */
export interface NodeMetricSources {
  app?: Pick<SeqpoolApp, 'state' | 'height'>;
  listener?: () => L1ListenerStatus | undefined;
  /** This node's own L2 head (bridge/l2-head-source.ts). */
  l2Head?: () => bigint | undefined;
  /** This validator's address (upper-case hex), for seqpool_epoch_is_producer. */
  self?: string;
  /** Unmined txs of each EVM tx sender. */
  txPending?: () => { chain: string; pending: number }[];
}

export interface MetricParts {
  l1?: boolean;
  l2?: boolean;
  confirmations?: number;
}

/** A committed block as the ABCI wrapper saw it. */
export interface CommittedBlock {
  height: bigint;
  /** Block time, seconds. */
  time: number;
  events: readonly AppEvent[];
  /** Validators (upper-case hex) the block's decided last commit marks absent. */
  absent: readonly string[];
}

/** ABCI calls take microseconds (queries) to a second (a FinalizeBlock with many MPC txs). */
const ABCI_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Requested to final on L1: a signing round, the L1 tx, K confirmations and the attestation. */
const BATCH_BUCKETS = [2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200];
/** Batch request times kept until their BatchAppended is attested (in flight: a handful). */
const MAX_TRACKED_BATCHES = 1024;

const attr = (e: AppEvent, key: string): string | undefined => e.attributes?.find((a) => a.key === key)?.value;

/** An L1 observation's kind as a label. */
export function observationKind(o: Observation | undefined): string {
  const s = o?.l1Staking;
  if (o?.batchAppended) return 'batch_appended';
  if (!s) return 'other';
  return s.locked ? 'locked' : s.relocked ? 'relocked' : s.unlockInit ? 'unlock_init' : s.unlocked ? 'unlocked' : s.slashed ? 'slashed' : s.signerChange ? 'signer_change' : 'other';
}

/** The app's rejection text (app/staking-events.ts, app/batches.ts) as a bounded label. */
export function rejectionReason(text: string): string {
  if (/\(gap\)/.test(text)) return 'nonce_gap';
  if (/\(already applied\)|already exists/.test(text)) return 'replay';
  if (/unknown sequencer/.test(text)) return 'unknown_sequencer';
  if (/not the pool's|follows no L1|has no BatchInbox/.test(text)) return 'wrong_contract';
  if (/differs from the approved/.test(text)) return 'batch_mismatch';
  if (/is the next to finalize|is not awaiting L1/.test(text)) return 'batch_out_of_order';
  return 'malformed';
}

/** A jail reason (app/jail.ts callers) as a bounded label. */
export function jailReason(text: string): string {
  if (text === 'missed' || text === 'signing-cheater') return text;
  const mpc = /^mpc (dkg|reshare|refresh):/.exec(text);
  return mpc ? `mpc_${mpc[1]}` : 'other';
}

export class NodeMetrics {
  readonly registry = new Registry();
  sources: NodeMetricSources = {};

  readonly abciSeconds: Histogram<'method'>;
  readonly abciErrors: Counter<'method'>;
  readonly l1Attested: Counter<'kind'>;
  readonly l1Rejected: Counter<'kind' | 'reason'>;
  readonly respans: Counter;
  readonly jailings: Counter<'reason'>;
  readonly batchesExpired: Counter;
  readonly batchLatency: Histogram;
  readonly signRequests: Counter<'outcome'>;
  readonly missedBlocks: Counter<'validator'>;
  readonly txSent: Counter<'chain'>;
  readonly txMined: Counter<'chain'>;
  readonly txBumps: Counter<'chain'>;
  readonly txFailures: Counter<'chain' | 'reason'>;
  readonly txNonce: Gauge<'chain'>;
  /** With `l2`: the L2 adapter's events, counted (node/l2-metrics.ts). */
  readonly l2Driver: L2DriverEvents | undefined;
  readonly #requestedAt = new Map<string, number>(); // batch index -> block time it was requested

  /** `l1`/`l2`: whether node.json has those sections; their gauges exist only then (an unlabelled
   * gauge always shows a value, and a bridge lag of 0 on a node without a bridge would mislead).
   * `confirmations`: l1.confirmations, the safe block's distance to the head when the listener
   * does not report a safe block of its own. */
  constructor(parts: MetricParts = {}) {
    const registers = [this.registry];
    // process_cpu_seconds_total, process_resident_memory_bytes, nodejs_* (unprefixed, as every
    // Node.js exporter names them; the scrape job tells node and sidecar apart).
    collectDefaultMetrics({ register: this.registry });
    this.l2Driver = parts.l2 ? l2DriverMetrics(this.registry) : undefined;
    this.abciSeconds = new Histogram({ name: 'seqpool_abci_method_duration_seconds', help: 'Time the app spent in each ABCI method', labelNames: ['method'], buckets: ABCI_BUCKETS, registers });
    this.abciErrors = new Counter({ name: 'seqpool_abci_method_errors_total', help: 'ABCI methods that threw (CometBFT stops on a consensus-connection error)', labelNames: ['method'], registers });
    this.l1Attested = new Counter({ name: 'seqpool_l1_events_attested_total', help: 'L1 events more than 2/3 of power attested and the app applied, by kind', labelNames: ['kind'], registers });
    this.l1Rejected = new Counter({ name: 'seqpool_l1_events_rejected_total', help: 'Attested L1 events the app rejected, by kind and reason', labelNames: ['kind', 'reason'], registers });
    this.respans = new Counter({ name: 'seqpool_respans_total', help: 'Re-spans: a stalled producer\'s unbatched L2 blocks given to another producer', registers });
    this.jailings = new Counter({ name: 'seqpool_jailings_total', help: 'Validators jailed, by reason (missed, signing-cheater, mpc_dkg, mpc_reshare, mpc_refresh)', labelNames: ['reason'], registers });
    this.batchesExpired = new Counter({ name: 'seqpool_batches_expired_total', help: 'Batches whose signing expired (the batch chain rolled back to the last good one)', registers });
    this.batchLatency = new Histogram({ name: 'seqpool_batch_latency_seconds', help: 'Block time from a batch\'s request to its BatchAppended attested from L1 (batches requested while this node ran)', buckets: BATCH_BUCKETS, registers });
    this.signRequests = new Counter({ name: 'seqpool_sign_requests_total', help: 'Threshold sign requests settled, by outcome (completed, expired)', labelNames: ['outcome'], registers });
    this.missedBlocks = new Counter({ name: 'seqpool_validator_missed_blocks_total', help: 'Blocks whose decided last commit has no vote (and so no vote extension) from the validator', labelNames: ['validator'], registers });
    this.txSent = new Counter({ name: 'seqpool_tx_sender_sent_total', help: 'EVM txs this node sent (first tx of a job), by chain', labelNames: ['chain'], registers });
    this.txMined = new Counter({ name: 'seqpool_tx_sender_mined_total', help: 'EVM txs of this node mined successfully, by chain', labelNames: ['chain'], registers });
    this.txBumps = new Counter({ name: 'seqpool_tx_sender_fee_bumps_total', help: 'Replacements of an unmined tx with higher fees (same nonce), by chain', labelNames: ['chain'], registers });
    this.txFailures = new Counter({ name: 'seqpool_tx_sender_failures_total', help: 'EVM tx failures by chain and reason (would_revert, funds, rpc_refused, reverted, superseded, reorged)', labelNames: ['chain', 'reason'], registers });
    this.txNonce = new Gauge({ name: 'seqpool_tx_sender_last_nonce', help: 'Nonce of the last new tx this node sent, by chain', labelNames: ['chain'], registers });
    for (const outcome of ['completed', 'expired']) this.signRequests.inc({ outcome }, 0);
    this.#stateGauges(registers, parts);
  }

  /** Gauges read from committed state and the bridge when Prometheus scrapes. */
  #stateGauges(registers: Registry[], parts: MetricParts): void {
    const src = () => this.sources;
    const committed = () => src().app?.state;
    const gauge = (name: string, help: string, read: () => number | undefined) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const v = read();
          if (v !== undefined) this.set(v);
        },
      });
    const producer = () => this.#producer();
    gauge('seqpool_app_committed_height', 'Last height the app committed', () => (src().app ? Number(src().app!.height) : undefined));
    gauge('seqpool_epoch_current', 'Current epoch id', () => (committed()?.hasEpochs('committed') ? Number(committed()!.epochMeta('committed').current) : undefined));
    gauge('seqpool_epoch_is_producer', '1 while this validator produces the current epoch', () => {
      const p = producer();
      return p === undefined || !src().self ? undefined : p === src().self ? 1 : 0;
    });
    new Gauge({
      name: 'seqpool_epoch_producer_info',
      help: 'The current epoch\'s producer (value 1, address in the producer label)',
      labelNames: ['producer'],
      registers,
      collect() {
        this.reset();
        const p = producer();
        if (p) this.set({ producer: p }, 1);
      },
    });
    gauge('seqpool_l2_head_attested_block', 'L2 head more than 2/3 of power attested', () => (committed()?.hasEpochs('committed') ? Number(committed()!.epochMeta('committed').l2Head) : undefined));
    gauge('seqpool_l2_head_attested_timestamp_seconds', 'Block time the attested L2 head last advanced', () => (committed()?.hasEpochs('committed') ? Number(committed()!.epochMeta('committed').l2HeadTime) : undefined));
    if (parts.l2) {
      gauge('seqpool_l2_head_local_block', 'L2 head this node\'s L2 RPC reports', () => {
        const h = src().l2Head?.();
        return h === undefined ? undefined : Number(h);
      });
      gauge('seqpool_l2_attestation_lag_blocks', 'This node\'s L2 head minus the attested one', () => {
        const h = src().l2Head?.();
        const s = committed();
        return h === undefined || !s?.hasEpochs('committed') ? undefined : Number(h - s.epochMeta('committed').l2Head);
      });
    }
    if (parts.l1) {
      const l1 = () => src().listener?.();
      gauge('seqpool_bridge_l1_head_block', 'L1 head the bridge saw last', () => (l1()?.head === undefined ? undefined : Number(l1()!.head)));
      gauge('seqpool_bridge_l1_confirmed_block', 'Last L1 block the bridge scanned with its confirmations (its cursor)', () => (l1() ? Number(l1()!.cursor) : undefined));
      gauge('seqpool_bridge_lag_blocks', 'L1 head minus the bridge\'s confirmed cursor (K, or the distance to L1\'s finalized block, when in step)', () => {
        const s = l1();
        return s?.head === undefined ? undefined : Number(s.head - s.cursor);
      });
      // The listener follows L1's finalized block, or K confirmations: it reports the block it may act on.
      const safe = (): bigint | undefined => {
        const s = l1();
        if (s?.safe !== undefined) return s.safe;
        return s?.head === undefined ? undefined : s.head - BigInt(parts.confirmations ?? 0);
      };
      gauge('seqpool_bridge_l1_safe_block', 'Highest L1 block the bridge may act on: L1\'s finalized block, or the head minus K confirmations', () => {
        const b = safe();
        return b === undefined ? undefined : Number(b);
      });
      gauge('seqpool_bridge_behind_safe_blocks', 'Safe L1 block minus the bridge\'s cursor: 0 when in step, growing when it cannot keep up', () => {
        const b = safe();
        const s = l1();
        return b === undefined || !s ? undefined : Math.max(0, Number(b - s.cursor));
      });
      gauge('seqpool_bridge_l1_rpc_failures', 'Consecutive failed polls of the L1 RPC (0: following)', () => l1()?.consecutiveFailures);
      gauge('seqpool_bridge_pending_events', 'Confirmed L1 events the bridge holds until the app settles them', () => l1()?.storedEvents);
      gauge('seqpool_l1_disagreeing_sequencers', 'LockingPool sequencers the pool holds differently from L1 at the last checkpoint compared (decision 38)', () => {
        const d = l1()?.disagreement;
        return d ? d.sequencers.length : undefined;
      });
      gauge('seqpool_l1_disagreeing_batches', 'Batches the pool counts final that L1 lacks at the last checkpoint compared (decision 38)', () => {
        const d = l1()?.disagreement;
        return d ? Number(d.batches) : undefined;
      });
    }
    new Gauge({
      name: 'seqpool_tx_sender_pending',
      help: 'This node\'s unmined EVM txs, by chain',
      labelNames: ['chain'],
      registers,
      collect() {
        for (const { chain, pending } of src().txPending?.() ?? []) this.set({ chain }, pending);
      },
    });
    new Gauge({
      name: 'seqpool_batches',
      help: 'Batches by state: signing, signed (awaiting L1), finalized (attested from L1, all time)',
      labelNames: ['state'],
      registers,
      collect() {
        const s = committed();
        if (!s) return;
        const meta = s.batchMeta('committed');
        let signing = 0;
        let signed = 0;
        for (let i = meta.finalized; i < meta.nextIndex; i++) {
          const status = s.batch(i, 'committed')?.status;
          if (status === BatchStatus.SIGNING) signing++;
          else if (status === BatchStatus.SIGNED) signed++;
        }
        this.set({ state: 'signing' }, signing);
        this.set({ state: 'signed' }, signed);
        this.set({ state: 'finalized' }, Number(meta.finalized));
      },
    });
    gauge('seqpool_sign_requests_pending', 'Threshold sign requests waiting for a signature', () => committed()?.pendingSignIds('committed').length);
    gauge('seqpool_validators_jailed', 'Live validators (not exited) that are jailed', () => committed()?.sequencers('committed').filter((q) => q.jailed).length);
    new Gauge({
      name: 'seqpool_validator_producer_misses',
      help: 'Misses a producer collected (jailed at maxMisses, which resets them), by validator',
      labelNames: ['validator'],
      registers,
      collect() {
        const s = committed();
        if (!s) return;
        this.reset();
        for (const q of s.sequencers('committed')) if (q.address.length) this.set({ validator: toHex(q.address).toUpperCase() }, q.misses ?? 0);
      },
    });
  }

  #producer(): string | undefined {
    const s = this.sources.app?.state;
    if (!s?.hasEpochs('committed')) return undefined;
    const e = s.epoch(s.epochMeta('committed').current, 'committed');
    return e ? toHex(e.producer).toUpperCase() : undefined;
  }

  /** Counts what a committed block did. */
  onCommit(b: CommittedBlock): void {
    for (const v of b.absent) this.missedBlocks.inc({ validator: v });
    const state = this.sources.app?.state;
    for (const e of b.events) {
      switch (e.type) {
        case 'observation_applied':
        case 'observation_rejected': {
          const digest = attr(e, 'digest');
          const kind = observationKind(digest && state ? state.observation(fromHex(digest), 'committed')?.observation : undefined);
          if (e.type === 'observation_applied') this.l1Attested.inc({ kind });
          else this.l1Rejected.inc({ kind, reason: rejectionReason(attr(e, 'rejected') ?? '') });
          break;
        }
        case 'respan':
          this.respans.inc();
          break;
        case 'jailed':
          this.jailings.inc({ reason: jailReason(attr(e, 'reason') ?? '') });
          break;
        case 'batch_requested': {
          const i = attr(e, 'index');
          if (i === undefined) break;
          if (this.#requestedAt.size >= MAX_TRACKED_BATCHES) this.#requestedAt.delete(this.#requestedAt.keys().next().value!);
          this.#requestedAt.set(i, b.time);
          break;
        }
        case 'batch_finalized': {
          const i = attr(e, 'index');
          const at = i === undefined ? undefined : this.#requestedAt.get(i);
          if (at !== undefined) this.batchLatency.observe(Math.max(0, b.time - at));
          if (i !== undefined) this.#requestedAt.delete(i);
          break;
        }
        case 'batch_expired':
          this.batchesExpired.inc();
          break;
        case 'sign_completed':
          this.signRequests.inc({ outcome: 'completed' });
          break;
        case 'sign_expired':
          this.signRequests.inc({ outcome: 'expired' });
          break;
      }
    }
  }

  /** The observer of an EVM tx sender ("L1" or "L2"). */
  txSender(chain: string): (e: TxSenderEvent) => void {
    for (const c of [this.txSent, this.txMined, this.txBumps]) c.inc({ chain }, 0);
    return (e) => {
      if (e.kind === 'sent') {
        this.txSent.inc({ chain });
        this.txNonce.set({ chain }, e.nonce);
      } else if (e.kind === 'mined') this.txMined.inc({ chain });
      else if (e.kind === 'bumped') this.txBumps.inc({ chain });
      else this.txFailures.inc({ chain, reason: e.reason });
    };
  }
}
