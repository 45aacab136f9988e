// L1 is the source of truth for stake (issue 10 item 3, decision 26), end to end: a real LockingPool on
// anvil, the real L1 listener reading it with the app's committed staking view, and the real app
// driven block by block with what the listener offers in every vote extension. Each L1 sequence the
// app used to refuse (a key it cannot seat, stake above maxLock or below minLock, slashes, an unlock
// and claim) is applied, and after the next epoch boundary the CometBFT validator set and the
// committee (the producers the pool elects and rewards) are exactly what L1's stakes say.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { getAddress, type Address, type Hex } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { L1Listener } from '../../bridge/index.js';
import { committee } from '../../app/election.js';
import { DEFAULT_PARAMS } from '../../app/params.js';
import { fromHex, toHex } from '../../common/bytes.js';
import { encodeSlash } from '../../protocol/signed-payloads.js';
import { makeValidators, type TestValidator } from '../app/harness.js';
import { eth, l1Chain, type L1Chain } from '../app/l1-harness.js';
import { TOKENS, deployPool, type PoolFixture } from '../contracts/pool-fixture.js';
import { tempDir } from './harness.js';

const vals = makeValidators(4);
const [fixer] = makeValidators(5).slice(4);
const known = [...vals, fixer!];
const pubkey = (v: TestValidator): Hex => privateKeyToAccount(`0x${toHex(v.privKey)}`).publicKey.replace(/^0x04/, '0x') as Hex;
const account = (v: TestValidator): PrivateKeyAccount => privateKeyToAccount(`0x${toHex(v.privKey)}`);
const slashPayload = (id: bigint, amount: bigint, n: bigint): Hex => `0x${toHex(encodeSlash(id, amount, n))}`;

let f: PoolFixture;
let c: L1Chain;
let listener: L1Listener;
const dir = tempDir();

beforeAll(async () => {
  f = await deployPool();
  // Validators 0-2 are genesis sequencers 1-3 with 20,000 tokens locked on L1; validator 3 is a
  // genesis sequencer L1 does not know (no lock).
  for (const v of vals.slice(0, 3)) await f.chain.write(f.locker, f.pool, 'LockingPool', 'lockFor', [account(v).address, TOKENS(20_000), pubkey(v)]);
  for (const v of [vals[3]!, fixer!]) await f.chain.pub.request({ method: 'anvil_setBalance' as never, params: [account(v).address, '0x56bc75e2d63100000'] as never });
  c = await l1Chain({
    genesis: vals.map((val, i) => ({ val, power: 20_000n, ...(i < 3 ? { id: BigInt(i + 1) } : {}) })),
    known: [fixer!],
    lockingPool: fromHex(f.pool.slice(2)),
    chainId: BigInt(f.chain.chainId),
  });
  listener = new L1Listener({ finality: 'confirmations', client: f.chain.pub, chainId: f.chain.chainId, lockingPool: f.pool, startBlock: 0n, confirmations: 1, pollIntervalMs: 3_600_000, dbPath: dir.path, stateView: c.app.stakingView() });
  await listener.start();
}, 60_000);

afterAll(async () => {
  await listener?.stop();
  await f?.chain.stop();
  dir.cleanup();
});

const pool = (fn: string, args: unknown[], from = f.locker) => f.chain.write(from, f.pool, 'LockingPool', fn, args);
const read = <T>(fn: string, args: unknown[] = []) => f.chain.read<T>(f.pool, 'LockingPool', fn, args);

/** Confirm what L1 did, and let the validators attest and the app apply it until nothing is left. */
async function follow(): Promise<void> {
  await f.chain.pub.request({ method: 'anvil_mine' as never, params: ['0x1'] as never });
  for (let round = 0; round < 20; round++) {
    await listener.syncNow();
    const obs = listener.pending();
    if (obs.length === 0) return;
    await c.step(...obs);
    const fin = await c.step();
    const rejected = fin.events!.filter((e) => e.type === 'observation_rejected');
    expect(rejected).toEqual([]); // every event of our LockingPool that is next in line applies
  }
  throw new Error('the listener kept offering events');
}

