// BatchAppended decoding and filtering without a chain: the topic matches the compiled BatchInbox, every
// field lands in L1BatchAppended (and round-trips through the Observation codec), malformed logs are
// reported, and a BatchAppended-shaped log from any other address than the BatchInbox is ignored.
import { encodeAbiParameters, encodeEventTopics, toEventSelector, type AbiEvent, type Hex } from 'viem';
import { artifact } from '../../contracts/artifacts.js';
import { BATCH_APPENDED_TOPIC, batchInboxEventsAbi, decodeBatchAppendedLog, isBatchAppendedLog, isLockingPoolLog, type L1Client, type RawLog } from '../../bridge/index.js';
import { readRange } from '../../bridge/scan.js';
import { ObservationCodec } from '../../proto/seqpool.js';
import { toHex } from '../../common/bytes.js';

const INBOX = '0x00000000000000000000000000000000000000bb' as Hex;
const POOL = '0x00000000000000000000000000000000000000aa' as Hex;
const PRODUCER = '0x00000000000000000000000000000000000000c1' as Hex;
const BASE = { blockHash: `0x${'ab'.repeat(32)}` as Hex, blockNumber: 12n, logIndex: 3, transactionHash: `0x${'cd'.repeat(32)}` as Hex };

function appendedLog(index: bigint, address: Hex = INBOX): RawLog {
  const topics = encodeEventTopics({ abi: batchInboxEventsAbi, eventName: 'BatchAppended', args: { batchIndex: index, producer: PRODUCER } }) as Hex[];
  const data = encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'bytes32' }], [`0x${'11'.repeat(32)}`, 5n, 9n, `0x${'22'.repeat(32)}`]);
  return { ...BASE, address, topics, data };
}

test('the followed topic is the compiled BatchInbox event', () => {
  const ev = artifact('BatchInbox').abi.find((x) => x.type === 'event' && x.name === 'BatchAppended') as AbiEvent;
  expect(toEventSelector(ev).toLowerCase()).toBe(BATCH_APPENDED_TOPIC);
});

test('a BatchAppended log becomes an L1BatchAppended that round-trips through the Observation codec', () => {
  const log = appendedLog(4n);
  expect(isBatchAppendedLog(log)).toBe(true);
  expect(isLockingPoolLog(log)).toBe(false);
  const r = decodeBatchAppendedLog(31337n, log);
  if (!r.ok) throw new Error(r.reason);
  expect(r.event).toMatchObject({ chainId: 31337n, blockNumber: 12n, logIndex: 3, batchIndex: 4n, l2Start: 5n, l2End: 9n });
  expect(toHex(r.event.producer)).toBe(PRODUCER.slice(2));
  expect(toHex(r.event.contract)).toBe(INBOX.slice(2));
  expect(toHex(r.event.batchHash)).toBe('11'.repeat(32));
  expect(toHex(r.event.dataHash)).toBe('22'.repeat(32));
  expect(ObservationCodec.decode(ObservationCodec.encode({ batchAppended: r.event }))).toEqual({ batchAppended: r.event });
});

test('malformed BatchAppended logs are reported, not thrown', () => {
  expect(decodeBatchAppendedLog(1n, { ...appendedLog(1n), data: '0x00' })).toMatchObject({ ok: false, reason: expect.stringMatching(/^BatchAppended: /) });
  expect(decodeBatchAppendedLog(1n, appendedLog(2n ** 64n))).toMatchObject({ ok: false, reason: expect.stringMatching(/batchIndex .* does not fit in 64 bits/) });
});

test('readRange keeps BatchAppended only from the BatchInbox, and asks for both addresses', async () => {
  const asked: unknown[] = [];
  const logs = [appendedLog(1n, INBOX), { ...appendedLog(2n, POOL), logIndex: 4 }, { ...appendedLog(3n, '0x00000000000000000000000000000000000000ff'), logIndex: 5 }];
  const client: L1Client = {
    getChainId: async () => 1,
    getBlockNumber: async () => 20n,
    getBlock: async () => ({ hash: BASE.blockHash, number: 12n }),
    getLogs: async (args) => (asked.push(args.address), logs),
  };
  const snap = await readRange(client, { lockingPool: POOL, batchInbox: INBOX }, 10n, 12n, () => false);
  expect(asked).toEqual([[POOL, INBOX]]);
  expect(snap.logs.map((l) => l.logIndex)).toEqual([3]);
  const without = await readRange(client, { lockingPool: POOL }, 10n, 12n, () => false);
  expect(asked[1]).toBe(POOL);
  expect(without.logs).toEqual([]);
});
