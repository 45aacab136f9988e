// The sidecar's Prometheus metrics (sidecar/metrics.ts) after a real genesis DKG and a signature
// among 4 in-process sidecars (scripted chain, in-memory channel), read back through Prometheus's
// own parser (test/prom-scrape.ts); and a metrics port that is taken stops the start with an error
// naming it, leaving the stores closed.
import { createServer, type Server } from 'node:net';
import { bytesToHex } from '@noble/hashes/utils.js';
import { startSidecar } from '../../sidecar/sidecar.js';
import { LevelNonceStore } from '../../sidecar/store/nonce-store.js';
import { freePort } from '../ports.js';
import { family, histogramCount, scrape, total, value } from '../prom-scrape.js';
import { Cluster, FAST } from './helpers.js';

const c = new Cluster(4);
const urls: string[] = [];
afterAll(() => c.close());

test('DKG and signing show in every sidecar\'s /metrics', async () => {
  for (const [i, x] of c.nodes.entries()) {
    const port = await freePort();
    x.sidecar = await startSidecar({
      privKey: x.privKey,
      dataDir: x.dir,
      passphrase: 'test passphrase',
      scrypt: FAST,
      chain: c.chain,
      heights: c.chain.heightSource(),
      transport: c.hub.transport(x.pubKey),
      l2: c.l2,
      logger: x.log.logger(`sidecar-${i}`),
      config: { roundTimeoutMs: 3000, metrics: { listen: `127.0.0.1:${port}` } },
    });
    urls.push(`http://127.0.0.1:${port}/metrics`);
  }
  const s = c.chain.openDkg(3n);
  await c.until(() => c.chain.sessions.get(bytesToHex(s.id))!.status !== 'open', 15);
  await c.block(); // sidecars see DONE and finalise
  await c.signsCommitEpoch(1, 10, 30);
  const scrapes = await Promise.all(urls.map(scrape));
  for (const m of scrapes) {
    expect(value(m, 'seqpool_mpc_key_sessions_total', { kind: 'dkg', outcome: 'stored' }, 'COUNTER')).toBe(1);
    expect(value(m, 'seqpool_mpc_key_sessions_total', { kind: 'dkg', outcome: 'failed' }, 'COUNTER')).toBe(0);
    expect(histogramCount(m, 'seqpool_mpc_key_session_duration_seconds', { kind: 'dkg', outcome: 'stored' })).toBe(1);
    expect(value(m, 'seqpool_sidecar_height')).toBe(Number(c.chain.height));
    expect(value(m, 'seqpool_mpc_key_epoch')).toBe(c.chain.key!.result.public.epoch);
    expect(value(m, 'seqpool_mpc_suspects')).toBe(0);
    expect(value(m, 'seqpool_mpc_key_sessions_active')).toBe(0);
    expect(value(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  }
  // One coordinator aggregated the signature: its four stages are in its histogram, total >= each.
  const coordinator = scrapes.find((m) => total(m, 'seqpool_mpc_signatures_total', { outcome: 'aggregated' }) > 0)!;
  expect(coordinator).toBeDefined();
  expect(scrapes.reduce((a, m) => a + total(m, 'seqpool_mpc_signatures_total', { purpose: 'commitEpoch', outcome: 'aggregated' }), 0)).toBe(1);
  for (const stage of ['wait', 'network', 'local', 'total']) expect(histogramCount(coordinator, 'seqpool_mpc_signing_duration_seconds', { stage, purpose: 'commitEpoch' })).toBe(1);
  const sum = (stage: string) => Number(family(coordinator, 'seqpool_mpc_signing_duration_seconds', 'HISTOGRAM').metrics.find((x) => x.labels?.stage === stage)!.sum);
  expect(sum('total')).toBeGreaterThanOrEqual(sum('network'));
  // Signers stored their nonces (a tombstone each) for the signed request.
  expect(scrapes.filter((m) => value(m, 'seqpool_mpc_nonce_store_sessions') >= 1).length).toBeGreaterThanOrEqual(3);
}, 60_000);

test('a taken metrics port fails the start with an error naming it, and leaves the stores closed', async () => {
  const x = c.nodes[0]!;
  await c.stop(0);
  const port = await freePort();
  const taken: Server = createServer();
  await new Promise<void>((r) => taken.listen(port, '127.0.0.1', r));
  try {
    await expect(
      startSidecar({ privKey: x.privKey, dataDir: x.dir, passphrase: 'test passphrase', scrypt: FAST, chain: c.chain, heights: c.chain.heightSource(), transport: c.hub.transport(x.pubKey), l2: c.l2, logger: x.log.logger('again'), config: { metrics: { listen: `127.0.0.1:${port}` } } }),
    ).rejects.toThrow(`sidecar metrics server cannot listen on 127.0.0.1:${port} (EADDRINUSE): port ${port} is in use; pick another metrics.listen in sidecar.json`);
  } finally {
    await new Promise((r) => taken.close(r));
  }
  // LevelDB allows one opener: the failed start released the nonce store.
  const again = await LevelNonceStore.open(`${x.dir}/nonces`, 'test passphrase', FAST);
  await again.close();
});
