// The dashboard's charts: uPlot (from the uplot npm package, served by the gateway) line charts of
// a latency in seconds against a batch index or a sign request id.
import uPlot from './vendor/uPlot.esm.js';

const charts = new Map();

/** Draws or updates the chart in element `id` with points [[x, seconds]...]. */
export function latencyChart(id, xLabel, colour, points) {
  const el = document.getElementById(id);
  const data = [points.map(([x]) => x), points.map(([, y]) => y)];
  let c = charts.get(id);
  if (!c) {
    const width = Math.max(280, el.clientWidth || 400);
    c = new uPlot(
      {
        width,
        height: 200,
        scales: { x: { time: false } },
        legend: { show: true },
        series: [{ label: xLabel }, { label: 'seconds', stroke: colour, width: 2, points: { show: true, size: 5 } }],
        // Whole numbers on the x axis: batch indices and request ids.
        axes: [{ label: xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] }, { label: 's' }],
      },
      data,
      el,
    );
    charts.set(id, c);
    new ResizeObserver(() => c.setSize({ width: Math.max(280, el.clientWidth), height: 200 })).observe(el);
  } else c.setData(data);
  el.dataset.points = String(points.length);
}
