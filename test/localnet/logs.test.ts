// `localnet logs`: the end of a file read backwards, and a follow that sees appends and truncation.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followFile, lastLines, logFileOf } from '../../localnet/logs.js';

const dir = mkdtempSync(join(tmpdir(), 'seqpool-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

test('the last N lines, with or without a final newline, and all of a shorter file', () => {
  const f = file('a.log', 'one\ntwo\nthree\n');
  expect(lastLines(f, 2).text).toBe('two\nthree\n');
  expect(lastLines(f, 3).text).toBe('one\ntwo\nthree\n');
  expect(lastLines(f, 10).text).toBe('one\ntwo\nthree\n');
  expect(lastLines(f, 0)).toEqual({ text: '', size: 14 });
  expect(lastLines(file('b.log', 'one\ntwo\nthree'), 1).text).toBe('three');
  expect(lastLines(file('c.log', ''), 5).text).toBe('');
});

test('lines across the 64 KiB chunks read from the end', () => {
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
  const f = file('big.log', lines.join('\n') + '\n');
  expect(lastLines(f, 3000).text).toBe(lines.slice(2000).join('\n') + '\n');
  expect(lastLines(f, 1).text).toBe(lines[4999] + '\n');
});

test('follow prints appends, starts over after a truncation, waits for a file not there yet', async () => {
  const f = join(dir, 'later.log');
  const seen: string[] = [];
  const stop = new AbortController();
  const done = followFile(f, 0, (c) => seen.push(c.toString()), stop.signal, 20);
  await new Promise((r) => setTimeout(r, 60));
  writeFileSync(f, 'a\n');
  await new Promise((r) => setTimeout(r, 60));
  appendFileSync(f, 'b\n');
  await new Promise((r) => setTimeout(r, 60));
  writeFileSync(f, 'c\n'); // truncated and rewritten
  await new Promise((r) => setTimeout(r, 60));
  stop.abort();
  await done;
  expect(seen.join('')).toBe('a\nb\nc\n');
});

test('each process has its file in the home', () => {
  expect(logFileOf('/h', 'node')).toBe('/h/seqpool/node.log');
  expect(logFileOf('/h', 'cometbft')).toBe('/h/cometbft.log');
  expect(logFileOf('/h', 'sidecar')).toBe('/h/sidecar/sidecar.log');
});
