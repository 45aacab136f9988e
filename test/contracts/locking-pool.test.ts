// LockingPool lifecycle on a real anvil: lockFor, relock, updateSigner, unlock, unlockClaim, every
// revert path (bounds, whitelist, pubkey on the curve, one sequencer per signer, ownership, status, delay, pause)
// and the per-sequencer event nonces.
import { getAddress, keccak256, type Address, type Hex } from 'viem';
import { expectRevert } from './helpers.js';
import { TOKENS, balanceOf, deployPool, events, newSigner, sequencer, type PoolFixture } from './pool-fixture.js';

let f: PoolFixture;
const DAY = 86_400;

beforeAll(async () => {
  f = await deployPool();
});
afterAll(async () => f?.chain.stop());

const lock = (signer: Address, amount: bigint, pubkey: Hex, from = f.locker) => f.chain.write(from, f.pool, 'LockingPool', 'lockFor', [signer, amount, pubkey]);
const call = (from: typeof f.owner, fn: string, args: unknown[]) => f.chain.write(from, f.pool, 'LockingPool', fn, args);
const read = <T>(fn: string, args: unknown[] = []) => f.chain.read<T>(f.pool, 'LockingPool', fn, args);

test('defaults: 20,000 / 100,000 tokens, 21 days, owner', async () => {
  expect(await read<bigint>('minLock')).toBe(TOKENS(20_000));
  expect(await read<bigint>('maxLock')).toBe(TOKENS(100_000));
  expect(await read<bigint>('exitDelay')).toBe(BigInt(21 * DAY));
  expect(await read<Address>('owner')).toBe(f.owner.address);
});

test('lockFor: whitelist, bounds, pubkey checks', async () => {
  const s = await newSigner(f.chain);
  await expectRevert(lock(s.account.address, TOKENS(20_000), s.pubkey, f.stranger), 'NotWhitelisted');
  await expectRevert(lock(s.account.address, TOKENS(20_000) - 1n, s.pubkey), 'AmountOutOfBounds');
  await expectRevert(lock(s.account.address, TOKENS(100_000) + 1n, s.pubkey), 'AmountOutOfBounds');
  const other = await newSigner(f.chain);
  await expectRevert(lock(s.account.address, TOKENS(20_000), other.pubkey), 'PubkeyMismatch');
  await expectRevert(lock(s.account.address, TOKENS(20_000), `${s.pubkey}00`), 'InvalidPubkey');
  await expectRevert(lock(s.account.address, TOKENS(20_000), s.pubkey.slice(0, 66) as Hex), 'InvalidPubkey');
});

