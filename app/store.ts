// Versioned key-value state held in memory: the committed view (what queries and CheckTx read) and
// the changes of the block being finalized on top of it. Nothing here touches disk: the node hands
// `takeChanges()` to its persistence at Commit (decision 10: persistence only at Commit).
import { utf8 } from '../common/bytes.js';
import { kvLeaf, leafHash, proveLeaf, rootOfLeafHashes, type MerkleProof } from './merkle.js';

export type Change = [key: string, value: Uint8Array | null]; // null deletes

export class StateStore {
  private committed = new Map<string, Uint8Array>();
  private pending = new Map<string, Uint8Array | null>();
  private committedTree?: { keys: string[]; hashes: Uint8Array[]; root: Uint8Array };

  /** Load committed entries (at start-up, from persistence). */
  load(entries: Iterable<[string, Uint8Array]>): void {
    this.committed = new Map(entries);
    this.pending.clear();
    this.committedTree = undefined;
  }

  get(key: string): Uint8Array | undefined {
    if (this.pending.has(key)) return this.pending.get(key) ?? undefined;
    return this.committed.get(key);
  }

  getCommitted(key: string): Uint8Array | undefined {
    return this.committed.get(key);
  }

  set(key: string, value: Uint8Array): void {
    assertKey(key);
    this.pending.set(key, value);
  }

  delete(key: string): void {
    this.pending.set(key, null);
  }

  /** Keys with `prefix` in byte order, in the working view (committed plus pending). */
  keys(prefix: string): string[] {
    const out = new Set<string>();
    for (const k of this.committed.keys()) if (k.startsWith(prefix)) out.add(k);
    for (const [k, v] of this.pending) if (k.startsWith(prefix)) (v === null ? out.delete(k) : out.add(k));
    return [...out].sort();
  }

  committedKeys(prefix: string): string[] {
    return [...this.committed.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  /** Merkle root of the working view: the app hash FinalizeBlock reports. */
  workingRoot(): Uint8Array {
    const keys = this.keys('');
    return rootOfLeafHashes(keys.map((k) => leafHash(kvLeaf(utf8(k), this.get(k)!))));
  }

  /** Merkle root of the committed view. */
  committedRoot(): Uint8Array {
    return this.tree().root;
  }

  /** Proof that `key` holds its committed value; undefined if absent. */
  proveCommitted(key: string): { value: Uint8Array; proof: MerkleProof } | undefined {
    const value = this.committed.get(key);
    if (value === undefined) return undefined;
    const tree = this.tree();
    return { value, proof: proveLeaf(tree.hashes, binarySearch(tree.keys, key)) };
  }

  hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** Drop the working changes (a block that is not committed). */
  discard(): void {
    this.pending.clear();
  }

  /** Fold the working changes into the committed view and return them for persistence. */
  commit(): Change[] {
    const changes: Change[] = [...this.pending.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [k, v] of changes) (v === null ? this.committed.delete(k) : this.committed.set(k, v));
    this.pending.clear();
    this.committedTree = undefined;
    return changes;
  }

  private tree(): { keys: string[]; hashes: Uint8Array[]; root: Uint8Array } {
    if (!this.committedTree) {
      const keys = [...this.committed.keys()].sort();
      const hashes = keys.map((k) => leafHash(kvLeaf(utf8(k), this.committed.get(k)!)));
      this.committedTree = { keys, hashes, root: rootOfLeafHashes(hashes) };
    }
    return this.committedTree;
  }
}

// Keys are printable ASCII so that string order is byte order.
function assertKey(key: string): void {
  if (!/^[\x21-\x7e]{1,256}$/.test(key)) throw new Error(`invalid state key ${JSON.stringify(key)}`);
}

function binarySearch(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = sorted[mid]!;
    if (k === key) return mid;
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  throw new Error(`key ${key} not in tree`);
}
