// The listener's own LevelDB (decision 12): the scan cursor, the sweep start, the hash of each scanned
// block and every confirmed event not yet settled (LockingPool staking events and BatchInbox
// BatchAppended events, stored as the Observation they become). Each step of the listener is one atomic batch, so a
// crash leaves the store at a step boundary and a restart neither loses nor repeats an event.
import { Level } from 'level';
import { toHex } from '../common/bytes.js';
import { ObservationCodec, type L1BatchAppended, type L1StakingEvent, type Observation } from '../proto/seqpool.js';

const CURSOR = 'm/cursor';
const SWEEP = 'm/sweep';
const META = 'm/meta';
const HASH = 'h/';
const EVENT = 'e/';

// Zero-padded block numbers and log indexes make LevelDB's byte order the numeric order.
const pad = (n: bigint | number, width: number): string => n.toString().padStart(width, '0');
const hashKey = (n: bigint): string => HASH + pad(n, 20);
/** What locates a log: both followed event kinds carry it. */
type Located = Pick<L1StakingEvent, 'blockNumber' | 'blockHash' | 'logIndex'>;
const eventKey = (ev: Located): string => `${EVENT}${pad(ev.blockNumber, 20)}/${toHex(ev.blockHash)}/${pad(ev.logIndex, 10)}`;

/** Identity of an event: (block hash, log index). The same log seen twice is the same event. */
export const eventId = (ev: Pick<Located, 'blockHash' | 'logIndex'>): string => `${toHex(ev.blockHash)}:${ev.logIndex}`;

/** What the store is bound to; opening it for another chain or contract is a configuration error. */
export interface StoreMeta {
  chainId: string;
  contract: string;
  /** The followed BatchInbox, if any. */
  batchInbox?: string;
}

/** The located event inside an observation the store holds. */
export const located = (o: Observation): L1StakingEvent | L1BatchAppended => {
  const ev = o.l1Staking ?? o.batchAppended;
  if (!ev) throw new Error('the bridge store holds only L1 staking and BatchAppended observations');
  return ev;
};

export interface StoredState {
  cursor: bigint | undefined;
  sweepFrom: bigint | undefined;
  events: Observation[];
  /** The followed BatchInbox changed (or was added) since the cursor was written: the caller must
   * rescan from its start block for that contract's events. */
  batchInboxChanged: boolean;
}

export class BridgeStore {
  private readonly db: Level<string, Uint8Array>;

  constructor(readonly path: string) {
    this.db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' });
  }

  async open(meta: StoreMeta): Promise<StoredState> {
    try {
      await this.db.open();
    } catch (e) {
      const cause = (e as { cause?: Error }).cause;
      throw new Error(`cannot open the bridge database at ${this.path}: ${cause?.message ?? (e as Error).message} (is another seqpool node using this home?)`);
    }
    const stored = await this.getString(META);
    let batchInboxChanged = false;
    if (stored === undefined) await this.db.put(META, utf8(JSON.stringify(meta)));
    else {
      const was = JSON.parse(stored) as StoreMeta;
      if (was.chainId !== meta.chainId || was.contract.toLowerCase() !== meta.contract.toLowerCase()) {
        await this.db.close();
        throw new Error(
          `the bridge database at ${this.path} follows chain ${was.chainId} contract ${was.contract}, not chain ${meta.chainId} contract ${meta.contract}; ` +
            'point the node at the right L1, or move the database away to start over',
        );
      }
      if ((was.batchInbox ?? '').toLowerCase() !== (meta.batchInbox ?? '').toLowerCase()) {
        batchInboxChanged = meta.batchInbox !== undefined;
        await this.db.put(META, utf8(JSON.stringify(meta)));
      }
    }
    const cursor = await this.getString(CURSOR);
    const sweep = await this.getString(SWEEP);
    const events: Observation[] = [];
    for await (const [, v] of this.db.iterator({ gte: EVENT, lt: 'e0' })) {
      const obs = ObservationCodec.decode(v);
      if (obs.l1Staking || obs.batchAppended) events.push(obs);
    }
    return { cursor: cursor === undefined ? undefined : BigInt(cursor), sweepFrom: sweep === undefined ? undefined : BigInt(sweep), events, batchInboxChanged };
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** One scanned range: its events, the hashes of its blocks, and optionally the new cursor. */
  async commitRange(events: Observation[], hashes: Map<bigint, Uint8Array>, cursor: bigint | undefined): Promise<void> {
    const batch = this.db.batch();
    for (const obs of events) {
      const ev = located(obs);
      batch.put(eventKey(ev), ObservationCodec.encode(obs));
      batch.put(hashKey(ev.blockNumber), ev.blockHash);
    }
    for (const [n, h] of hashes) batch.put(hashKey(n), h);
    if (cursor !== undefined) batch.put(CURSOR, utf8(cursor.toString()));
    await batch.write({ sync: true });
  }

  async setSweepFrom(n: bigint): Promise<void> {
    await this.db.put(SWEEP, utf8(n.toString()), { sync: true });
  }

  async deleteEvents(events: Observation[]): Promise<void> {
    if (events.length === 0) return;
    const batch = this.db.batch();
    for (const obs of events) batch.del(eventKey(located(obs)));
    await batch.write({ sync: true });
  }

  async blockHash(n: bigint): Promise<Uint8Array | undefined> {
    const v = await this.db.get(hashKey(n));
    return v;
  }

  /** Stored (block number, hash) pairs at or below `n`, newest first: where a reorg walk looks. */
  async *hashesDescending(n: bigint): AsyncGenerator<[bigint, Uint8Array]> {
    for await (const [k, v] of this.db.iterator({ gte: HASH, lte: hashKey(n), reverse: true })) {
      yield [BigInt(k.slice(HASH.length)), v];
    }
  }

  /** Forgets every block above `fork` (hashes and events) and moves the cursor back to it, atomically. */
  async rewind(fork: bigint, sweepFrom: bigint): Promise<void> {
    const batch = this.db.batch();
    for await (const k of this.db.keys({ gt: hashKey(fork), lt: 'h0' })) batch.del(k);
    for await (const k of this.db.keys({ gte: `${EVENT}${pad(fork + 1n, 20)}`, lt: 'e0' })) batch.del(k);
    batch.put(CURSOR, utf8(fork.toString()));
    batch.put(SWEEP, utf8(sweepFrom.toString()));
    await batch.write({ sync: true });
  }

  /** Drops hash records below `below`, keeping those of blocks that still hold stored events. */
  async pruneHashes(below: bigint, keep: Set<bigint>): Promise<number> {
    const batch = this.db.batch();
    let n = 0;
    for await (const k of this.db.keys({ gte: HASH, lt: hashKey(below) })) {
      if (keep.has(BigInt(k.slice(HASH.length)))) continue;
      batch.del(k);
      n++;
    }
    if (n > 0) await batch.write({ sync: true });
    else await batch.close();
    return n;
  }

  private async getString(key: string): Promise<string | undefined> {
    const v = await this.db.get(key);
    return v === undefined ? undefined : new TextDecoder().decode(v);
  }
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