describe('one sequencer through its whole life', () => {
  let signer: Awaited<ReturnType<typeof newSigner>>;
  let id: bigint;

  test('lockFor assigns an id, moves tokens and emits Locked with nonce 1', async () => {
    signer = await newSigner(f.chain);
    const before = await balanceOf(f, f.locker.address);
    const r = await lock(signer.account.address, TOKENS(30_000), signer.pubkey);
    const [ev] = events(r.logs as never);
    expect(ev?.eventName).toBe('Locked');
    id = ev!.args.sequencerId as bigint;
    expect(id).toBe(1n);
    expect(ev!.args).toMatchObject({ signer: signer.account.address, nonce: 1n, amount: TOKENS(30_000), total: TOKENS(30_000), signerPubkey: signer.pubkey });
    expect(await balanceOf(f, f.locker.address)).toBe(before - TOKENS(30_000));
    expect(await read<bigint>('sequencerIdOf', [signer.account.address])).toBe(1n);
    expect(await read<bigint>('totalLocked')).toBe(TOKENS(30_000));
    expect(await sequencer(f, id)).toMatchObject({ owner: f.locker.address, signer: signer.account.address, nonce: 1n, status: 1 });
    expect(await read<Hex>('signerPubkeys', [id])).toBe(signer.pubkey);
  });

  test('a signer holds only one sequencer; another signer gets the next id', async () => {
    await expectRevert(lock(signer.account.address, TOKENS(20_000), signer.pubkey), 'SignerInUse');
    const s2 = await newSigner(f.chain);
    const r = await lock(s2.account.address, TOKENS(20_000), s2.pubkey);
    expect(events(r.logs as never)[0]?.args.sequencerId).toBe(2n);
  });

  test('relock: owner only, non-zero, bounded by maxLock; Relocked nonce 2', async () => {
    await expectRevert(call(f.stranger, 'relock', [id, TOKENS(1)]), 'NotSequencerOwner');
    await expectRevert(call(f.locker, 'relock', [id, 0n]), 'ZeroAmount');
    await expectRevert(call(f.locker, 'relock', [id, TOKENS(70_000) + 1n]), 'AmountOutOfBounds');
    await expectRevert(call(f.locker, 'relock', [99n, TOKENS(1)]), 'UnknownSequencer');
    const r = await call(f.locker, 'relock', [id, TOKENS(5_000)]);
    expect(events(r.logs as never)[0]).toMatchObject({ eventName: 'Relocked', args: { sequencerId: id, nonce: 2n, amount: TOKENS(5_000), total: TOKENS(35_000) } });
  });

  test('updateSigner: current signer only, new key must be free and match; SignerChange nonce 3', async () => {
    const next = await newSigner(f.chain);
    const taken = await newSigner(f.chain);
    await lock(taken.account.address, TOKENS(20_000), taken.pubkey);
    await expectRevert(call(f.locker, 'updateSigner', [id, next.pubkey]), 'NotSequencerSigner');
    await expectRevert(call(signer.account, 'updateSigner', [id, taken.pubkey]), 'SignerInUse');
    await expectRevert(call(signer.account, 'updateSigner', [id, signer.pubkey]), 'SignerInUse');
    await expectRevert(call(signer.account, 'updateSigner', [id, '0x1234']), 'InvalidPubkey');
    const r = await call(signer.account, 'updateSigner', [id, next.pubkey]);
    expect(events(r.logs as never)[0]).toMatchObject({
      eventName: 'SignerChange',
      args: { sequencerId: id, nonce: 3n, oldSigner: signer.account.address, newSigner: next.account.address, signerPubkey: next.pubkey },
    });
    expect(await read<bigint>('sequencerIdOf', [signer.account.address])).toBe(0n);
    expect(await read<bigint>('sequencerIdOf', [next.account.address])).toBe(id);
    // The current signer's pubkey is kept in state: the pool rebuilds a sequencer from it (decision 38).
    expect(await read<Hex>('signerPubkeys', [id])).toBe(next.pubkey);
    signer = next;
  });

  test('unlock starts the exit delay (UnlockInit nonce 4); nothing else is allowed while unlocking', async () => {
    await expectRevert(call(f.stranger, 'unlock', [id]), 'NotSequencerOwner');
    await expectRevert(call(f.locker, 'unlockClaim', [id]), 'WrongStatus');
    const r = await call(f.locker, 'unlock', [id]);
    const block = await f.chain.pub.getBlock({ blockNumber: r.blockNumber });
    expect(events(r.logs as never)[0]).toMatchObject({
      eventName: 'UnlockInit',
      args: { sequencerId: id, signer: signer.account.address, nonce: 4n, deactivationTime: block.timestamp + BigInt(21 * DAY), amount: TOKENS(35_000) },
    });
    await expectRevert(call(f.locker, 'unlock', [id]), 'WrongStatus');
    await expectRevert(call(f.locker, 'relock', [id, TOKENS(1)]), 'WrongStatus');
    await expectRevert(call(signer.account, 'updateSigner', [id, (await newSigner(f.chain)).pubkey]), 'WrongStatus');
  });

  test('unlockClaim only after the delay; returns the stake (Unlocked nonce 5) and frees the signer', async () => {
    await expectRevert(call(f.locker, 'unlockClaim', [id]), 'ExitDelayNotPassed');
    await f.chain.increaseTime(21 * DAY - 60);
    await expectRevert(call(f.locker, 'unlockClaim', [id]), 'ExitDelayNotPassed');
    await f.chain.increaseTime(120);
    await expectRevert(call(f.stranger, 'unlockClaim', [id]), 'NotSequencerOwner');
    const before = await balanceOf(f, f.locker.address);
    const r = await call(f.locker, 'unlockClaim', [id]);
    expect(events(r.logs as never)[0]).toMatchObject({ eventName: 'Unlocked', args: { sequencerId: id, signer: signer.account.address, nonce: 5n, amount: TOKENS(35_000) } });
    expect(await balanceOf(f, f.locker.address)).toBe(before + TOKENS(35_000));
    expect(await sequencer(f, id)).toMatchObject({ amount: 0n, nonce: 5n, status: 3 });
    await expectRevert(call(f.locker, 'unlockClaim', [id]), 'WrongStatus');
    // The freed signer may lock again, under a new id.
    const again = await lock(signer.account.address, TOKENS(20_000), signer.pubkey);
    expect(events(again.logs as never)[0]?.args).toMatchObject({ nonce: 1n });
    expect(events(again.logs as never)[0]?.args.sequencerId).toBeGreaterThan(id);
  });
});

