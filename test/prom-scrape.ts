// Reads a /metrics endpoint as the Prometheus ecosystem does: Prometheus's own prom2json (built
// into .bin/ by scripts/ensure-prom2json.sh, which `make test` runs) fetches the URL and parses the
// text exposition with prometheus/common's expfmt, refusing anything a scrape would refuse. The
// tests then look at typed families, never at the text.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const PROM2JSON = fileURLToPath(new URL('../.bin/prom2json', import.meta.url));

export interface Sample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface Family {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}

export type Scrape = Map<string, Family>;

/** Scrapes `url` through prom2json; throws with prom2json's own error when the text does not parse. */
export async function scrape(url: string): Promise<Scrape> {
  if (!existsSync(PROM2JSON)) throw new Error(`${PROM2JSON} is missing: run scripts/ensure-prom2json.sh (make test does)`);
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(PROM2JSON, [url], { timeout: 20_000, maxBuffer: 32 * 1024 * 1024 }));
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`prom2json ${url} failed: ${err.stderr?.trim() || err.message}`);
  }
  const families = JSON.parse(stdout) as Family[];
  return new Map(families.map((f) => [f.name, f]));
}

const matches = (s: Sample, labels: Record<string, string>): boolean => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v);

/** The family `name`, of type `type`; throws naming what is missing. */
export function family(m: Scrape, name: string, type: Family['type']): Family {
  const f = m.get(name);
  if (!f) throw new Error(`no metric ${name} (have: ${[...m.keys()].filter((k) => !k.startsWith('nodejs_')).join(', ')})`);
  if (f.type !== type) throw new Error(`${name} is a ${f.type}, expected a ${type}`);
  return f;
}

/** The value of the one counter/gauge sample of `name` with `labels` (a subset). */
export function value(m: Scrape, name: string, labels: Record<string, string> = {}, type: Family['type'] = 'GAUGE'): number {
  const hits = family(m, name, type).metrics.filter((s) => matches(s, labels));
  if (hits.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${hits.length} samples, expected 1`);
  return Number(hits[0]!.value);
}

/** Sum over the counter/gauge samples of `name` matching `labels`. */
export function total(m: Scrape, name: string, labels: Record<string, string> = {}, type: Family['type'] = 'COUNTER'): number {
  return family(m, name, type).metrics.filter((s) => matches(s, labels)).reduce((a, s) => a + Number(s.value), 0);
}

/** Observations of histogram `name` over the samples matching `labels`. */
export function histogramCount(m: Scrape, name: string, labels: Record<string, string> = {}): number {
  return family(m, name, 'HISTOGRAM').metrics.filter((s) => matches(s, labels)).reduce((a, s) => a + Number(s.count), 0);
}
