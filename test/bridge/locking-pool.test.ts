// The listener against the real LockingPool artifact (contracts/): lockFor, relock and updateSigner
// reach pending() in nonce order with the fields the app checks, and the followed topics match the artifact.
import { toEventSelector, type AbiEvent } from 'viem';
import { artifact } from '../../contracts/artifacts.js';
import { L1Listener, lockingPoolEventsAbi } from '../../bridge/index.js';
import { toHex } from '../../common/bytes.js';
import { TOKENS, deployPool, newSigner, type PoolFixture } from '../contracts/pool-fixture.js';
import { FakeState, events, ids, tempDir } from './harness.js';

const K = 2;
let f: PoolFixture;
const dir = tempDir();

beforeAll(async () => {
  f = await deployPool();
}, 30_000);
afterAll(async () => {
  await f?.chain.stop();
  dir.cleanup();
});

test('the followed events have the same topics in bridge/locking-pool-abi.ts and the LockingPool artifact', () => {
  const real = new Map((artifact('LockingPool').abi as AbiEvent[]).filter((x) => x.type === 'event').map((e) => [e.name, toEventSelector(e)]));
  for (const e of lockingPoolEventsAbi) expect([e.name, real.get(e.name)]).toEqual([e.name, toEventSelector(e)]);
});

test('lockFor, relock and updateSigner on the real LockingPool are offered in nonce order', async () => {
  const state = new FakeState();
  const l = new L1Listener({ finality: 'confirmations', client: f.chain.pub, chainId: f.chain.chainId, lockingPool: f.pool, startBlock: 0n, confirmations: K, pollIntervalMs: 3_600_000, dbPath: dir.path, stateView: state });
  await l.start();
  try {
    const s = await newSigner(f.chain);
    const s2 = await newSigner(f.chain);
    await f.chain.write(f.locker, f.pool, 'LockingPool', 'lockFor', [s.account.address, TOKENS(20_000), s.pubkey]);
    await f.chain.write(f.locker, f.pool, 'LockingPool', 'relock', [1n, TOKENS(5_000)]);
    await f.chain.write(s.account, f.pool, 'LockingPool', 'updateSigner', [1n, s2.pubkey]);
    await f.chain.pub.request({ method: 'anvil_mine' as never, params: [`0x${K.toString(16)}`] as never });
    await l.syncNow();
    const seen: string[] = [];
    for (let p = l.pending(); p.length > 0; p = l.pending()) for (const o of p) (seen.push(ids([o])[0]!), state.settle(o));
    expect(seen).toEqual(['1/1', '1/2', '1/3']);
    await l.syncNow(); // prunes the settled events
    expect(l.status().storedEvents).toBe(0);
  } finally {
    await l.stop();
  }
});

test('Locked carries the signer and its 64-byte pubkey as lockFor took them', async () => {
  const state = new FakeState();
  const d = tempDir();
  const l = new L1Listener({ finality: 'confirmations', client: f.chain.pub, chainId: f.chain.chainId, lockingPool: f.pool, startBlock: 0n, confirmations: K, pollIntervalMs: 3_600_000, dbPath: d.path, stateView: state });
  await l.start();
  try {
    const s = await newSigner(f.chain);
    await f.chain.write(f.locker, f.pool, 'LockingPool', 'lockFor', [s.account.address, TOKENS(30_000), s.pubkey]);
    await f.chain.pub.request({ method: 'anvil_mine' as never, params: [`0x${K.toString(16)}`] as never });
    await l.syncNow();
    const ev = events(l.pending()).find((e) => e.sequencerId === 2n)!;
    expect(ev.nonce).toBe(1n);
    expect(`0x${toHex(ev.locked!.signer)}`).toBe(s.account.address.toLowerCase());
    expect(`0x${toHex(ev.locked!.signerPubkey)}`).toBe(s.pubkey.toLowerCase());
    expect(ev.locked!.total).toBe(TOKENS(30_000).toString());
  } finally {
    await l.stop();
    d.cleanup();
  }
});
