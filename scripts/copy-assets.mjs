// Copies the non-TypeScript files the compiled code loads at run time (our .proto schemas) into dist/,
// so `new URL('./x.proto', import.meta.url)` resolves the same from source (jest) and from dist.
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

for (const dir of ['proto']) {
  mkdirSync(join('dist', dir), { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith('.proto')) cpSync(join(dir, f), join('dist', dir, f));
}
