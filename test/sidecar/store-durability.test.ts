// Key-store and nonce-store writes are synced to disk (decision 31): LevelDB's default write reaches
// the OS only, so a power loss could undo a nonce's tombstone and let the nonce be used again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Level } from 'level';
import { l1DealerKey } from '../../bench/mpc-dealer.js';
import { LevelKeyStore } from '../../sidecar/store/key-store.js';
import { LevelNonceStore } from '../../sidecar/store/nonce-store.js';
import { FAST } from './helpers.js';

type Write = { op: string; sync: boolean };
const writes: Write[] = [];
const proto = Level.prototype as unknown as Record<'put' | 'del' | 'batch', (...a: unknown[]) => unknown>;
const originals = { put: proto.put, del: proto.del, batch: proto.batch };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'seqpool-durable-'));
  // Record the options of every write (put(key, value, opts), del(key, opts), batch(ops, opts)).
  proto.put = function (this: unknown, ...a: unknown[]) {
    writes.push({ op: 'put', sync: (a[2] as { sync?: boolean } | undefined)?.sync === true });
    return originals.put.apply(this, a);
  };
  proto.del = function (this: unknown, ...a: unknown[]) {
    writes.push({ op: 'del', sync: (a[1] as { sync?: boolean } | undefined)?.sync === true });
    return originals.del.apply(this, a);
  };
  proto.batch = function (this: unknown, ...a: unknown[]) {
    if (a.length > 0) writes.push({ op: 'batch', sync: (a[1] as { sync?: boolean } | undefined)?.sync === true });
    return originals.batch.apply(this, a);
  };
});
afterAll(() => {
  Object.assign(proto, originals);
  rmSync(dir, { recursive: true, force: true });
});

test('every write of the nonce store and the key store is synced', async () => {
  const nonces = await LevelNonceStore.open(join(dir, 'nonces'), 'pw', FAST);
  const session = randomBytes(32);
  const point = randomBytes(33);
  await nonces.put(session, 1, { hiding: randomBytes(32), binding: randomBytes(32) }, { index: 1, hiding: point, binding: point });
  await nonces.consume(session, 1);
  await nonces.forget(Buffer.from(session).toString('hex'));
  await nonces.close();

  const keys = await LevelKeyStore.open(join(dir, 'keys'), 'pw', FAST);
  const [share] = l1DealerKey(4, 3, 'durability');
  await keys.put(share!);
  await keys.confirm(share!.public.keyId, share!.public.epoch);
  await keys.putSession('ab'.repeat(32), randomBytes(64));
  await keys.deleteSession('ab'.repeat(32));
  await keys.close();

  expect(writes.length).toBeGreaterThanOrEqual(9);
  expect(writes.filter((w) => !w.sync)).toEqual([]);
});
