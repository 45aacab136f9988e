// Writes one benchmark's figures into its own section of docs/BENCHMARKS.md, between
// `<!-- bench:NAME -->` markers, so that each `npm run bench:*` script updates only what it measured.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), process.env.SEQPOOL_REPO_ROOT ?? '../..');

export function benchmarksPath(): string {
  return resolve(repoRoot, 'docs', 'BENCHMARKS.md');
}

/** Replace (or append) the section called `name` with `markdown`. */
export function writeBenchSection(name: string, markdown: string): string {
  const file = benchmarksPath();
  mkdirSync(dirname(file), { recursive: true });
  const header = '# Benchmarks\n\nFigures written by `npm run bench:*` on the machine named in each section. Do not edit between the markers by hand.\n';
  const current = existsSync(file) ? readFileSync(file, 'utf8') : header;
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const block = `${open}\n${markdown.trim()}\n${close}`;
  const start = current.indexOf(open);
  const end = current.indexOf(close);
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + block + current.slice(end + close.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
  return file;
}

/** A markdown table from a header row and data rows. */
export function markdownTable(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
