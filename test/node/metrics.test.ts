// The node's Prometheus metrics (node/metrics.ts, node/abci-metrics.ts, common/metrics-server.ts),
// read back through Prometheus's own parser (test/prom-scrape.ts): the real app behind the timing
// wrapper, real attested L1 events and their rejections, the EVM tx sender's reports, and the
// endpoint's errors.
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SeqpoolApp } from '../../app/app.js';
import { silentLogger } from '../../common/log.js';
import { startMetricsServer, type MetricsServer } from '../../common/metrics-server.js';
import { meteredApp } from '../../node/abci-metrics.js';
import { jailReason, NodeMetrics, rejectionReason, type CommittedBlock } from '../../node/metrics.js';
import { readNodeConfig, writeNodeConfig } from '../../node/node-config.js';
import type { AppEvent } from '../../app/mpc-sessions.js';
import { initChainRequest, makeValidators, openApp, runBlock } from '../app/harness.js';
import { l1Chain, locked, relocked } from '../app/l1-harness.js';
import { freePort } from '../ports.js';
import { family, histogramCount, scrape, total, value } from '../prom-scrape.js';

const servers: MetricsServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function serve(metrics: NodeMetrics): Promise<string> {
  const s = await startMetricsServer({ registry: metrics.registry, listen: `127.0.0.1:${await freePort()}`, what: 'node', configFile: 'node.json', logger: silentLogger() });
  servers.push(s);
  return s.url;
}

const ev = (type: string, attrs: Record<string, string>): AppEvent => ({ type, attributes: Object.entries(attrs).map(([key, value]) => ({ key, value, index: true })) });

