// Prometheus metrics of the L2 adapter (docs/l2.md, docs/operators.md "Metrics"): what the driver
// built, imported, refused and dropped, and how long a build took, fed by its events
// (l2/driver.ts L2DriverEvents). Refusal reasons are bounded to a few kinds: a label must never
// carry a peer's text.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { L2DriverEvents } from '../l2/driver.js';

/** A refusal reason (l2/driver.ts tryImport) as one of a fixed set of labels. */
export function refusalKind(reason: string): string {
  if (/but the pool elected/.test(reason)) return 'wrong_signer';
  if (/is not our block/.test(reason)) return 'wrong_parent';
  if (/ahead of our clock/.test(reason)) return 'future_timestamp';
  if (/elected no producer/.test(reason)) return 'no_producer';
  if (/recommitEpoch|re-span/.test(reason)) return 'no_recommit';
  if (/^geth:/.test(reason)) return 'invalid_payload';
  return 'bad_signature';
}

/** Registers the L2 metrics on `registry`; returns the driver's events that feed them. */
export function l2DriverMetrics(registry: Registry): L2DriverEvents {
  const registers = [registry];
  const built = new Counter({ name: 'seqpool_l2_blocks_built_total', help: 'L2 blocks this validator built, signed and published as the elected producer', registers });
  const imported = new Counter({ name: 'seqpool_l2_blocks_imported_total', help: "L2 blocks imported from peers after every check (signer, parent, time, geth's validation)", registers });
  const refused = new Counter({ name: 'seqpool_l2_blocks_refused_total', help: 'L2 blocks refused, by reason', labelNames: ['reason'], registers });
  const dropped = new Counter({ name: 'seqpool_l2_blocks_dropped_total', help: 'stored L2 blocks dropped because the pool re-spanned their heights to another producer', registers });
  const buildSeconds = new Histogram({ name: 'seqpool_l2_block_build_seconds', help: 'from the start of a slot to the signed block', buckets: [0.5, 0.75, 1, 1.25, 1.5, 2, 3, 5, 10], registers });
  return {
    built: (_b, ms) => {
      built.inc();
      buildSeconds.observe(ms / 1000);
    },
    imported: () => imported.inc(),
    refused: (_h, _from, reason) => refused.inc({ reason: refusalKind(reason) }),
    dropped: (from, to) => dropped.inc(Number(to - from + 1n)),
  };
}
