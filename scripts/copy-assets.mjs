// Copies the non-TypeScript files the compiled code loads at run time into dist/, so
// `new URL('./x', import.meta.url)` resolves the same from source (jest) and from dist: our .proto
// schemas, and the operator dashboard's page, scripts and styles (node/dashboard/, served by the
// gateway; node/dashboard-assets.ts lists them).
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const copies = [
  ['proto', (f) => f.endsWith('.proto')],
  [join('node', 'dashboard'), (f) => /\.(html|js|css)$/.test(f)],
];
for (const [dir, wanted] of copies) {
  mkdirSync(join('dist', dir), { recursive: true });
  for (const f of readdirSync(dir)) if (wanted(f)) cpSync(join(dir, f), join('dist', dir, f));
}
