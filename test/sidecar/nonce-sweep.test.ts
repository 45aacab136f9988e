// Every member asked for a commitment stores a nonce, and only the first t answers sign: the
// settled requests' nonces and tombstones must not pile up in the nonce store for ever.
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { NONCE_SWEEP_BLOCKS } from '../../sidecar/signing.js';
import { LevelNonceStore } from '../../sidecar/store/nonce-store.js';
import { Cluster, FAST } from './helpers.js';

test('settled requests\' nonces and tombstones are swept out of the nonce store; restarts lose nothing else', async () => {
  const c = new Cluster(4);
  const storedSessions = async (i: number) => {
    await c.stop(i);
    const store = await LevelNonceStore.open(join(c.nodes[i]!.dir, 'nonces'), 'test passphrase', FAST);
    try {
      return (await store.sessions()).size;
    } finally {
      await store.close();
      await c.start(i);
    }
  };
  try {
    for (let i = 0; i < 4; i++) await c.start(i);
    const s = c.chain.openDkg(3n);
    await c.until(() => c.chain.sessions.get(bytesToHex(s.id))!.status !== 'open', 15);
    await c.block();
    await c.signsCommitEpoch(1, 30, 100);
    await c.signsCommitEpoch(2, 30, 100);
    // Every member was asked for both requests (each answered or was still answering).
    expect(await storedSessions(0)).toBeGreaterThanOrEqual(1);
    // Two sweeps apart (the first marks, the second deletes what is still settled).
    for (let k = 0n; k < 2n * NONCE_SWEEP_BLOCKS + 5n; k++) await c.block(2);
    await c.block(200); // the second sweep runs in the background
    expect(await storedSessions(0)).toBe(0);
    // A pending request's nonces are kept: it still signs after a sweep.
    await c.signsCommitEpoch(3, 30, 100);
  } finally {
    await c.close();
  }
}, 90_000);
