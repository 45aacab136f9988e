// Compiles contracts/src/*.sol with the pinned npm solc (no compiler download) into
// contracts/artifacts/<Name>.json. The output is a pure function of the sources, the OpenZeppelin
// files they import and the settings below (sorted keys, no CBOR metadata hash), so the committed
// artifacts can be checked for drift by recompiling (test/contracts/artifacts.test.ts).
//
//   npm run build && node dist/contracts/build.js          # writes the artifacts
//   node dist/contracts/build.js --check                   # exits 1 on drift
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';
import { canonicalJson } from './json.js';

export { canonicalJson };

export const SOLC_VERSION = '0.8.37';
export const EVM_VERSION = 'cancun';
export const OPTIMIZER_RUNS = 10_000;

export interface Artifact {
  abi: unknown[];
  bytecode: `0x${string}`;
  deployedBytecode: `0x${string}`;
  solcVersion: string;
  sourceHash: string;
}

/** The repository root, found from this file whether it runs from source or from dist/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'contracts', 'src'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('contracts/build: repository root not found');
}

export const sourcesDir = (root = repoRoot()): string => join(root, 'contracts', 'src');
export const artifactsDir = (root = repoRoot()): string => join(root, 'contracts', 'artifacts');

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

/** Compiles every source; returns artifacts by contract name (only contracts with bytecode). */
export function compileAll(root = repoRoot()): Map<string, Artifact> {
  const version = solc.version();
  if (!version.startsWith(`${SOLC_VERSION}+`)) throw new Error(`contracts/build: solc ${version}, expected ${SOLC_VERSION} (npm ci)`);
  const dir = sourcesDir(root);
  const sources: Record<string, { content: string }> = {};
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.sol')).sort()) sources[`src/${f}`] = { content: readFileSync(join(dir, f), 'utf8') };

  const require = createRequire(join(root, 'package.json'));
  const imported: Record<string, string> = {};
  const findImports = (path: string): { contents: string } | { error: string } => {
    try {
      const contents = readFileSync(require.resolve(path), 'utf8');
      imported[path] = contents;
      return { contents };
    } catch {
      return { error: `not found: ${path}` };
    }
  };
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
      metadata: { bytecodeHash: 'none', appendCBOR: false },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as SolcOutput;
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(`contracts/build: solc errors:\n${errors.map((e) => e.formattedMessage).join('\n')}`);

  // One hash over everything that went into the compiler (our sources, imported files, settings).
  const hash = createHash('sha256');
  hash.update(canonicalJson({ settings: input.settings, sources: Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, v.content])), imported }));
  const sourceHash = `0x${hash.digest('hex')}`;

  const result = new Map<string, Artifact>();
  for (const [file, contracts] of Object.entries(out.contracts ?? {})) {
    if (!file.startsWith('src/')) continue;
    for (const [name, c] of Object.entries(contracts)) {
      if (!c.evm.bytecode.object) continue; // interfaces and abstract contracts
      if (result.has(name)) throw new Error(`contracts/build: duplicate contract name ${name}`);
      result.set(name, { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}`, solcVersion: version, sourceHash });
    }
  }
  return result;
}

/** Files that differ between a fresh compile and contracts/artifacts (names, extra or missing). */
export function drift(root = repoRoot(), compiled = compileAll(root)): string[] {
  const dir = artifactsDir(root);
  const want = new Map([...compiled].map(([n, a]) => [`${n}.json`, canonicalJson(a)]));
  const have = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  const bad = have.filter((f) => !want.has(f));
  for (const [f, text] of want) if (!have.includes(f) || readFileSync(join(dir, f), 'utf8') !== text) bad.push(f);
  return bad.sort();
}

export function writeArtifacts(root = repoRoot(), compiled = compileAll(root)): string[] {
  const dir = artifactsDir(root);
  mkdirSync(dir, { recursive: true });
  const names = [...compiled.keys()].sort();
  for (const f of readdirSync(dir)) if (f.endsWith('.json') && !compiled.has(f.slice(0, -5))) unlinkSync(join(dir, f));
  for (const n of names) writeFileSync(join(dir, `${n}.json`), canonicalJson(compiled.get(n)));
  return names;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  if (process.argv.includes('--check')) {
    const bad = drift();
    if (bad.length) {
      console.error(`contracts: artifacts drifted (${bad.join(', ')}); run the build script`);
      process.exit(1);
    }
    console.log('contracts: artifacts up to date');
  } else {
    console.log(`contracts: wrote ${writeArtifacts().join(', ')}`);
  }
}
