// Log decoding without a chain: every field lands in the proto message, and what cannot be an
// L1StakingEvent is reported (not thrown), or quietly ignored when it is not a staking event at all.
import { encodeAbiParameters, encodeEventTopics, type Hex } from 'viem';
import { decodeLockingPoolLog, lockingPoolEventsAbi, type RawLog } from '../../bridge/index.js';
import { ObservationCodec } from '../../proto/seqpool.js';

const BASE = {
  address: '0x5fbdb2315678afecb367f032d93f642f64180aa3' as Hex,
  blockHash: `0x${'ab'.repeat(32)}` as Hex,
  blockNumber: 12n,
  logIndex: 3,
  transactionHash: `0x${'cd'.repeat(32)}` as Hex,
};
const SIGNER = '0x00000000000000000000000000000000000000a1' as Hex;

function lockedLog(id: bigint, nonce: bigint, pubkey: Hex): RawLog {
  const topics = encodeEventTopics({ abi: lockingPoolEventsAbi, eventName: 'Locked', args: { sequencerId: id, signer: SIGNER } }) as Hex[];
  const data = encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'bytes' }], [nonce, 5n, 6n, pubkey]);
  return { ...BASE, topics, data };
}

test('a Locked log becomes an L1StakingEvent that round-trips through the Observation codec', () => {
  const r = decodeLockingPoolLog(31337n, lockedLog(7n, 1n, `0x${'11'.repeat(64)}`));
  if (!r.ok) throw new Error(r.reason);
  expect(r.name).toBe('Locked');
  expect(r.event).toMatchObject({ chainId: 31337n, blockNumber: 12n, logIndex: 3, sequencerId: 7n, nonce: 1n, locked: { amount: '5', total: '6' } });
  expect(r.event.contract).toHaveLength(20);
  expect(ObservationCodec.decode(ObservationCodec.encode({ l1Staking: r.event }))).toEqual({ l1Staking: r.event });
});

test.each([
  ['a 65-byte pubkey (with the 0x04 prefix)', lockedLog(7n, 1n, `0x04${'11'.repeat(64)}`), /signerPubkey is 65 bytes/],
  ['a sequencer id beyond 64 bits', lockedLog(2n ** 64n, 1n, `0x${'11'.repeat(64)}`), /sequencerId .* does not fit in 64 bits/],
  ['nonce 0', lockedLog(7n, 0n, `0x${'11'.repeat(64)}`), /nonce 0/],
  ['truncated data', { ...lockedLog(7n, 1n, `0x${'11'.repeat(64)}`), data: '0x00' as Hex }, /does not decode against the LockingPool ABI/],
])('%s is reported as malformed', (_what, log, reason) => {
  const r = decodeLockingPoolLog(1n, log);
  expect(r).toMatchObject({ ok: false, ours: true, reason: expect.stringMatching(reason) });
});

test('a log with another topic0 is not ours and is not called malformed', () => {
  const r = decodeLockingPoolLog(1n, { ...BASE, topics: [`0x${'ee'.repeat(32)}`], data: '0x' });
  expect(r).toMatchObject({ ok: false, ours: false });
});

test('an UnlockInit whose deactivation time does not fit in 64 bits (a huge exit delay) still decodes, saturated', () => {
  const topics = encodeEventTopics({ abi: lockingPoolEventsAbi, eventName: 'UnlockInit', args: { sequencerId: 7n, signer: SIGNER } }) as Hex[];
  const data = encodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }], [2n, 2n ** 200n, 5n]);
  const r = decodeLockingPoolLog(1n, { ...BASE, topics, data });
  if (!r.ok) throw new Error(r.reason);
  expect(r.event.unlockInit).toMatchObject({ deactivationTime: 2n ** 64n - 1n, amount: '5' });
});
