// Where committed state goes. The app calls `save` once per Commit with exactly the block's changes;
// the node implements it over LevelDB (node/level-persistence.ts), tests in memory.
import type { Change } from './store.js';

export interface PersistedState {
  height: bigint;
  appHash: Uint8Array;
  entries: [string, Uint8Array][];
}

export interface StatePersistence {
  /** The last committed state, or undefined for a fresh node. */
  load(): Promise<PersistedState | undefined>;
  /** Atomically apply `changes` and record (height, appHash) as the last commit. */
  save(height: bigint, appHash: Uint8Array, changes: Change[]): Promise<void>;
}

/** Keeps "disk" in memory: for unit tests and the determinism replay. */
export class MemoryPersistence implements StatePersistence {
  private data = new Map<string, Uint8Array>();
  private last?: { height: bigint; appHash: Uint8Array };

  async load(): Promise<PersistedState | undefined> {
    return this.last && { ...this.last, entries: [...this.data.entries()] };
  }

  async save(height: bigint, appHash: Uint8Array, changes: Change[]): Promise<void> {
    for (const [k, v] of changes) (v === null ? this.data.delete(k) : this.data.set(k, v));
    this.last = { height, appHash };
  }
}
