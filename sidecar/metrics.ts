// Every Prometheus metric of the MPC sidecar (docs/operators.md "Metrics"), served on its own port
// (sidecar.json metrics.listen) by common/metrics-server.ts. Names follow CometBFT's conventions: a
// `seqpool_` prefix, the unit in the name, counters ending in _total. The drivers report through
// the optional observers they take (signing.ts SigningObserver, keygen.ts onSessionClosed); what is
// a level (peers, suspects, nonce store, height) is read when Prometheus scrapes.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { KeySessionOutcome } from './keygen.js';
import type { SigningObserver } from './signing.js';

/** Where the scrape-time gauges read from; each part may be absent (tests, a sidecar still starting). */
export interface SidecarMetricSources {
  /** Committed height the sidecar processed last, and the key epoch it signs with. */
  status?: () => { height: bigint; keyEpoch: number | undefined; sessions: number };
  /** Members this sidecar currently suspects unreachable. */
  suspects?: () => number;
  /** Channel peers: allowed (the committee as bound on chain) and connected. */
  peers?: () => { peers: number; connected: number } | undefined;
  /** Sessions with a stored nonce or tombstone in the nonce store. */
  nonceSessions?: () => Promise<number>;
}

const PURPOSES = new Set(['appendBatch', 'commitEpoch', 'recommitEpoch', 'distributeRewards', 'slash']);
const purposeLabel = (p: string): string => (PURPOSES.has(p) ? p : 'other');
const KINDS = new Set(['dkg', 'reshare', 'refresh']);

/** Signing rounds take a few hundred ms on a localnet; a request may wait for rank take-overs. */
const SIGNING_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** A key session spans its deal and complaint phases: seconds to minutes. */
const SESSION_BUCKETS = [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800];

export class SidecarMetrics {
  readonly registry = new Registry();
  sources: SidecarMetricSources = {};

  readonly signingSeconds: Histogram<'stage' | 'purpose'>;
  readonly signatures: Counter<'purpose' | 'outcome'>;
  readonly missedRounds: Counter;
  readonly sessionSeconds: Histogram<'kind' | 'outcome'>;
  readonly sessions: Counter<'kind' | 'outcome'>;

  constructor() {
    const registers = [this.registry];
    // process_cpu_seconds_total, process_resident_memory_bytes, nodejs_* (unprefixed, as every
    // Node.js exporter names them; the scrape job tells node and sidecar apart).
    collectDefaultMetrics({ register: this.registry });
    const src = () => this.sources;
    this.signingSeconds = new Histogram({
      name: 'seqpool_mpc_signing_duration_seconds',
      help: 'Threshold signatures this sidecar coordinated, by stage: wait (request committed to our run), network (waiting on signers), local (our own work), total',
      labelNames: ['stage', 'purpose'],
      buckets: SIGNING_BUCKETS,
      registers,
    });
    this.signatures = new Counter({ name: 'seqpool_mpc_signatures_total', help: 'Signing runs this sidecar coordinated, by outcome (aggregated, failed)', labelNames: ['purpose', 'outcome'], registers });
    this.missedRounds = new Counter({ name: 'seqpool_mpc_missed_rounds_total', help: 'Signing rounds a member let pass unanswered (it becomes a suspect)', registers });
    this.sessionSeconds = new Histogram({
      name: 'seqpool_mpc_key_session_duration_seconds',
      help: 'DKG, reshare and refresh sessions this sidecar took part in, from its opening to its close, by kind and outcome',
      labelNames: ['kind', 'outcome'],
      buckets: SESSION_BUCKETS,
      registers,
    });
    this.sessions = new Counter({ name: 'seqpool_mpc_key_sessions_total', help: 'Key sessions this sidecar took part in, by kind and outcome (stored, not_holder, failed, error)', labelNames: ['kind', 'outcome'], registers });
    // Every series exists from the start at 0, so an alert on increase() sees the first failure.
    for (const purpose of PURPOSES) for (const outcome of ['aggregated', 'failed']) this.signatures.inc({ purpose, outcome }, 0);
    for (const kind of KINDS) for (const outcome of ['stored', 'not_holder', 'failed', 'error']) this.sessions.inc({ kind, outcome }, 0);
    new Gauge({
      name: 'seqpool_mpc_suspects',
      help: 'Key members this sidecar suspects unreachable (they missed a round of ours; they lose their coordinator turns)',
      registers,
      collect() {
        this.set(src().suspects?.() ?? 0);
      },
    });
    new Gauge({
      name: 'seqpool_mpc_peers_connected',
      help: 'Channel peers (committee members bound on chain) with an open libp2p connection',
      registers,
      collect() {
        const p = src().peers?.();
        if (p) this.set(p.connected);
      },
    });
    new Gauge({
      name: 'seqpool_mpc_peers_allowed',
      help: 'Channel peers in the allowlist: current key members and session parties with a peer binding',
      registers,
      collect() {
        const p = src().peers?.();
        if (p) this.set(p.peers);
      },
    });
    new Gauge({
      name: 'seqpool_mpc_nonce_store_sessions',
      help: 'Signing sessions with nonces or tombstones in the nonce store (settled ones are swept every 50 heights)',
      registers,
      async collect() {
        const n = src().nonceSessions;
        if (n) this.set(await n().catch(() => 0));
      },
    });
    new Gauge({
      name: 'seqpool_sidecar_height',
      help: 'Last committed height the sidecar processed',
      registers,
      collect() {
        const s = src().status?.();
        if (s) this.set(Number(s.height));
      },
    });
    new Gauge({
      name: 'seqpool_mpc_key_epoch',
      help: 'Key epoch this sidecar signs with (-1: none yet)',
      registers,
      collect() {
        const s = src().status?.();
        if (s) this.set(s.keyEpoch ?? -1);
      },
    });
    new Gauge({
      name: 'seqpool_mpc_key_sessions_active',
      help: 'Key sessions this sidecar is taking part in now',
      registers,
      collect() {
        const s = src().status?.();
        if (s) this.set(s.sessions);
      },
    });
  }

  /** The SigningDriver's observer. */
  signing(): SigningObserver {
    return {
      aggregated: (purpose, ms) => {
        const p = purposeLabel(purpose);
        for (const stage of ['wait', 'network', 'local', 'total'] as const) this.signingSeconds.observe({ stage, purpose: p }, ms[stage] / 1000);
        this.signatures.inc({ purpose: p, outcome: 'aggregated' });
      },
      failed: (purpose) => this.signatures.inc({ purpose: purposeLabel(purpose), outcome: 'failed' }),
      missedRound: () => this.missedRounds.inc(),
    };
  }

  /** The KeygenDriver's onSessionClosed. */
  sessionClosed(kind: string, outcome: KeySessionOutcome, ms: number | undefined): void {
    const k = KINDS.has(kind) ? kind : 'other';
    this.sessions.inc({ kind: k, outcome });
    if (ms !== undefined) this.sessionSeconds.observe({ kind: k, outcome }, ms / 1000);
  }
}