describe('owner settings and pause', () => {
  test('only the owner changes settings; each emits an event; bounds stay consistent', async () => {
    await expectRevert(call(f.stranger, 'setMinLock', [1n]), 'OwnableUnauthorizedAccount');
    await expectRevert(call(f.stranger, 'setWhitelist', [f.stranger.address, true]), 'OwnableUnauthorizedAccount');
    await expectRevert(call(f.stranger, 'setExitDelay', [1n]), 'OwnableUnauthorizedAccount');
    await expectRevert(call(f.owner, 'setMinLock', [0n]), 'InvalidBounds');
    await expectRevert(call(f.owner, 'setMinLock', [TOKENS(100_001)]), 'InvalidBounds');
    await expectRevert(call(f.owner, 'setMaxLock', [TOKENS(19_999)]), 'InvalidBounds');
    let r = await call(f.owner, 'setMinLock', [TOKENS(10)]);
    expect(events(r.logs as never)[0]).toMatchObject({ eventName: 'MinLockChanged', args: { oldValue: TOKENS(20_000), newValue: TOKENS(10) } });
    r = await call(f.owner, 'setMaxLock', [TOKENS(50)]);
    expect(events(r.logs as never)[0]).toMatchObject({ eventName: 'MaxLockChanged', args: { oldValue: TOKENS(100_000), newValue: TOKENS(50) } });
    r = await call(f.owner, 'setExitDelay', [60n]);
    expect(events(r.logs as never)[0]).toMatchObject({ eventName: 'ExitDelayChanged', args: { oldValue: BigInt(21 * DAY), newValue: 60n } });
    r = await call(f.owner, 'setWhitelist', [f.stranger.address, true]);
    expect(events(r.logs as never)[0]).toMatchObject({ eventName: 'WhitelistChanged', args: { account: f.stranger.address, allowed: true } });
    const s = await newSigner(f.chain);
    await expectRevert(lock(s.account.address, TOKENS(51), s.pubkey, f.stranger), 'AmountOutOfBounds');
    await lock(s.account.address, TOKENS(50), s.pubkey, f.stranger);
    await call(f.owner, 'setWhitelist', [f.stranger.address, false]);
    const s2 = await newSigner(f.chain);
    await expectRevert(lock(s2.account.address, TOKENS(50), s2.pubkey, f.stranger), 'NotWhitelisted');
  });

  test('paused: lockFor, relock, unlock, unlockClaim and updateSigner refuse; unpause restores', async () => {
    const s = await newSigner(f.chain);
    const r = await lock(s.account.address, TOKENS(20), s.pubkey);
    const id = events(r.logs as never)[0]!.args.sequencerId as bigint;
    await expectRevert(call(f.stranger, 'pause', []), 'OwnableUnauthorizedAccount');
    await call(f.owner, 'pause', []);
    const s2 = await newSigner(f.chain);
    await expectRevert(lock(s2.account.address, TOKENS(20), s2.pubkey), 'EnforcedPause');
    await expectRevert(call(f.locker, 'relock', [id, 1n]), 'EnforcedPause');
    await expectRevert(call(f.locker, 'unlock', [id]), 'EnforcedPause');
    await expectRevert(call(f.locker, 'unlockClaim', [id]), 'EnforcedPause');
    await expectRevert(call(s.account, 'updateSigner', [id, s2.pubkey]), 'EnforcedPause');
    await expectRevert(call(f.stranger, 'unpause', []), 'OwnableUnauthorizedAccount');
    await call(f.owner, 'unpause', []);
    await call(f.locker, 'unlock', [id]);
    await f.chain.increaseTime(61);
    const claimed = await call(f.locker, 'unlockClaim', [id]);
    expect(events(claimed.logs as never)[0]).toMatchObject({ eventName: 'Unlocked', args: { nonce: 3n } });
  });
});

describe('signer keys', () => {
  const FIELD_P = 2n ** 256n - 2n ** 32n - 977n;
  const hex32 = (n: bigint) => n.toString(16).padStart(64, '0');
  /** 64 bytes that are not a point of secp256k1 (y^2 != x^3 + 7; x = p is not reduced), with the
   * address they hash to: the old contract took any such pair. */
  const bad = [`0x${'11'.repeat(64)}`, `0x${'00'.repeat(64)}`, `0x${hex32(FIELD_P)}${hex32(7n)}`].map((pubkey) => ({
    pubkey: pubkey as Hex,
    signer: getAddress(`0x${keccak256(pubkey as Hex).slice(-40)}`),
  }));

  test('lockFor and updateSigner refuse a signer pubkey that is not a point of secp256k1 (the pool could never seat it)', async () => {
    for (const b of bad) await expectRevert(lock(b.signer, TOKENS(20), b.pubkey), 'PubkeyNotOnCurve');
    const s = await newSigner(f.chain);
    const r = await lock(s.account.address, TOKENS(20), s.pubkey);
    const id = events(r.logs as never)[0]!.args.sequencerId as bigint;
    for (const b of bad) await expectRevert(call(s.account, 'updateSigner', [id, b.pubkey]), 'PubkeyNotOnCurve');
    const next = await newSigner(f.chain);
    await call(s.account, 'updateSigner', [id, next.pubkey]);
  });
});
