// DOM and formatting helpers of the dashboard. Everything from the chain is put into the page as
// text (textContent, attribute values), never as HTML: names, reasons and peer addresses come from
// validators and must not be able to run script in an operator's browser.

/** An element with attributes (`class`, `data-*`, `title`...) and children (nodes or text). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the content of the element with this id. */
export function fill(id, ...children) {
  const el = document.getElementById(id);
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table from column headers and rows of cells (a cell: text, a node, or {v, cls, title}). */
export function table(headers, rows, rowAttrs = () => ({})) {
  const head = h('tr', {}, headers.map((x) => h('th', { class: x.startsWith('#') || x.endsWith(' s') || x === 'power' ? 'num' : undefined }, x)));
  const body = rows.map((r, i) =>
    h(
      'tr',
      rowAttrs(i),
      r.map((c) => (c !== null && typeof c === 'object' && !(c instanceof Node) ? h('td', { class: c.cls, title: c.title }, c.v) : h('td', {}, c))),
    ),
  );
  return h('table', {}, h('thead', {}, head), h('tbody', {}, body));
}

/** The first and last characters of a long hex string, the whole of it in the title. */
export function short(hex, keep = 6) {
  if (typeof hex !== 'string' || hex.length <= keep * 2 + 3) return h('span', { class: 'mono' }, hex ?? '');
  const body = hex.startsWith('0x') ? hex.slice(2) : hex;
  const pre = hex.startsWith('0x') ? '0x' : '';
  return h('span', { class: 'mono', title: hex }, `${pre}${body.slice(0, keep)}…${body.slice(-4)}`);
}

export const badge = (text, cls = text) => h('span', { class: `badge ${cls}` }, text);

/** Seconds with one decimal under a minute, else m:ss. */
export function seconds(x) {
  if (x === undefined || x === null || !Number.isFinite(x)) return '';
  if (x < 60) return x.toFixed(1);
  return `${Math.floor(x / 60)}:${String(Math.round(x % 60)).padStart(2, '0')}`;
}

/** The q-quantile (0..1) of numbers. */
export function quantile(xs, q) {
  if (xs.length === 0) return undefined;
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(q * v.length))];
}

/** A stable colour per producer address (its position in the sorted validator list). */
const PALETTE = ['#0969da', '#8250df', '#1a7f37', '#bf3989', '#9a6700', '#0a7b83', '#cf222e', '#6639ba', '#953800', '#116329'];
export const colourOf = (index) => PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];

/** How long ago, from seconds: "12.3 s", "4 min", "2.5 h". */
export function ago(x) {
  if (!Number.isFinite(x)) return '';
  if (x < 120) return `${x.toFixed(1)} s`;
  if (x < 7200) return `${Math.round(x / 60)} min`;
  return `${(x / 3600).toFixed(1)} h`;
}

/** Seconds since a unix-ms time. */
export const ageSeconds = (ms) => (Date.now() - Number(ms)) / 1000;
