// The dashboard's panels, each rendered from one snapshot of the gateway's answers (app.js). A panel
// whose route failed says so instead of showing stale numbers.
import { ageSeconds, ago, badge, colourOf, fill, h, quantile, s, seconds, short, table } from './format.js';

const n = (x) => (x === undefined || x === null ? undefined : Number(x));

/** Latency in seconds between two heights, from the node's block times; undefined when either is unknown. */
export function latency(times, from, to) {
  const a = times.get(String(from));
  const b = times.get(String(to));
  return a === undefined || b === undefined || from === '0' || to === '0' ? undefined : (b - a) / 1000;
}

/** Producer colours: validators in address order, then any other producer seen. */
export function producerIndex(d) {
  const addrs = (d.validators ?? []).map((v) => v.address).sort();
  for (const e of d.epochs?.epochs ?? []) if (!addrs.includes(e.producer)) addrs.push(e.producer);
  return (a) => addrs.indexOf(a);
}

const missing = (what, err) => h('p', { class: 'muted' }, `${what} unavailable: ${err ?? 'no answer'}`);

export function renderSummary(d) {
  const item = (label, value, attrs = {}) => h('div', { class: 'item', ...attrs }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value));
  const health = d.health;
  const e = d.epoch;
  fill(
    'summary',
    item('chain', d.status?.chainId ?? '?'),
    item('height', d.status?.height ?? '?', { 'data-testid': 'height' }),
    item('app hash', d.status ? short(d.status.appHash, 6) : '?'),
    item('epoch', e ? `${e.id}${e.isRespan ? ' (re-span)' : ''}` : '?', { 'data-testid': 'epoch-id' }),
    item('producer', e ? short(e.producer, 6) : '?'),
    item('L2 head', e?.l2Head ?? '?'),
    item('key', d.key ? `${d.key.threshold} of ${d.key.members.length}` : 'none yet'),
    item('node', health ? badge(health.ok ? 'healthy' : health.catchingUp ? 'catching up' : 'unhealthy', health.ok ? 'ok' : 'bad') : '?', { 'data-testid': 'health' }),
  );
}

export function renderEpoch(d) {
  const e = d.epoch;
  if (!e) return fill('epoch', missing('current epoch', d.errors.epoch));
  const producer = (d.validators ?? []).find((v) => v.address === e.producer);
  fill(
    'epoch',
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, 'epoch'),
      h('dd', {}, `${e.id} `, badge(e.status), e.isRespan ? [' ', badge(`re-span of ${e.respanOf}`, 'warn')] : null),
      h('dt', {}, 'L2 blocks'),
      h('dd', {}, `${e.startL2} – ${e.endL2} (attested head ${e.l2Head})`),
      h('dt', {}, 'producer'),
      h('dd', { 'data-testid': 'producer', 'data-address': e.producer }, e.producer, producer?.sequencerId ? ` (sequencer ${producer.sequencerId})` : ''),
      h('dt', {}, 'signer on L1/L2'),
      h('dd', {}, e.signer),
      h('dt', {}, 'elected at height'),
      h('dd', {}, e.electedHeight),
    ),
  );
}

/** Epochs as bars over their L2 ranges: planned epochs in the upper lane, re-spans in the lower. */
export function renderTimeline(d) {
  const epochs = d.epochs?.epochs ?? [];
  if (epochs.length === 0) return fill('timeline', missing('epochs', d.errors.epochs));
  const colour = producerIndex(d);
  const lo = Math.min(...epochs.map((e) => n(e.startL2)));
  const hi = Math.max(...epochs.map((e) => n(e.endL2)));
  const W = 1000;
  const left = 70;
  const x = (l2) => left + ((l2 - lo) / Math.max(1, hi - lo + 1)) * (W - left - 10);
  const lanes = [
    ['epochs', epochs.filter((e) => !e.isRespan), 8],
    ['re-spans', epochs.filter((e) => e.isRespan), 44],
  ];
  const svg = s('svg', { viewBox: `0 0 ${W} 100`, role: 'img', 'aria-label': 'producers per epoch' });
  for (const [label, list, y] of lanes) {
    svg.append(s('text', { x: 0, y: y + 20, class: 'lane-label' }, label));
    svg.append(s('rect', { x: left, y, width: W - left - 10, height: 30, class: 'bar-bg' }));
    for (const e of list) {
      const x0 = x(n(e.startL2));
      const w = Math.max(2, x(n(e.endL2) + 1) - x0 - 1);
      const rect = s('rect', {
        x: x0,
        y,
        width: w,
        height: 30,
        rx: 3,
        fill: colourOf(colour(e.producer)),
        class: e.isRespan ? 'respan' : undefined,
        'data-epoch': e.id,
        'data-producer': e.producer,
        'data-respan': e.isRespan ? e.respanOf : undefined,
      });
      rect.append(s('title', {}, `epoch ${e.id}${e.isRespan ? ` (re-span of ${e.respanOf})` : ''}: L2 ${e.startL2}-${e.endL2}, producer ${e.producer}, ${e.status}`));
      svg.append(rect);
      if (w > 24) svg.append(s('text', { x: x0 + 4, y: y + 19, class: 'epoch-label' }, `#${e.id}`));
    }
  }
  const head = n(d.epoch?.l2Head);
  if (head !== undefined && head >= lo && head <= hi) {
    svg.append(s('line', { x1: x(head), x2: x(head), y1: 4, y2: 80, class: 'head-line' }));
    svg.append(s('text', { x: Math.min(x(head) + 3, W - 90), y: 94, class: 'head-label' }, `L2 head ${head}`));
  }
  svg.append(s('text', { x: left, y: 94, class: 'lane-label' }, String(lo)));
  const producers = [...new Set(epochs.map((e) => e.producer))].sort();
  const legend = h(
    'div',
    { class: 'legend' },
    producers.map((p) => {
      const sw = h('span', { class: 'swatch' });
      sw.style.background = colourOf(colour(p));
      return h('span', {}, sw, short(p, 6));
    }),
  );
  fill('timeline', svg, legend);
}

