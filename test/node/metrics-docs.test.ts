// docs/operators.md "Metrics" lists every metric the node and the sidecar register, and its alert
// rules use only metrics that exist (ours, or CometBFT's documented ones): a renamed metric or a
// forgotten row fails here instead of in an operator's silent alert.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NodeMetrics } from '../../node/metrics.js';
import { SidecarMetrics } from '../../sidecar/metrics.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/operators.md', import.meta.url)), 'utf8');
const section = doc.slice(doc.indexOf('\n## Metrics'));
const rules = section.slice(section.indexOf('```yaml\ngroups:'), section.indexOf('```', section.indexOf('```yaml\ngroups:') + 3));
const registered = [...new NodeMetrics({ l1: true, l2: true }).registry.getMetricsAsArray(), ...new SidecarMetrics().registry.getMetricsAsArray()].map((m) => m.name).filter((n) => n.startsWith('seqpool_'));
/** First cells of the metric tables: `| \`name\` | type | ...`. */
const documented = new Set([...section.matchAll(/^\| `((?:seqpool|cometbft)_[a-z0-9_]+)` \|/gm)].map((m) => m[1]!));

test('every seqpool metric the node and the sidecar register has a row in docs/operators.md', () => {
  expect(registered.length).toBeGreaterThan(40);
  expect(registered.filter((n) => !documented.has(n))).toEqual([]);
  expect([...documented].filter((n) => n.startsWith('seqpool_') && !registered.includes(n))).toEqual([]);
});

test('the alert rules use only registered metrics and the CometBFT metrics the section names', () => {
  expect(rules.length).toBeGreaterThan(500);
  const used = new Set([...rules.matchAll(/\b((?:seqpool|cometbft)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, '')));
  const comet = new Set([...section.matchAll(/`(cometbft_[a-z0-9_]+)`/g)].map((m) => m[1]!));
  expect([...used].filter((n) => (n.startsWith('seqpool_') ? !registered.includes(n) : !comet.has(n)))).toEqual([]);
  // Every failure the issue names has a rule.
  for (const alert of ['SeqpoolStalled', 'SeqpoolSigningRoundMissed', 'SeqpoolBridgeBehindL1', 'SeqpoolValidatorMissingVotes', 'SeqpoolBatchesNotFinalizing', 'SeqpoolValidatorJailed', 'SeqpoolTxSenderFailing']) {
    expect(rules).toContain(`alert: ${alert}\n`);
  }
});
