// The committed artifacts must be exactly what the pinned compiler makes from the committed sources.
import { readdirSync } from 'node:fs';
import { SOLC_VERSION, artifactsDir, compileAll, drift } from '../../contracts/build.js';
import { CONTRACT_NAMES, artifact } from '../../contracts/artifacts.js';

test('contracts/artifacts match a fresh compile (otherwise: run the build script)', () => {
  const compiled = compileAll();
  const bad = drift(undefined, compiled);
  if (bad.length) throw new Error(`artifacts drifted: ${bad.join(', ')}; run the build script (npm run build && node dist/contracts/build.js)`);
  for (const a of compiled.values()) expect(a.solcVersion.startsWith(`${SOLC_VERSION}+`)).toBe(true);
}, 60_000);

test('every contract the TypeScript side names has an artifact with bytecode', () => {
  const files = readdirSync(artifactsDir());
  for (const name of CONTRACT_NAMES) {
    expect(files).toContain(`${name}.json`);
    expect(artifact(name).bytecode.length).toBeGreaterThan(2);
  }
});
