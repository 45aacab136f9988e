// The bridge follows L1 finality, and reconciles the pool with L1 when a reorg goes deeper anyway
// (issue 15, decision 38), end to end in one process: a real LockingPool on an anvil whose finalized
// block trails its head by two (--slots-in-an-epoch 1), the real L1 listener over the app's committed
// view, and the real app driven block by block with what the listener offers.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Hex } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { L1Listener } from '../../bridge/index.js';
import { fromHex, toHex } from '../../common/bytes.js';
import { makeValidators, type TestValidator } from '../app/harness.js';
import { l1Chain, type L1Chain } from '../app/l1-harness.js';
import { TOKENS, deployPool, type PoolFixture } from '../contracts/pool-fixture.js';
import { tempDir } from './harness.js';

const vals = makeValidators(4);
const [joiner, other] = makeValidators(6).slice(4);
const pubkey = (v: TestValidator): Hex => privateKeyToAccount(`0x${toHex(v.privKey)}`).publicKey.replace(/^0x04/, '0x') as Hex;
const account = (v: TestValidator): PrivateKeyAccount => privateKeyToAccount(`0x${toHex(v.privKey)}`);

let f: PoolFixture;
let c: L1Chain;
let listener: L1Listener;
const dir = tempDir();

beforeAll(async () => {
  f = await deployPool({ anvilArgs: ['--slots-in-an-epoch', '1'] });
  for (const v of vals) await f.chain.write(f.locker, f.pool, 'LockingPool', 'lockFor', [account(v).address, TOKENS(20_000), pubkey(v)]);
  c = await l1Chain({ genesis: vals.map((val, i) => ({ val, power: 20_000n, id: BigInt(i + 1) })), known: [joiner!, other!], lockingPool: fromHex(f.pool.slice(2)), chainId: BigInt(f.chain.chainId) });
  // finality 'auto' with anvil's finalized tag; K = 12 would be far deeper, so what is safe is finality.
  listener = new L1Listener({ client: f.chain.pub, chainId: f.chain.chainId, lockingPool: f.pool, startBlock: 0n, confirmations: 12, checkpointBlocks: 4, pollIntervalMs: 3_600_000, dbPath: dir.path, stateView: c.app.stakingView() });
  await listener.start();
  await listener.syncNow();
}, 60_000);

afterAll(async () => {
  await listener?.stop();
  await f?.chain.stop();
  dir.cleanup();
});

const mine = (n: number) => f.chain.pub.request({ method: 'anvil_mine' as never, params: [`0x${n.toString(16)}`] as never });
const head = () => f.chain.pub.getBlockNumber({ cacheTime: 0 });

/** Let the validators attest what the listener offers and the app apply it, until nothing is left. */
async function follow(): Promise<string[]> {
  const kinds: string[] = [];
  for (let round = 0; round < 20; round++) {
    await listener.syncNow();
    const obs = listener.pending();
    if (obs.length === 0) return kinds;
    kinds.push(...obs.map((o) => Object.keys(o).find((k) => o[k as keyof typeof o])!));
    await c.step(...obs);
    const fin = await c.step();
    expect(fin.events!.filter((e) => e.type === 'observation_rejected')).toEqual([]);
  }
  throw new Error('the listener kept offering observations');
}

test('the listener follows the finalized block, and a reorg of blocks not yet final changes nothing in the pool', async () => {
  expect(listener.status()).toMatchObject({ finality: 'finalized', safe: (await head()) - 2n });
  await f.chain.write(f.locker, f.pool, 'LockingPool', 'lockFor', [account(joiner!).address, TOKENS(20_000), pubkey(joiner!)]);
  await mine(1); // the lock's block is one below the head: not final
  expect(await follow()).toEqual([]);
  await f.chain.pub.request({ method: 'anvil_reorg' as never, params: [2, []] as never }); // the lock is gone
  await mine(4);
  expect(await follow()).toEqual([]);
  expect((await c.query('/sequencer/5')).code).not.toBe(0);
  expect(await f.chain.read<bigint>(f.pool, 'LockingPool', 'sequencerCount')).toBe(4n);
});

test('a reorg deeper than finality that removes an applied lock is reconciled: the pool drops it, and the id L1 gives to another key is applied', async () => {
  await f.chain.write(f.locker, f.pool, 'LockingPool', 'lockFor', [account(joiner!).address, TOKENS(20_000), pubkey(joiner!)]);
  await mine(3);
  expect(await follow()).toEqual(['l1Staking']);
  expect((await c.query('/sequencer/5')).value).toMatchObject({ status: 'active', power: '20000' });
  // L1 drops its last 6 blocks, lock included, though the bridge had it as final.
  await f.chain.pub.request({ method: 'anvil_reorg' as never, params: [6, []] as never });
  await mine(8);
  expect(await follow()).toEqual(['l1Correction']);
  expect((await c.query('/sequencer/5')).code).not.toBe(0);
  expect(listener.status().disagreement).toMatchObject({ sequencers: [], batches: 0n });
  // Another key locks on L1 and gets id 5 there: the pool applies it as a new sequencer.
  await f.chain.write(f.locker, f.pool, 'LockingPool', 'lockFor', [account(other!).address, TOKENS(30_000), pubkey(other!)]);
  await mine(3);
  expect(await follow()).toEqual(['l1Staking']);
  expect((await c.query('/sequencer/5')).value).toMatchObject({ address: toHex(other!.address).toUpperCase(), status: 'active', power: '30000' });
  const b = await c.boundary();
  const updates = (b.validatorUpdates ?? []).map((u) => toHex(u!.pubKey!.secp256k1!));
  expect(updates).toContain(toHex(other!.pubKey));
  expect(updates).not.toContain(toHex(joiner!.pubKey));
});

test('a finality setting the RPC cannot meet is an error that names the fix; "auto" falls back to K confirmations', async () => {
  const noFinality = { ...f.chain.pub, getBlock: (a: { blockNumber: bigint } | { blockTag: 'finalized' }) => ('blockTag' in a ? Promise.reject(new Error('unknown block tag')) : f.chain.pub.getBlock(a)) };
  const dir2 = tempDir();
  const strict = new L1Listener({ finality: 'finalized', client: noFinality as never, chainId: f.chain.chainId, lockingPool: f.pool, startBlock: 0n, pollIntervalMs: 3_600_000, dbPath: `${dir2.path}/a`, stateView: c.app.stakingView() });
  await strict.start();
  await expect(strict.syncNow()).rejects.toThrow(/serves no finalized block.*"auto".*"confirmations"/);
  await strict.stop();
  const auto = new L1Listener({ client: noFinality as never, chainId: f.chain.chainId, lockingPool: f.pool, startBlock: 0n, confirmations: 3, pollIntervalMs: 3_600_000, dbPath: `${dir2.path}/b`, stateView: c.app.stakingView() });
  await auto.start();
  await auto.syncNow();
  expect(auto.status()).toMatchObject({ finality: 'confirmations', safe: (await head()) - 3n });
  await auto.stop();
  dir2.cleanup();
});
