// Typed access to the committed artifacts in contracts/artifacts/ (written by contracts/build.ts)
// for viem. The JSON is read at run time from the repository, so dist/ needs no copy of it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Abi, Hex } from 'viem';

export const CONTRACT_NAMES = ['BatchInbox', 'EcdsaQuorumVerifier', 'FrostVerifierHarness', 'LockingPool', 'SequencerSet', 'StakeToken'] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export interface LoadedArtifact {
  abi: Abi;
  bytecode: Hex;
  deployedBytecode: Hex;
  solcVersion: string;
  sourceHash: Hex;
}

function artifactsDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'contracts', 'artifacts');
    if (existsSync(candidate)) return candidate;
    if (existsSync(join(dir, 'artifacts', 'StakeToken.json'))) return join(dir, 'artifacts');
    dir = dirname(dir);
  }
  throw new Error('contracts: artifacts directory not found (run the build script)');
}

const cache = new Map<ContractName, LoadedArtifact>();

/** The ABI and bytecode of one contract, as committed. */
export function artifact(name: ContractName): LoadedArtifact {
  let a = cache.get(name);
  if (!a) {
    a = JSON.parse(readFileSync(join(artifactsDirectory(), `${name}.json`), 'utf8')) as LoadedArtifact;
    cache.set(name, a);
  }
  return a;
}

export const abiOf = (name: ContractName): Abi => artifact(name).abi;
