// The folder rules of docs/architecture.md (decision 40), checked on every import of the shipped code:
// the pure layers import only what is below them, the state machine no process, no process another
// process's internals. A new import that breaks one fails here, naming the file and the import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = new Set(['node_modules', 'dist', 'test', '.git', 'contracts/src']);

/** Every relative import of every .ts file outside test/: [importing file, imported file], repo-relative. */
function imports(): [string, string][] {
  const out: [string, string][] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const path = dir ? `${dir}/${name}` : name;
      if (SKIP.has(path) || name.startsWith('.')) continue;
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
        const src = readFileSync(join(ROOT, path), 'utf8');
        for (const m of src.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
          out.push([path, relative(ROOT, normalize(join(ROOT, dir, m[1]!))).replace(/\.js$/, '.ts')]);
        }
      }
    }
  };
  walk('');
  return out;
}

const folder = (f: string): string => f.split('/')[0]!;
/** Runtime modules that do I/O, which the pure layers must not load. */
const IO_MODULES = /^(node:(fs|fs\/promises|net|http|https|child_process|dgram)|level|libp2p|@libp2p\/|@chainsafe\/|ws|pino)$/;

/** Which folders each pure layer may import (besides itself). */
const PURE: Record<string, string[]> = {
  common: [],
  proto: ['common'],
  mpc: ['common', 'proto'],
  protocol: ['common', 'proto', 'mpc'],
  // The state machine: the pure layers, and the ABCI server's interface it implements.
  app: ['common', 'proto', 'mpc', 'protocol', 'abci'],
};
/** Processes (and the typed clients) that share with the app only what protocol/ holds. */
const APART = ['bridge', 'sidecar', 'client'];
const PROCESS_AND_TOOLS = ['node', 'bridge', 'sidecar', 'client', 'cli', 'localnet'];

function violations(all: [string, string][]): string[] {
  const bad: string[] = [];
  for (const [from, to] of all) {
    const a = folder(from);
    const b = folder(to);
    if (a === b) continue;
    const edge = `${from} imports ${to}`;
    if (PURE[a] && !PURE[a].includes(b)) bad.push(`${edge}: ${a}/ may import only ${PURE[a].join(', ') || 'nothing outside itself'}`);
    if (a === 'app' && b === 'abci' && to !== 'abci/application.ts') bad.push(`${edge}: the app implements abci/application.ts and uses nothing else of the server`);
    if (APART.includes(a) && PROCESS_AND_TOOLS.concat('app').includes(b)) bad.push(`${edge}: ${a}/ shares contracts with other processes through protocol/, not through ${b}/`);
    if (b === 'bridge' && a !== 'node' && a !== 'bench') bad.push(`${edge}: the bridge runs inside the node; only node/ wires it`);
    if ((b === 'sidecar' || b === 'node') && to !== `${b}/index.ts` && a !== 'bench') bad.push(`${edge}: use ${b}/index.ts, the ${b} process's public face`);
  }
  return bad;
}

test('the folder rules hold for every import of the shipped code', () => {
  const all = imports();
  expect(all.length).toBeGreaterThan(500);
  expect(violations(all)).toEqual([]);
});

test('mpc/, protocol/ and app/ load no I/O module', () => {
  const bad: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const path = `${dir}/${name}`;
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) {
        for (const m of readFileSync(join(ROOT, path), 'utf8').matchAll(/^import\s+(?!type\b)[^'"]*['"]([^.'"][^'"]*)['"]/gm)) {
          if (IO_MODULES.test(m[1]!)) bad.push(`${path} imports ${m[1]}`);
        }
      }
    }
  };
  for (const dir of ['mpc', 'protocol', 'app']) walk(dir);
  expect(bad).toEqual([]);
});

test('the rules catch what they forbid', () => {
  expect(violations([['sidecar/approval.ts', 'app/abi.ts']])).toHaveLength(1);
  expect(violations([['app/app.ts', 'bridge/state-view.ts']])).toHaveLength(2);
  expect(violations([['mpc/index.ts', 'sidecar/store/key-store.ts']])).toHaveLength(2);
  expect(violations([['localnet/l1-chains.ts', 'sidecar/config.ts']])).toHaveLength(1);
  expect(violations([['localnet/l1-chains.ts', 'sidecar/index.ts'], ['node/node.ts', 'bridge/listener.ts'], ['protocol/tx.ts', 'common/bytes.ts']])).toEqual([]);
});
