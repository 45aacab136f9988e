// LockingPool actions authorised by the pool's FROST signature: rewards, slashing, group-key
// initialisation and rotation, with replay refused through the contract-held auth nonce, and a moot
// action (stake already claimed, reserve short) consuming its nonce instead of blocking later ones.
import type { Hex } from 'viem';
import { fromHex } from '../../common/bytes.js';
import { encodeDistributeRewards, encodeRotateGroupKey, encodeSlash } from '../../protocol/signed-payloads.js';
import { ORDER, Point } from '../../mpc/suite.js';
import { PoolKey, expectRevert } from './helpers.js';
import { TOKENS, balanceOf, deployPool, events, newSigner, sequencer, type PoolFixture } from './pool-fixture.js';

let f: PoolFixture;

/** A curve point with n <= x < p: ecrecover cannot take it, so the contracts refuse it as a key. */
function highXKey(): Hex {
  for (let x = ORDER; ; x++) {
    try {
      const P = Point.fromHex(`02${x.toString(16).padStart(64, '0')}`);
      return `0x${P.x.toString(16).padStart(64, '0')}${P.y.toString(16).padStart(64, '0')}`;
    } catch {
      // not on the curve; next x
    }
  }
}
let id1: bigint;
let id2: bigint;

const call = (fn: string, args: unknown[], from = f.stranger) => f.chain.write(from, f.pool, 'LockingPool', fn, args);
const authNonce = () => f.chain.read<bigint>(f.pool, 'LockingPool', 'authNonce');
const sign = (purpose: string, payload: Hex, key = f.key) => key.sign(f.chain.chainId, f.pool, purpose, payload);
// The payloads as the pool encodes them (protocol/signed-payloads.ts): the contract must verify exactly these bytes.
const hex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`;
const rewardsPayload = (ids: bigint[], amounts: bigint[], nonce: bigint) => hex(encodeDistributeRewards(ids, amounts, nonce));
const slashPayload = (id: bigint, amount: bigint, nonce: bigint) => hex(encodeSlash(id, amount, nonce));
const rotatePayload = (key: Hex, nonce: bigint) => hex(encodeRotateGroupKey(fromHex(key), nonce));

beforeAll(async () => {
  f = await deployPool();
  for (const amount of [TOKENS(40_000), TOKENS(20_000)]) {
    const s = await newSigner(f.chain);
    const r = await f.chain.write(f.locker, f.pool, 'LockingPool', 'lockFor', [s.account.address, amount, s.pubkey]);
    const id = events(r.logs as never)[0]!.args.sequencerId as bigint;
    if (id === 1n) id1 = id;
    else id2 = id;
  }
  await call('fundRewards', [TOKENS(1_000)]);
});
afterAll(async () => f?.chain.stop());

test('the contract reports the same digest the pool signs', async () => {
  const payload = rewardsPayload([1n], [2n], 0n);
  const onChain = await f.chain.read<Hex>(f.pool, 'LockingPool', 'digestFor', ['distributeRewards', payload]);
  const { l1Digest } = await import('../../mpc/index.js');
  const { hexToBytes, bytesToHex } = await import('@noble/hashes/utils.js');
  expect(onChain).toBe(`0x${bytesToHex(l1Digest({ chainId: BigInt(f.chain.chainId), verifier: hexToBytes(f.pool.slice(2)), purpose: 'distributeRewards', payload: hexToBytes(payload.slice(2)) }))}`);
});

test('distributeRewards pays owners from the reserve; replay and forgeries are refused', async () => {
  expect(await f.chain.read<bigint>(f.pool, 'LockingPool', 'rewardReserve')).toBe(TOKENS(1_000));
  const ids = [id1, id2];
  const amounts = [TOKENS(100), TOKENS(50)];
  const n = await authNonce();
  const sig = sign('distributeRewards', rewardsPayload(ids, amounts, n));
  await expectRevert(call('distributeRewards', [ids, [TOKENS(100), TOKENS(51)], sig]), 'InvalidSignature');
  await expectRevert(call('distributeRewards', [ids, amounts, sign('distributeRewards', rewardsPayload(ids, amounts, n), new PoolKey())]), 'InvalidSignature');
  await expectRevert(call('distributeRewards', [ids, amounts, sign('slash', rewardsPayload(ids, amounts, n))]), 'InvalidSignature');
  await expectRevert(call('distributeRewards', [ids, [TOKENS(1)], sig]), 'InvalidSignature'); // not the signed payload
  const before = await balanceOf(f, f.locker.address);
  const r = await call('distributeRewards', [ids, amounts, sig]);
  expect(events(r.logs as never).map((e) => [e.eventName, e.args.sequencerId, e.args.amount, e.args.authNonce])).toEqual([
    ['RewardPaid', id1, TOKENS(100), n],
    ['RewardPaid', id2, TOKENS(50), n],
  ]);
  expect(await balanceOf(f, f.locker.address)).toBe(before + TOKENS(150));
  expect(await authNonce()).toBe(n + 1n);
  await expectRevert(call('distributeRewards', [ids, amounts, sig]), 'InvalidSignature'); // replay
});

test('a signed reward L1 cannot pay still uses its auth nonce: beyond the reserve it is owed, to an unknown sequencer dropped', async () => {
  const reserve = await f.chain.read<bigint>(f.pool, 'LockingPool', 'rewardReserve');
  let n = await authNonce();
  let r = await call('distributeRewards', [[id1, 77n, id2], [reserve + 1n, 5n, TOKENS(1)], sign('distributeRewards', rewardsPayload([id1, 77n, id2], [reserve + 1n, 5n, TOKENS(1)], n))]);
  expect(events(r.logs as never).map((e) => [e.eventName, e.args.sequencerId, e.args.amount])).toEqual([
    ['RewardOwed', id1, reserve + 1n],
    ['RewardSkipped', 77n, 5n],
    ['RewardPaid', id2, TOKENS(1)],
  ]);
  expect(await authNonce()).toBe(n + 1n);
  expect(await f.chain.read<bigint>(f.pool, 'LockingPool', 'rewardsOwed', [id1])).toBe(reserve + 1n);
  // Owed rewards are paid by anyone once the reserve covers them.
  await expectRevert(call('payOwedRewards', [id1]), 'InsufficientReserve');
  await call('fundRewards', [TOKENS(1) + 1n]);
  const before = await balanceOf(f, f.locker.address);
  r = await call('payOwedRewards', [id1]);
  expect(events(r.logs as never)[0]).toMatchObject({ eventName: 'OwedRewardsPaid', args: { sequencerId: id1, recipient: f.locker.address, amount: reserve + 1n } });
  expect(await balanceOf(f, f.locker.address)).toBe(before + reserve + 1n);
  expect(await f.chain.read<bigint>(f.pool, 'LockingPool', 'totalRewardsOwed')).toBe(0n);
  await expectRevert(call('payOwedRewards', [id1]), 'ZeroAmount');
  // A payload whose arrays differ in length (the pool never signs one) is dropped, not stuck.
  n = await authNonce();
  r = await call('distributeRewards', [[id1], [], sign('distributeRewards', rewardsPayload([id1], [], n))]);
  expect(events(r.logs as never).map((e) => e.eventName)).toEqual(['RewardSkipped']);
  expect(await authNonce()).toBe(n + 1n);
});

test('slash moves stake into the reserve with the next sequencer nonce; replay refused', async () => {
  const n = await authNonce();
  const seqBefore = await sequencer(f, id1);
  const sig = sign('slash', slashPayload(id1, TOKENS(1_000), n));
  await expectRevert(call('slash', [id1, TOKENS(1_001), sig]), 'InvalidSignature');
  const reserve = await f.chain.read<bigint>(f.pool, 'LockingPool', 'rewardReserve');
  const r = await call('slash', [id1, TOKENS(1_000), sig]);
  expect(events(r.logs as never)[0]).toMatchObject({ eventName: 'Slashed', args: { sequencerId: id1, nonce: seqBefore.nonce + 1n, amount: TOKENS(1_000), total: TOKENS(39_000), authNonce: n } });
  expect(await f.chain.read<bigint>(f.pool, 'LockingPool', 'rewardReserve')).toBe(reserve + TOKENS(1_000));
  expect(await f.chain.read<bigint>(f.pool, 'LockingPool', 'totalLocked')).toBe(TOKENS(59_000));
  await expectRevert(call('slash', [id1, TOKENS(1_000), sig]), 'InvalidSignature');
});

test('a slash made moot by an unlockClaim uses its auth nonce and changes nothing; the next distributeRewards lands', async () => {
  const s = await newSigner(f.chain);
  const locked = await f.chain.write(f.locker, f.pool, 'LockingPool', 'lockFor', [s.account.address, TOKENS(20_000), s.pubkey]);
  const id = events(locked.logs as never)[0]!.args.sequencerId as bigint;
  // The pool signs a slash (authNonce n) and a reward (n + 1) while the sequencer still holds stake...
  const n = await authNonce();
  const slashSig = sign('slash', slashPayload(id, TOKENS(1_000), n));
  const rewardSig = sign('distributeRewards', rewardsPayload([id1], [TOKENS(1)], n + 1n));
  // ...but the sequencer claims its stake before the slash reaches L1.
  await f.chain.write(f.locker, f.pool, 'LockingPool', 'unlock', [id]);
  await f.chain.increaseTime(21 * 86_400 + 1);
  await f.chain.write(f.locker, f.pool, 'LockingPool', 'unlockClaim', [id]);
  const reserve = await f.chain.read<bigint>(f.pool, 'LockingPool', 'rewardReserve');
  const seq = await sequencer(f, id);
  const r = await call('slash', [id, TOKENS(1_000), slashSig]);
  expect(events(r.logs as never)).toMatchObject([{ eventName: 'SlashSkipped', args: { sequencerId: id, amount: TOKENS(1_000), authNonce: n } }]);
  expect(await sequencer(f, id)).toEqual(seq); // no event nonce used: the app's cursor sees no gap
  expect(await f.chain.read<bigint>(f.pool, 'LockingPool', 'rewardReserve')).toBe(reserve);
  expect(await authNonce()).toBe(n + 1n);
  const paid = await call('distributeRewards', [[id1], [TOKENS(1)], rewardSig]);
  expect(events(paid.logs as never)).toMatchObject([{ eventName: 'RewardPaid', args: { sequencerId: id1, amount: TOKENS(1), authNonce: n + 1n } }]);
});

test('a slash larger than the remaining stake takes what is left; an unknown sequencer is skipped', async () => {
  const s = await newSigner(f.chain);
  const locked = await f.chain.write(f.locker, f.pool, 'LockingPool', 'lockFor', [s.account.address, TOKENS(20_000), s.pubkey]);
  const id = events(locked.logs as never)[0]!.args.sequencerId as bigint;
  let n = await authNonce();
  let r = await call('slash', [id, TOKENS(20_001), sign('slash', slashPayload(id, TOKENS(20_001), n))]);
  expect(events(r.logs as never)).toMatchObject([{ eventName: 'Slashed', args: { sequencerId: id, nonce: 2n, amount: TOKENS(20_000), total: 0n, authNonce: n } }]);
  n = await authNonce();
  r = await call('slash', [id, 1n, sign('slash', slashPayload(id, 1n, n))]);
  expect(events(r.logs as never)).toMatchObject([{ eventName: 'SlashSkipped', args: { sequencerId: id, authNonce: n } }]);
  expect((await sequencer(f, id)).nonce).toBe(2n);
  n = await authNonce();
  r = await call('slash', [9_999n, 1n, sign('slash', slashPayload(9_999n, 1n, n))]);
  expect(events(r.logs as never)).toMatchObject([{ eventName: 'SlashSkipped', args: { sequencerId: 9_999n, authNonce: n } }]);
  expect(await authNonce()).toBe(n + 1n);
});

test('slash still works while paused (a pause must not shield a sequencer); rewards do not', async () => {
  await call('pause', [], f.owner);
  const n = await authNonce();
  await expectRevert(call('distributeRewards', [[id2], [1n], sign('distributeRewards', rewardsPayload([id2], [1n], n))]), 'EnforcedPause');
  await call('slash', [id2, TOKENS(1), sign('slash', slashPayload(id2, TOKENS(1), n))]);
  await call('unpause', [], f.owner);
});

test('rotateGroupKey: only with the current key; the old key stops working; replay refused', async () => {
  const next = new PoolKey(3, 2);
  const n = await authNonce();
  await expectRevert(call('rotateGroupKey', [next.groupKey, sign('rotateGroupKey', rotatePayload(next.groupKey, n), next)]), 'InvalidSignature');
  const sig = sign('rotateGroupKey', rotatePayload(next.groupKey, n));
  const r = await call('rotateGroupKey', [next.groupKey, sig]);
  expect(events(r.logs as never)[0]).toMatchObject({ eventName: 'GroupKeyChanged', args: { groupKey: next.groupKey, authNonce: n + 1n } });
  expect(await f.chain.read<Hex>(f.pool, 'LockingPool', 'groupKey')).toBe(next.groupKey);
  await expectRevert(call('rotateGroupKey', [next.groupKey, sig]), 'InvalidSignature');
  const n2 = await authNonce();
  await expectRevert(call('slash', [id2, 1n, sign('slash', slashPayload(id2, 1n, n2))]), 'InvalidSignature');
  await call('slash', [id2, 1n, sign('slash', slashPayload(id2, 1n, n2), next)]);
  // Rotating back to the old key with an old rotation signature fails (nonce moved on).
  await expectRevert(call('rotateGroupKey', [f.key.groupKey, sign('rotateGroupKey', rotatePayload(f.key.groupKey, n), next)]), 'InvalidSignature');
  await expectRevert(call('initializeGroupKey', [f.key.groupKey], f.owner), 'GroupKeyAlreadySet');
});

test('a pool deployed without a key: signed actions wait for the owner to initialise one; bad keys refused', async () => {
  const pool = await f.chain.deploy('LockingPool', [f.token, f.owner.address, '0x']);
  const c = (fn: string, args: unknown[], from = f.owner) => f.chain.write(from, pool, 'LockingPool', fn, args);
  await expectRevert(c('slash', [1n, 1n, f.key.sign(f.chain.chainId, pool, 'slash', slashPayload(1n, 1n, 0n))]), 'GroupKeyNotSet');
  await expectRevert(c('initializeGroupKey', [f.key.groupKey], f.stranger), 'OwnableUnauthorizedAccount');
  await expectRevert(c('initializeGroupKey', ['0x1234']), 'InvalidGroupKey');
  const FIELD = 2n ** 256n - 2n ** 32n - 977n;
  // x = 0 is not on the curve; y >= p is not reduced; both refused like Px >= n.
  await expectRevert(c('initializeGroupKey', [`0x${'00'.repeat(32)}${'11'.repeat(32)}`]), 'InvalidGroupKey');
  await expectRevert(c('initializeGroupKey', [`${f.key.groupKey.slice(0, 66)}${FIELD.toString(16)}`]), 'InvalidGroupKey');
  await expectRevert(c('initializeGroupKey', [highXKey()]), 'InvalidGroupKey');
  await c('initializeGroupKey', [f.key.groupKey]);
  expect(await f.chain.read<Hex>(pool, 'LockingPool', 'groupKey')).toBe(f.key.groupKey);
});
