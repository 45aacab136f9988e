// The suite's own hygiene: every port comes from test/ports.ts, never from Linux's ephemeral range,
// and no test file hard-codes one (a fresh clone's `make test` once failed because anvil could not
// bind a hard-coded 36006, and the anvil started before it was never stopped).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, freePortBlock, loopbackMultiaddr, TEST_PORT_MAX, TEST_PORT_MIN } from '../ports.js';

const EPHEMERAL_MIN = 32_768;
const EPHEMERAL_MAX = 60_999;
const TEST_DIR = fileURLToPath(new URL('..', import.meta.url));

test('the allocator stays below the ephemeral range and never hands out a port twice in a run', async () => {
  expect(TEST_PORT_MAX).toBeLessThan(EPHEMERAL_MIN);
  const seen = new Set<number>();
  for (let i = 0; i < 40; i++) {
    const p = await freePort();
    expect(p).toBeGreaterThanOrEqual(TEST_PORT_MIN);
    expect(p).toBeLessThanOrEqual(TEST_PORT_MAX);
    expect(p < EPHEMERAL_MIN || p > EPHEMERAL_MAX).toBe(true);
    expect(seen.has(p)).toBe(false);
    seen.add(p);
  }
  const block = await freePortBlock(30);
  for (let p = block; p < block + 30; p++) expect(seen.has(p)).toBe(false);
  expect(await loopbackMultiaddr()).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/(2\d{4}|3[0-2]\d{3})$/);
});

test('a port that is taken is skipped', async () => {
  const held = createServer();
  const p = await freePort();
  await new Promise<void>((r) => held.listen({ port: p + 1, host: '127.0.0.1' }, r));
  try {
    expect(await freePort()).not.toBe(p + 1);
  } finally {
    await new Promise((r) => held.close(r));
  }
});

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'golden' ? [] : testFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

test('no test file picks a port of its own', () => {
  const offenders: string[] = [];
  // Hard-coded listen ports and search starts, and kernel-chosen (port 0) listens. (The ABCI
  // server's own port-0 support is tested with the 'tcp://127.0.0.1:0' address, not matched here.)
  // A line that names a port for another reason says why with a `port-lint:` comment.
  const listening = /startAnvil|startGateway|\.listen\(|MpcChannel|createLibp2p|startTestnet|localnetUp|generateNetwork/;
  const patterns: [RegExp, RegExp | undefined][] = [
    [/\bport:\s*[1-9]\d{1,4}\b/, listening],
    [/\b(basePort|portSearchFrom):\s*\d/, undefined],
    [/anvilPorts:\s*\{\s*l[12]:\s*\d/, undefined],
    [/\/tcp\/0['`]/, undefined],
    [/\.listen\(0\b/, undefined],
    [/\bport:\s*0\b/, undefined],
  ];
  for (const file of testFiles(TEST_DIR)) {
    const rel = relative(TEST_DIR, file);
    if (rel === 'ports.ts' || rel === join('suite', 'ports.test.ts')) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.includes('port-lint:')) return;
        if (patterns.some(([re, context]) => re.test(line) && (!context || context.test(line)))) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
  }
  expect(offenders).toEqual([]);
});