export function renderValidators(d) {
  const vals = d.validators;
  fill('validator-count', vals ? String(vals.length) : '');
  if (!vals) return fill('validators', missing('validators', d.errors.validators));
  const votes = new Map((d.votes?.validators ?? []).map((v) => [v.address, v]));
  const blocks = d.votes?.blocks;
  const rows = [...vals]
    .sort((a, b) => (a.address < b.address ? -1 : 1))
    .map((v) => {
      const mv = votes.get(v.address);
      const status = [badge(v.status ?? 'in set', v.status ?? 'ok'), v.jailed ? [' ', badge('jailed')] : null, v.address === d.epoch?.producer ? [' ', badge('producer')] : null];
      return [
        short(v.address, 8),
        v.sequencerId ?? '',
        { v: Number(v.power).toLocaleString('en'), cls: 'num' },
        h('span', {}, status),
        { v: v.misses ?? '', cls: 'num', title: 'epochs it owed a batch and did not produce (app state)' },
        { v: mv ? `${mv.missed} / ${blocks}` : d.votes ? `0 / ${blocks}` : '?', cls: 'num', title: mv?.lastMissed && mv.lastMissed !== '0' ? `last missed at height ${mv.lastMissed}` : 'absent votes in the commits this node watched' },
        v.peer ? h('span', { class: 'mono', title: v.peer.addrs.join(' ') }, `${v.peer.peerId.slice(0, 10)}…`) : h('span', { class: 'muted' }, 'none'),
        v.jailReason ?? v.inactive ?? '',
      ];
    });
  fill('validators', table(['address', 'sequencer', 'power', 'status', 'producer misses', 'missed votes', 'MPC peer', 'note'], rows, (i) => ({ 'data-testid': 'validator-row' })));
}

/** The batches table; returns the latency points for the chart. */
export function renderBatches(d) {
  const r = d.batches;
  if (!r) {
    fill('batches', missing('batches', d.errors.batches));
    return [];
  }
  const list = [...r.batches].reverse();
  const finalized = r.batches.filter((b) => b.status === 'finalized');
  const lat = finalized.map((b) => [n(b.index), latency(d.times, b.requestedHeight, b.finalizedHeight)]).filter(([, l]) => l !== undefined);
  const p50 = quantile(lat.map(([, l]) => l), 0.5);
  fill(
    'batch-summary',
    h('span', { 'data-testid': 'finalized-count', 'data-value': r.finalized }, `${r.finalized} final on L1`),
    `, next index ${r.nextIndex}`,
    p50 !== undefined ? `, median latency ${seconds(p50)} s` : '',
  );
  const rows = list.map((b) => {
    const l = b.status === 'finalized' ? latency(d.times, b.requestedHeight, b.finalizedHeight) : undefined;
    return [
      { v: b.index, cls: 'num' },
      `${b.l2Start}–${b.l2End}`,
      badge(b.status),
      b.epochId,
      b.l1TxHash ? short(b.l1TxHash, 8) : h('span', { class: 'muted' }, '–'),
      { v: l === undefined ? (b.status === 'finalized' ? `${n(b.finalizedHeight) - n(b.requestedHeight)} blocks` : '') : seconds(l), cls: 'num' },
    ];
  });
  fill('batches', table(['#', 'L2 blocks', 'state', 'epoch', 'L1 tx', 'latency s'], rows, (i) => ({ 'data-testid': 'batch-row', 'data-status': list[i].status, 'data-index': list[i].index })));
  return lat;
}