test('the real app behind the timing wrapper: ABCI durations, committed height, epoch, absent validators, process metrics', async () => {
  const vals = makeValidators(4);
  const app = await openApp();
  const metrics = new NodeMetrics();
  metrics.sources = { app, self: '' };
  const wrapped = meteredApp(app, metrics) as unknown as SeqpoolApp;
  await wrapped.initChain(initChainRequest(vals));
  await runBlock(wrapped, vals, 1n, [], []);
  await runBlock(wrapped, vals, 2n, [], [], [3]); // validator 3 did not vote for height 1
  await runBlock(wrapped, vals, 3n, [], [], [1, 3]);
  const url = await serve(metrics);
  const m = await scrape(url);
  for (const method of ['init_chain', 'prepare_proposal', 'process_proposal', 'finalize_block', 'commit']) {
    expect(histogramCount(m, 'seqpool_abci_method_duration_seconds', { method })).toBe(method === 'init_chain' ? 1 : 3);
  }
  expect(value(m, 'seqpool_app_committed_height')).toBe(3);
  expect(value(m, 'seqpool_epoch_current')).toBe(0);
  const producer = family(m, 'seqpool_epoch_producer_info', 'GAUGE').metrics;
  expect(producer).toHaveLength(1);
  expect(vals.map((v) => Buffer.from(v.address).toString('hex').toUpperCase())).toContain(producer[0]!.labels!.producer);
  const hex = (i: number) => Buffer.from(vals[i]!.address).toString('hex').toUpperCase();
  expect(value(m, 'seqpool_validator_missed_blocks_total', { validator: hex(3) }, 'COUNTER')).toBe(2);
  expect(value(m, 'seqpool_validator_missed_blocks_total', { validator: hex(1) }, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_validators_jailed')).toBe(0);
  expect(value(m, 'seqpool_batches', { state: 'finalized' })).toBe(0);
  expect(value(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  expect(family(m, 'process_cpu_seconds_total', 'COUNTER').metrics).toHaveLength(1);
  // A node without L1 or L2 has no bridge or L2 gauges, rather than a lag of 0 that looks healthy.
  expect(m.has('seqpool_bridge_lag_blocks')).toBe(false);
  expect(m.has('seqpool_l2_attestation_lag_blocks')).toBe(false);
});

test('bridge and L2 gauges read the listener and the L2 source when Prometheus scrapes', async () => {
  const vals = makeValidators(4);
  const app = await openApp();
  await app.initChain(initChainRequest(vals));
  await runBlock(app, vals, 1n, [], []);
  const metrics = new NodeMetrics({ l1: true, l2: true, confirmations: 2 });
  let head = 120n;
  let safe: bigint | undefined;
  metrics.sources = { app, l2Head: () => head, listener: () => ({ running: true, cursor: 95n, head: 100n, sweepFrom: 0n, storedEvents: 3, consecutiveFailures: 2, lastError: 'x', ...(safe === undefined ? {} : { safe }) }) as never };
  const url = await serve(metrics);
  let m = await scrape(url);
  expect(value(m, 'seqpool_bridge_l1_head_block')).toBe(100);
  expect(value(m, 'seqpool_bridge_l1_confirmed_block')).toBe(95);
  expect(value(m, 'seqpool_bridge_lag_blocks')).toBe(5);
  expect(value(m, 'seqpool_bridge_l1_rpc_failures')).toBe(2);
  expect(value(m, 'seqpool_bridge_pending_events')).toBe(3);
  expect(value(m, 'seqpool_bridge_l1_safe_block')).toBe(98); // head - K
  expect(value(m, 'seqpool_bridge_behind_safe_blocks')).toBe(3);
  const attested = value(m, 'seqpool_l2_head_attested_block');
  expect(value(m, 'seqpool_l2_attestation_lag_blocks')).toBe(120 - attested);
  head = 130n;
  safe = 60n; // a listener that follows L1's finalized block reports it
  m = await scrape(url);
  expect(value(m, 'seqpool_l2_head_local_block')).toBe(130);
  expect(value(m, 'seqpool_bridge_l1_safe_block')).toBe(60);
  expect(value(m, 'seqpool_bridge_behind_safe_blocks')).toBe(0);
});

test('an ABCI method that throws is counted and still throws; a block that never commits counts nothing', async () => {
  const metrics = new NodeMetrics();
  let fail = false;
  const nothing = async () => ({});
  const inner = {
    ...Object.fromEntries(['info', 'initChain', 'query', 'checkTx', 'prepareProposal', 'processProposal', 'extendVote', 'verifyVoteExtension'].map((k) => [k, nothing])),
    finalizeBlock: async () => ({ events: [ev('respan', { old_epoch: '1', new_epoch: '2' })] }),
    commit: async () => {
      if (fail) throw new Error('disk full');
      return {};
    },
  } as unknown as SeqpoolApp;
  const app = meteredApp(inner, metrics);
  await app.finalizeBlock({ height: 5n, txs: [] } as never);
  fail = true;
  await expect(app.commit({})).rejects.toThrow('disk full');
  fail = false;
  await app.commit({}); // a Commit without its FinalizeBlock counts nothing either
  const m = await scrape(await serve(metrics));
  expect(value(m, 'seqpool_abci_method_errors_total', { method: 'commit' }, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_respans_total', {}, 'COUNTER')).toBe(0);
  await app.finalizeBlock({ height: 6n, txs: [] } as never);
  await app.commit({});
  expect(value(await scrape(await serve(metrics)), 'seqpool_respans_total', {}, 'COUNTER')).toBe(1);
});

test('attested L1 events and the real app\'s rejections are counted by kind and by a bounded reason', async () => {
  const vals = makeValidators(5);
  const chain = await l1Chain({ genesis: vals.slice(0, 4).map((val, i) => ({ val, power: 20_000n, id: BigInt(i + 1) })), known: [vals[4]!] });
  const metrics = new NodeMetrics();
  metrics.sources = { app: chain.app };
  const wrongContract = { l1Staking: { ...locked(7n, vals[4]!, 30_000n).l1Staking!, contract: new Uint8Array(20).fill(1) } };
  await chain.step(locked(5n, vals[4]!, 30_000n), relocked(1n, 5n, 1n, 30_000n), relocked(2n, 1n, 1n, 30_000n), wrongContract, relocked(9n, 1n, 1n, 30_000n));
  const fin = await chain.step();
  metrics.onCommit({ height: chain.app.height, time: 0, events: (fin.events ?? []) as AppEvent[], absent: [] });
  const m = await scrape(await serve(metrics));
  expect(value(m, 'seqpool_l1_events_attested_total', { kind: 'locked' }, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_l1_events_rejected_total', { kind: 'relocked', reason: 'nonce_gap' }, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_l1_events_rejected_total', { kind: 'relocked', reason: 'replay' }, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_l1_events_rejected_total', { kind: 'locked', reason: 'wrong_contract' }, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_l1_events_rejected_total', { kind: 'relocked', reason: 'unknown_sequencer' }, 'COUNTER')).toBe(1);
  expect(total(m, 'seqpool_l1_events_rejected_total')).toBe(4);
});

test('batch latency in block time, batches expired, re-spans, jailings and sign requests from committed events', async () => {
  const metrics = new NodeMetrics();
  const block = (height: bigint, time: number, ...events: AppEvent[]): CommittedBlock => ({ height, time, events, absent: [] });
  metrics.onCommit(block(10n, 1000, ev('batch_requested', { index: '0' }), ev('batch_requested', { index: '1' })));
  metrics.onCommit(block(11n, 1012, ev('sign_completed', { request_id: '1' }), ev('batch_finalized', { index: '0' })));
  metrics.onCommit(block(12n, 1030.5, ev('batch_finalized', { index: '1' }), ev('batch_finalized', { index: '7' }))); // 7: requested before this node started
  metrics.onCommit(block(13n, 1031, ev('batch_expired', { index: '2' }), ev('sign_expired', { request_id: '3' }), ev('respan', {}), ev('jailed', { address: 'AB', reason: 'mpc reshare: bad dealing' }), ev('jailed', { address: 'CD', reason: 'missed' })));
  const m = await scrape(await serve(metrics));
  const latency = family(m, 'seqpool_batch_latency_seconds', 'HISTOGRAM').metrics[0]!;
  expect(Number(latency.count)).toBe(2);
  expect(Number(latency.sum)).toBeCloseTo(12 + 30.5);
  expect(Number(latency.buckets!['15'])).toBe(1);
  expect(value(m, 'seqpool_batches_expired_total', {}, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_sign_requests_total', { outcome: 'completed' }, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_sign_requests_total', { outcome: 'expired' }, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_respans_total', {}, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_jailings_total', { reason: 'mpc_reshare' }, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_jailings_total', { reason: 'missed' }, 'COUNTER')).toBe(1);
});

test('labels stay bounded: rejection and jail texts map to a fixed set', () => {
  expect(rejectionReason("batch 3 on L1 (hash ab) differs from the approved one (cd)")).toBe('batch_mismatch');
  expect(rejectionReason('batch 4 appended, but batch 2 is the next to finalize')).toBe('batch_out_of_order');
  expect(rejectionReason('this pool has no BatchInbox')).toBe('wrong_contract');
  expect(rejectionReason('signer pubkeys must be 64 bytes (uncompressed, no prefix)')).toBe('malformed');
  expect(jailReason('signing-cheater')).toBe('signing-cheater');
  expect(jailReason('mpc dkg: equivocation')).toBe('mpc_dkg');
  expect(jailReason('anything a future rule says')).toBe('other');
});

test('EVM tx senders report sends, nonces, bumps, mines and failures per chain', async () => {
  const metrics = new NodeMetrics();
  const l1 = metrics.txSender('L1');
  metrics.txSender('L2');
  l1({ kind: 'sent', nonce: 7 });
  l1({ kind: 'bumped', nonce: 7 });
  l1({ kind: 'mined', nonce: 7 });
  l1({ kind: 'failed', reason: 'funds' });
  metrics.sources = { txPending: () => [{ chain: 'L1', pending: 2 }] };
  const m = await scrape(await serve(metrics));
  expect(value(m, 'seqpool_tx_sender_last_nonce', { chain: 'L1' })).toBe(7);
  expect(value(m, 'seqpool_tx_sender_sent_total', { chain: 'L1' }, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_tx_sender_sent_total', { chain: 'L2' }, 'COUNTER')).toBe(0);
  expect(value(m, 'seqpool_tx_sender_fee_bumps_total', { chain: 'L1' }, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_tx_sender_mined_total', { chain: 'L1' }, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_tx_sender_failures_total', { chain: 'L1', reason: 'funds' }, 'COUNTER')).toBe(1);
  expect(value(m, 'seqpool_tx_sender_pending', { chain: 'L1' })).toBe(2);
});

test('the endpoint: only GET /metrics; a taken port is an error naming it and the file to change', async () => {
  const metrics = new NodeMetrics();
  const url = await serve(metrics);
  expect((await fetch(url.replace('/metrics', '/'))).status).toBe(404);
  expect((await fetch(url, { method: 'POST' })).status).toBe(405);
  const res = await fetch(url);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const port = await freePort();
  const taken: Server = createServer();
  await new Promise<void>((r) => taken.listen(port, '127.0.0.1', r));
  try {
    await expect(startMetricsServer({ registry: metrics.registry, listen: `127.0.0.1:${port}`, what: 'node', configFile: '/h/seqpool/node.json' })).rejects.toThrow(
      `node metrics server cannot listen on 127.0.0.1:${port} (EADDRINUSE): port ${port} is in use; pick another metrics.listen in /h/seqpool/node.json`,
    );
  } finally {
    await new Promise((r) => taken.close(r));
  }
});

test('node.json takes metrics.listen as host:port and names a bad one', () => {
  const home = mkdtempSync(join(tmpdir(), 'seqpool-metrics-cfg-'));
  try {
    writeNodeConfig(home, { metrics: { listen: '127.0.0.1:26663' } });
    expect(readNodeConfig(home).metrics).toEqual({ listen: '127.0.0.1:26663' });
    expect(() => writeNodeConfig(home, { metrics: { listen: 'http://127.0.0.1:26663' } })).toThrow(/metrics.listen must be host:port/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
