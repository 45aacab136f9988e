// SequencerSet (L2) on a real anvil: FROST-signed commitEpoch / recommitEpoch with Metis's
// continuity rules, replay refused, and the producer-of-block views.
import type { Address, Hex } from 'viem';
import { fromHex } from '../../common/bytes.js';
import { encodeCommitEpoch, encodeRecommitEpoch } from '../../protocol/signed-payloads.js';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { PoolKey, expectRevert, startChain, type Chain } from './helpers.js';
import { events } from './pool-fixture.js';

let chain: Chain;
let key: PoolKey;
let set: Address;
const who = Array.from({ length: 8 }, () => privateKeyToAccount(generatePrivateKey()).address);
const [A, B, C, D, E, F, G, H] = who as [Address, Address, Address, Address, Address, Address, Address, Address];
const ZERO_ADDR = '0x0000000000000000000000000000000000000000' as Address;

beforeAll(async () => {
  chain = await startChain(31338);
  key = new PoolKey(4, 3);
  set = await chain.deploy('SequencerSet', [chain.accounts[0]!.address, key.groupKey, A, 1n, 100n]);
});
afterAll(async () => chain?.stop());

// The payloads as the pool encodes them (protocol/signed-payloads.ts): the contract must verify exactly these bytes.
const hex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`;
const commitPayload = (id: bigint, s: bigint, e: bigint, signer: Address) => hex(encodeCommitEpoch(id, s, e, fromHex(signer)));
const recommitPayload = (o: bigint, n: bigint, s: bigint, e: bigint, signer: Address) => hex(encodeRecommitEpoch(o, n, s, e, fromHex(signer)));
const commit = (id: bigint, s: bigint, e: bigint, signer: Address, sig?: Hex) =>
  chain.write(chain.accounts[1]!, set, 'SequencerSet', 'commitEpoch', [id, s, e, signer, sig ?? key.sign(chain.chainId, set, 'commitEpoch', commitPayload(id, s, e, signer))]);
const recommit = (o: bigint, n: bigint, s: bigint, e: bigint, signer: Address, sig?: Hex) =>
  chain.write(chain.accounts[1]!, set, 'SequencerSet', 'recommitEpoch', [o, n, s, e, signer, sig ?? key.sign(chain.chainId, set, 'recommitEpoch', recommitPayload(o, n, s, e, signer))]);
const producer = (block: bigint) => chain.read<Address>(set, 'SequencerSet', 'getSequencer', [block]);
const currentId = () => chain.read<bigint>(set, 'SequencerSet', 'currentEpochId');
const blockNumber = () => chain.pub.getBlockNumber({ cacheTime: 0 });

test('epoch 0 is the genesis producer', async () => {
  expect(await currentId()).toBe(0n);
  expect(await chain.read(set, 'SequencerSet', 'currentEpoch')).toEqual({ id: 0n, signer: A, startBlock: 1n, endBlock: 100n });
  expect([await producer(0n), await producer(1n), await producer(100n), await producer(101n)]).toEqual([ZERO_ADDR, A, A, ZERO_ADDR]);
});

test('commitEpoch: sequential ids, contiguous ranges, signed; replay refused', async () => {
  await expectRevert(commit(2n, 101n, 200n, B), 'InvalidEpochId');
  await expectRevert(commit(0n, 101n, 200n, B), 'InvalidEpochId');
  await expectRevert(commit(1n, 102n, 200n, B), 'NotContiguous');
  await expectRevert(commit(1n, 100n, 200n, B), 'NotContiguous');
  await expectRevert(commit(1n, 101n, 100n, B), 'InvalidRange');
  await expectRevert(commit(1n, 101n, 200n, ZERO_ADDR), 'ZeroSigner');
  await expectRevert(commit(1n, 101n, 200n, B, key.sign(chain.chainId, set, 'commitEpoch', commitPayload(1n, 101n, 200n, C))), 'InvalidSignature');
  await expectRevert(commit(1n, 101n, 200n, B, new PoolKey().sign(chain.chainId, set, 'commitEpoch', commitPayload(1n, 101n, 200n, B))), 'InvalidSignature');
  await expectRevert(commit(1n, 101n, 200n, B, key.sign(chain.chainId, set, 'recommitEpoch', commitPayload(1n, 101n, 200n, B))), 'InvalidSignature');
  const sig = key.sign(chain.chainId, set, 'commitEpoch', commitPayload(1n, 101n, 200n, B));
  const r = await commit(1n, 101n, 200n, B, sig);
  expect(events(r.logs as never, 'SequencerSet')[0]).toMatchObject({ eventName: 'NewEpoch', args: { epochId: 1n, startBlock: 101n, endBlock: 200n, signer: B } });
  await expectRevert(commit(1n, 101n, 200n, B, sig), 'InvalidEpochId');
  await commit(2n, 201n, 300n, C);
  expect([await producer(150n), await producer(200n), await producer(201n), await producer(300n), await producer(301n)]).toEqual([B, B, C, C, ZERO_ADDR]);
});

test('recommit of the epoch before the latest replaces the latest (next epoch already committed)', async () => {
  await expectRevert(recommit(1n, 3n, 150n, 300n, D), 'InvalidEpochId');
  await expectRevert(recommit(0n, 2n, 150n, 300n, D), 'InvalidEpochId');
  await expectRevert(recommit(1n, 2n, 201n, 300n, D), 'NotContiguous');
  await expectRevert(recommit(1n, 2n, 100n, 300n, D), 'NotContiguous');
  await expectRevert(recommit(1n, 2n, 150n, 149n, D), 'InvalidRange');
  const sig = key.sign(chain.chainId, set, 'recommitEpoch', recommitPayload(1n, 2n, 150n, 300n, D));
  const r = await recommit(1n, 2n, 150n, 300n, D, sig);
  expect(events(r.logs as never, 'SequencerSet')[0]).toMatchObject({ eventName: 'ReCommitEpoch', args: { oldEpochId: 1n, newEpochId: 2n, startBlock: 150n, endBlock: 300n, newSigner: D } });
  expect(await currentId()).toBe(2n);
  expect([await producer(149n), await producer(150n), await producer(250n), await producer(300n)]).toEqual([B, D, D, D]);
  expect(await chain.read(set, 'SequencerSet', 'epochs', [1n])).toEqual({ id: 1n, signer: B, startBlock: 101n, endBlock: 149n });
  await expectRevert(recommit(1n, 2n, 150n, 300n, D, sig), 'NotContiguous'); // replay
});

test('recommit of the latest epoch appends the replacement', async () => {
  const r = await recommit(2n, 3n, 260n, 300n, E);
  expect(events(r.logs as never, 'SequencerSet')[0]?.eventName).toBe('ReCommitEpoch');
  expect(await currentId()).toBe(3n);
  expect([await producer(259n), await producer(260n), await producer(300n)]).toEqual([D, E, E]);
  await commit(4n, 301n, 400n, F); // continuity goes on from the replacement's end
  expect(await producer(400n)).toBe(F);
});

test('a recommit cannot reassign blocks already produced', async () => {
  await chain.pub.request({ method: 'anvil_mine' as never, params: ['0x150'] as never }); // past block 336
  const now = await blockNumber();
  await expectRevert(recommit(3n, 4n, 300n, 400n, G), 'StartInPast');
  await expectRevert(recommit(4n, 5n, now, 400n, G), 'StartInPast'); // the tx lands in block now + 1
  await recommit(4n, 5n, now + 1n, 400n, G);
  expect([await producer(now), await producer(now + 1n)]).toEqual([F, G]);
});

test('a future epoch can be emptied and handed over entirely', async () => {
  await commit(6n, 401n, 500n, A);
  await recommit(6n, 7n, 401n, 500n, H);
  expect(await chain.read(set, 'SequencerSet', 'epochs', [6n])).toEqual({ id: 6n, signer: A, startBlock: 401n, endBlock: 400n });
  expect([await producer(400n), await producer(401n), await producer(500n)]).toEqual([G, H, H]);
  expect(await chain.read<bigint>(set, 'SequencerSet', 'getEpochByBlock', [450n])).toBe(7n);
  expect(await chain.read<bigint>(set, 'SequencerSet', 'getEpochByBlock', [501n])).toBe(2n ** 256n - 1n);
});
