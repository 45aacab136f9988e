// Issue 10 item 7 on anvil, through the real relayer: the pool signed a slash (authNonce 0) and a
// reward (authNonce 1), but the slashed sequencer claimed its stake first. The slash must still land
// (L1 consumes its nonce and skips it, decision 30), so the reward behind it lands too; before, the
// slash reverted for ever and every later reward and slash waited behind it.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { parseEther, parseEventLogs, type Hex } from 'viem';
import { encodeDistributeRewards, encodeSlash } from '../../protocol/signed-payloads.js';
import { artifact } from '../../contracts/artifacts.js';
import { EvmTxSender, Relayer } from '../../bridge/index.js';
import { TOKENS, balanceOf, deployPool, events, newSigner, type PoolFixture } from '../contracts/pool-fixture.js';
import { FakePool, signedRequest, tempDir, testValidator } from './pool-fake.js';

let f: PoolFixture;
const dir = tempDir();
const v = testValidator();
const hex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`;

beforeAll(async () => {
  f = await deployPool();
  await f.chain.pub.request({ method: 'anvil_setBalance' as never, params: [v.eth, `0x${parseEther('10').toString(16)}`] as never });
}, 60_000);
afterAll(async () => {
  await f?.chain.stop();
  dir.cleanup();
});

test('a slash made moot by an unlockClaim lands as a no-op and the distributeRewards behind it lands', async () => {
  const lock = async () => {
    const s = await newSigner(f.chain);
    const r = await f.chain.write(f.locker, f.pool, 'LockingPool', 'lockFor', [s.account.address, TOKENS(20_000), s.pubkey]);
    return events(r.logs as never)[0]!.args.sequencerId as bigint;
  };
  const slashed = await lock();
  const rewarded = await lock();
  await f.chain.write(f.stranger, f.pool, 'LockingPool', 'fundRewards', [TOKENS(10)]);
  const chainId = f.chain.chainId;
  const pool = new FakePool();
  pool.set('/epoch/current', { id: '1', startL2: '1', endL2: '100', producer: v.address, signer: v.eth, seed: '00', electedHeight: '3', signRequest: '0', status: 'committed', isRespan: false, respanOf: '0', l2Head: '5', l2HeadTime: '1700000000' });
  pool.set('/sign/1', signedRequest(f.key.shares, { id: 1n, purpose: 'slash', chainId, verifier: f.pool, payload: hex(encodeSlash(slashed, TOKENS(1_000), 0n)) }));
  pool.set('/sign/2', signedRequest(f.key.shares, { id: 2n, purpose: 'distributeRewards', chainId, verifier: f.pool, payload: hex(encodeDistributeRewards([rewarded], [TOKENS(3)], 1n)) }));
  // The slashed sequencer leaves and claims its stake before the slash reaches L1.
  await f.chain.write(f.locker, f.pool, 'LockingPool', 'unlock', [slashed]);
  await f.chain.increaseTime(21 * 86_400 + 1);
  await f.chain.write(f.locker, f.pool, 'LockingPool', 'unlockClaim', [slashed]);

  const sender = new EvmTxSender({ label: 'L1', rpcUrl: f.chain.anvil.url, chainId, privateKey: v.privHex, dbPath: `${dir.path}/l1-tx` });
  await sender.open();
  try {
    const relayer = new Relayer({ pool: pool.view, address: v.eth, l1: { sender, lockingPool: f.pool } });
    const authNonce = () => f.chain.read<bigint>(f.pool, 'LockingPool', 'authNonce');
    const land = async (job: string) => {
      await relayer.step();
      expect(sender.job(job)?.status).toBe('pending');
      return f.chain.pub.waitForTransactionReceipt({ hash: sender.job(job)!.txs.at(-1)!.hash as Hex, pollingInterval: 50 });
    };
    const slash = await land('auth/1');
    expect(slash.status).toBe('success');
    expect(parseEventLogs({ abi: artifact('LockingPool').abi, logs: slash.logs }).map((e) => e.eventName)).toEqual(['SlashSkipped']);
    expect(await authNonce()).toBe(1n);
    const before = await balanceOf(f, f.locker.address);
    const reward = await land('auth/2');
    expect(reward.status).toBe('success');
    expect(await authNonce()).toBe(2n);
    expect(await balanceOf(f, f.locker.address)).toBe(before + TOKENS(3));
  } finally {
    await sender.close();
  }
});
