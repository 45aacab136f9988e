// The operator dashboard in a real browser (Debian's chromium via playwright-core) against a gateway
// over a real in-process app (test/node/pool-scenario.ts: 3 finalized batches, a re-span) with a
// fake CometBFT RPC behind /node/*: the page goes live, shows the validators, the producer of
// /epochs/current, the finalized batches with their latency, the re-span on the timeline, the missed
// votes, the MPC key and the signing latencies, with no script error and nothing its CSP refuses.
// The same page against a live localnet: test/integration/pool.test.ts.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PoolClient } from '../../client/pool-client.js';
import { toHex } from '../../common/bytes.js';
import { silentLogger } from '../../common/log.js';
import { appQuery, startGateway, type Gateway } from '../../node/gateway.js';
import { freePort } from '../ports.js';
import { browserUnavailable, launchChromium, type Browser } from './browser.js';
import { fakeComet, poolScenario, type FakeComet, type PoolScenario } from './pool-scenario.js';

const unavailable = browserUnavailable();
if (unavailable) console.warn(unavailable);
const browserTest = unavailable ? test.skip : test;

let scenario: PoolScenario;
let comet: FakeComet;
let gw: Gateway;
let browser: Browser | undefined;

beforeAll(async () => {
  scenario = await poolScenario();
  comet = await fakeComet(scenario.chain);
  gw = await startGateway({ host: '127.0.0.1', port: await freePort(), query: appQuery(scenario.chain.app), logger: silentLogger(), cometRpc: comet.url });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
  await comet?.close();
});

browserTest('the dashboard goes live and shows the pool: validators, producer, batches, re-span, missed votes, key, signing', async () => {
  browser = await launchChromium();
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if ((m.type() === 'error' && !m.text().startsWith('Failed to load resource')) || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(`${gw.url}/`);
  await page.waitForSelector('body[data-state="live"]', { timeout: 15_000 });
  // The latencies need the block times of /node/block-times: wait until both charts have points.
  await page.waitForFunction("Number(document.getElementById('batch-chart')?.dataset.points ?? 0) >= 3 && Number(document.getElementById('sign-chart')?.dataset.points ?? 0) >= 3", undefined, { timeout: 15_000 });

  const pool = new PoolClient(gw.url);
  const epoch = await pool.currentEpoch();
  expect(await page.textContent('[data-testid="validator-count"]')).toBe('4');
  expect(await page.locator('[data-testid="validator-row"]').count()).toBe(4);
  expect(await page.getAttribute('[data-testid="producer"]', 'data-address')).toBe(epoch.producer);
  expect(await page.textContent('[data-testid="producer"]')).toContain(epoch.producer);
  expect(await page.getAttribute('[data-testid="finalized-count"]', 'data-value')).toBe('3');
  expect(await page.locator('[data-testid="batch-row"][data-status="finalized"]').count()).toBe(3);
  // Batch latency: requested at one height, finalized 3 blocks (3 s, at 1 s a block) later in the scenario.
  const latencies = await page.locator('[data-testid="batch-row"] td:last-child').allTextContents();
  expect(latencies).toEqual(['3.0', '3.0', '3.0']);
  // The re-span: an epoch in the lower lane of the timeline, marked as a re-span of epoch 0.
  expect(await page.locator('#timeline rect[data-respan="0"]').count()).toBe(1);
  expect(await page.locator('#timeline rect[data-epoch]').count()).toBe(2);
  // Missed votes of the validator whose votes the fake CometBFT marks absent every third height.
  const absentee = toHex(scenario.chain.vals[comet.absentIndex]!.address).toUpperCase();
  const votes = await pool.missedVotes();
  const row = page.locator('[data-testid="validator-row"]', { has: page.locator(`span[title="${absentee}"]`) });
  expect(await row.locator('td').nth(5).textContent()).toBe(`${votes.validators.find((v) => v.address === absentee)!.missed} / ${votes.blocks}`);
  expect(await page.textContent('[data-testid="threshold"]')).toBe('3 of 4');
  expect(await page.textContent('#node')).toContain('node0');
  expect(await page.textContent('[data-testid="health"] .value')).toBe('healthy');
  expect(problems).toEqual([]);
  const shot = join(tmpdir(), 'seqpool-dashboard-unit.png');
  writeFileSync(shot, await page.screenshot({ fullPage: true }));
}, 60_000);
