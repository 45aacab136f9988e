// App state on disk (decision 12): one LevelDB per node. Each Commit writes the block's changes and
// the new (height, app hash) in one atomic batch, so a crash leaves either the old or the new state,
// and CometBFT's handshake replays whatever the app lacks.
import { Level } from 'level';
import type { Change } from '../app/store.js';
import type { PersistedState, StatePersistence } from '../app/persistence.js';

const STATE = 's/';
const HEIGHT = 'm/height';
const APP_HASH = 'm/app_hash';

export class LevelPersistence implements StatePersistence {
  private readonly db: Level<string, Uint8Array>;

  constructor(readonly path: string) {
    this.db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' });
  }

  async open(): Promise<void> {
    try {
      await this.db.open();
    } catch (e) {
      const cause = (e as { cause?: Error }).cause;
      throw new Error(`cannot open the state database at ${this.path}: ${cause?.message ?? (e as Error).message} (is another seqpool node using this home?)`);
    }
  }

  async load(): Promise<PersistedState | undefined> {
    const height = await this.db.get(HEIGHT);
    const appHash = await this.db.get(APP_HASH);
    if (height === undefined || appHash === undefined) return undefined;
    const entries: [string, Uint8Array][] = [];
    for await (const [k, v] of this.db.iterator({ gte: STATE, lt: 's0' })) entries.push([k.slice(STATE.length), v]);
    return { height: BigInt(new TextDecoder().decode(height)), appHash, entries };
  }

  async save(height: bigint, appHash: Uint8Array, changes: Change[]): Promise<void> {
    const batch = this.db.batch();
    for (const [k, v] of changes) (v === null ? batch.del(STATE + k) : batch.put(STATE + k, v));
    batch.put(HEIGHT, new TextEncoder().encode(height.toString()));
    batch.put(APP_HASH, appHash);
    await batch.write({ sync: true });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