/** The validator set L1's stakes call for: each active LockingPool sequencer with stake within the
 * app's bounds at power = whole tokens (key by its L1 signer), plus the genesis sequencer L1 does not know. */
async function expectedFromL1(): Promise<Map<string, bigint>> {
  const bySigner = new Map(known.map((v) => [getAddress(`0x${toHex(eth(v))}`), toHex(v.address)]));
  const out = new Map<string, bigint>([[toHex(vals[3]!.address), 20_000n]]);
  const count = await read<bigint>('sequencerCount');
  for (let id = 1n; id <= count; id++) {
    const [, signer, amount, , , status] = await read<[Address, Address, bigint, bigint, bigint, number]>('sequencers', [id]);
    const inBounds = amount >= BigInt(DEFAULT_PARAMS.minLock) && amount <= BigInt(DEFAULT_PARAMS.maxLock);
    const key = bySigner.get(getAddress(signer));
    if (status === 1 && inBounds && key && key !== toHex(vals[3]!.address)) out.set(key, amount / 10n ** 18n);
  }
  return out;
}

/** After the next epoch boundary (and the two heights CometBFT takes), the set and committee match L1. */
async function expectMatchesL1(): Promise<void> {
  await c.boundary();
  await c.step();
  await c.step();
  const want = await expectedFromL1();
  const set = new Map(c.app.state.validatorSetAt(c.app.height).validators.map((v) => [toHex(v.address), v.power]));
  expect(set).toEqual(want);
  // The committee is who the pool elects producers from, and rewards go to producers.
  expect(new Map(committee(c.app.state, 'committed').map((s) => [toHex(s.address), s.power]))).toEqual(want);
}

test('a lock for a key the pool already seats is kept keyless (power 0); the signer change that fixes it seats the new key', async () => {
  await pool('lockFor', [account(vals[3]!).address, TOKENS(30_000), pubkey(vals[3]!)]);
  await follow();
  expect((await c.query('/sequencer/4')).value).toMatchObject({ address: '', power: '0', locked: TOKENS(30_000).toString(), inactive: expect.stringMatching(/still live/) });
  await expectMatchesL1();
  await pool('updateSigner', [4n, pubkey(fixer!)], account(vals[3]!));
  await follow();
  expect((await c.query('/sequencer/4')).value).toMatchObject({ address: toHex(fixer!.address).toUpperCase(), power: '30000' });
  await expectMatchesL1();
});

test('stake above the app\'s maxLock (L1 raised its own) is inactive until a slash brings it back', async () => {
  await pool('setMaxLock', [TOKENS(200_000)], f.owner);
  await pool('relock', [1n, TOKENS(90_000)]);
  await follow();
  expect((await c.query('/sequencer/1')).value).toMatchObject({ power: '0', locked: TOKENS(110_000).toString() });
  await expectMatchesL1();
  const n = await read<bigint>('authNonce');
  await pool('slash', [1n, TOKENS(20_000), f.key.sign(f.chain.chainId, f.pool, 'slash', slashPayload(1n, TOKENS(20_000), n))], f.stranger);
  await follow();
  await expectMatchesL1();
  expect(c.app.state.sequencerById(1n)!.power).toBe(90_000n);
});

test('a slash below minLock makes the sequencer inactive until a relock; an unlock and claim take the power for good', async () => {
  const n = await read<bigint>('authNonce');
  await pool('slash', [2n, TOKENS(5_000), f.key.sign(f.chain.chainId, f.pool, 'slash', slashPayload(2n, TOKENS(5_000), n))], f.stranger);
  await follow();
  await expectMatchesL1();
  await pool('relock', [2n, TOKENS(10_000)]);
  await pool('unlock', [3n]);
  await follow();
  expect((await c.query('/sequencer/3')).value).toMatchObject({ status: 'unlocking', power: '0' });
  await expectMatchesL1();
  await f.chain.increaseTime(21 * 86_400 + 1);
  await pool('unlockClaim', [3n]);
  await follow();
  expect((await c.query('/sequencer/3')).value).toMatchObject({ status: 'exited', locked: '0', l1Nonce: '3' });
  await expectMatchesL1();
  expect(c.app.state.sequencerById(2n)!.power).toBe(25_000n);
});
