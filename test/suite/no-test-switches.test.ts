// The shipped program has no byzantine switches (decision 32): nothing outside test/ reads a
// SEQPOOL_TEST_* variable, so no environment can make an operator's node or sidecar misbehave.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHIPPED = ['abci', 'app', 'bin', 'bridge', 'cli', 'client', 'common', 'cometbft-config', 'contracts', 'localnet', 'mpc', 'node', 'proto', 'scripts'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'artifacts' || name === 'node_modules' ? [] : files(path);
    return /\.(ts|js|mjs|sh)$/.test(name) ? [path] : [];
  });
}

test('no shipped file reads a SEQPOOL_TEST_ variable or carries a byzantine mode', () => {
  const offenders = SHIPPED.flatMap((d) => files(join(ROOT, d)))
    .filter((f) => /SEQPOOL_TEST_|bad-signature-shares|bad-shares'/.test(readFileSync(f, 'utf8')))
    .map((f) => f.slice(ROOT.length));
  expect(offenders).toEqual([]);
});