export function renderMpc(d) {
  const k = d.key;
  if (!k) fill('mpc-key', missing('MPC key', d.errors.key));
  else
    fill(
      'mpc-key',
      h(
        'dl',
        { class: 'kv' },
        h('dt', {}, 'group key'),
        h('dd', { title: k.groupKey }, k.groupKey),
        h('dt', {}, 'threshold'),
        h('dd', { 'data-testid': 'threshold' }, `${k.threshold} of ${k.members.length}`),
        h('dt', {}, 'key epoch'),
        h('dd', {}, `${k.keyEpoch} (since height ${k.height})`),
        h('dt', {}, 'committee'),
        h('dd', {}, k.members.map((m) => h('div', {}, `${m.index}: `, short(m.address, 8)))),
      ),
    );
  const sessions = d.sessions;
  if (!sessions) return fill('mpc-sessions', missing('sessions', d.errors.sessions));
  if (sessions.length === 0) return fill('mpc-sessions', h('p', { class: 'muted' }, 'none on this chain yet (a key set at genesis, or the genesis DKG not opened)'));
  const rows = [...sessions].reverse().map((x) => [
    x.kind,
    x.attempt,
    badge(x.status),
    x.keyEpoch,
    `${x.threshold} of ${x.receivers}`,
    `${x.ready} / ${x.receivers}`,
    { v: `${x.openedHeight}–${x.closedHeight === '0' ? '' : x.closedHeight}`, cls: 'mono' },
    x.faults.length ? { v: `${x.faults.length}`, title: x.faults.map((f) => `${f.index}: ${f.reason}`).join('\n') } : '',
    x.failure,
  ]);
  fill('mpc-sessions', table(['kind', 'attempt', 'status', 'key epoch', 'threshold', 'ready', 'heights', 'faults', 'failure'], rows));
}

/** Sign requests and their latency; returns the chart points. */
export function renderSigning(d) {
  const r = d.signs;
  if (!r) {
    fill('sign-requests', missing('sign requests', d.errors.signs));
    return [];
  }
  const signed = r.requests.filter((q) => q.status === 'signed');
  const lat = signed.map((q) => [n(q.id), latency(d.times, q.createdHeight, q.signedHeight)]).filter(([, l]) => l !== undefined);
  const ls = lat.map(([, l]) => l);
  const pending = r.requests.filter((q) => q.status === 'pending').length;
  fill('signing-summary', ls.length ? `p50 ${seconds(quantile(ls, 0.5))} s, p95 ${seconds(quantile(ls, 0.95))} s over ${ls.length}; ${pending} pending` : `${pending} pending`);
  const rows = [...r.requests].reverse().map((q) => {
    const l = q.status === 'signed' ? latency(d.times, q.createdHeight, q.signedHeight) : undefined;
    return [{ v: q.id, cls: 'num' }, q.purpose, badge(q.status), q.batchIndex !== '0' || q.purpose === 'appendBatch' ? q.batchIndex : '', { v: seconds(l), cls: 'num' }];
  });
  fill('sign-requests', table(['#', 'purpose', 'status', 'batch', 'latency s'], rows));
  return lat;
}

export function renderNode(d) {
  const hl = d.health;
  const ns = d.node;
  const kv = [];
  const add = (k, v) => kv.push(h('dt', {}, k), h('dd', {}, v));
  if (hl) add('gateway /health', [badge(hl.ok ? 'ok' : 'not ok', hl.ok ? 'ok' : 'bad'), hl.reason ? ` ${hl.reason}` : '']);
  else add('gateway /health', d.errors.health ?? 'no answer');
  if (ns) {
    add('moniker', ns.moniker);
    add('network', ns.network);
    add('CometBFT height', ns.latestHeight);
    add('last block', `${ago(ageSeconds(ns.latestBlockTimeMs))} ago`);
    add('catching up', ns.catchingUp ? badge('yes', 'warn') : 'no');
    add('peers', String(ns.peers));
    add('voting power', ns.votingPower);
    add('votes watched', d.votes ? `heights ${d.votes.fromHeight}–${d.votes.toHeight} (${d.votes.blocks})` : '');
  } else add('CometBFT', d.errors.node ?? 'no answer');
  if (d.status) add('app height', d.status.height), add('total power', Number(d.status.totalPower).toLocaleString('en'));
  fill('node', h('dl', { class: 'kv' }, kv));
}
