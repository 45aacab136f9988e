// The operator dashboard: every 2 s it reads this node's gateway (relative URLs only, so the same
// page works on any node's gateway) and redraws each panel (views.js). The routes are the gateway's
// own (docs/api.md, openapi.json); /node/* are what this node's process sees of its CometBFT.
import { latencyChart } from './charts.js';
import { renderBatches, renderEpoch, renderMpc, renderNode, renderSigning, renderSummary, renderTimeline, renderValidators } from './views.js';

const REFRESH_MS = 2000;
const TIMEOUT_MS = 8000;
/** Block times already known: a height's time never changes. Bounded. */
const times = new Map();
const MAX_TIMES = 5000;

/** GET a gateway route (relative to the page) and return its `result`, or throw with the gateway's reason. */
async function get(route) {
  const res = await fetch(route.replace(/^\//, ''), { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const body = await res.json().catch(() => undefined);
  if (route === '/health') {
    if (!body || typeof body.ok !== 'boolean') throw new Error(`HTTP ${res.status}`);
    return body;
  }
  if (!res.ok || !body || !('result' in body)) throw new Error(body?.error ?? `HTTP ${res.status}`);
  return body.result;
}

const ROUTES = {
  status: '/status',
  health: '/health',
  node: '/node/status',
  epoch: '/epochs/current',
  epochs: '/epochs/recent?limit=40',
  validators: '/validators',
  votes: '/node/votes',
  batches: '/batches/recent?limit=30',
  key: '/mpc/key',
  sessions: '/mpc/sessions?limit=12',
  signs: '/sign/recent?limit=40',
};

/** Read every SLOW_EVERY refreshes only: the session list costs the app a read of every session record. */
const SLOW = new Set(['sessions', 'key']);
const SLOW_EVERY = 5;
let tick = 0;
const kept = {};

async function snapshot() {
  const slowTurn = tick++ % SLOW_EVERY === 0;
  const names = Object.keys(ROUTES).filter((k) => slowTurn || !SLOW.has(k) || !(k in kept));
  const settled = await Promise.allSettled(names.map((k) => get(ROUTES[k])));
  const d = { errors: {}, times };
  for (const k of SLOW) if (k in kept) d[k] = kept[k];
  settled.forEach((r, i) => {
    if (r.status === 'fulfilled') d[names[i]] = r.value;
    else d.errors[names[i]] = r.reason?.message ?? String(r.reason);
    if (SLOW.has(names[i])) {
      if (r.status === 'fulfilled') kept[names[i]] = r.value;
      else delete kept[names[i]], delete d[names[i]];
    }
  });
  if (d.sessions) d.sessions = d.sessions.sessions;
  // Heights whose times give the latencies (requested -> final, created -> signed).
  const heights = new Set();
  for (const b of d.batches?.batches ?? []) if (b.status === 'finalized') heights.add(b.requestedHeight), heights.add(b.finalizedHeight);
  for (const q of d.signs?.requests ?? []) if (q.status === 'signed') heights.add(q.createdHeight), heights.add(q.signedHeight);
  const wanted = [...heights].filter((x) => x !== '0' && !times.has(x)).slice(0, 200);
  if (wanted.length > 0 && !d.errors.node) {
    try {
      const r = await get(`/node/block-times?heights=${wanted.join(',')}`);
      for (const b of r.blocks) times.set(b.height, Number(b.timeMs));
      while (times.size > MAX_TIMES) times.delete(times.keys().next().value);
    } catch (e) {
      d.errors.times = e.message;
    }
  }
  return d;
}

function render(d) {
  const failed = Object.keys(ROUTES).filter((k) => d.errors[k] && k !== 'key');
  const banner = document.getElementById('banner');
  if (failed.length === Object.keys(ROUTES).length) {
    banner.hidden = false;
    banner.textContent = `The gateway does not answer (${d.errors.status}); retrying every ${REFRESH_MS / 1000} s.`;
  } else banner.hidden = true;
  for (const f of [renderSummary, renderEpoch, renderTimeline, renderValidators, renderMpc, renderNode]) {
    try {
      f(d);
    } catch (e) {
      console.error(f.name, e);
    }
  }
  try {
    latencyChart('batch-chart', 'batch', '#0969da', renderBatches(d));
    latencyChart('sign-chart', 'request', '#8250df', renderSigning(d));
  } catch (e) {
    console.error('charts', e);
  }
  document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
  // For tests and scripts: live once the app has answered.
  if (d.status) document.body.dataset.state = 'live';
}

async function loop() {
  try {
    render(await snapshot());
  } catch (e) {
    console.error(e);
  }
  setTimeout(loop, REFRESH_MS);
}

loop();
