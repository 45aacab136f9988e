// BatchInbox on a real anvil: FROST-signed headers, index / previous-hash / L2-range continuity,
// replay refused, key rotation only with the current key; the batch data in the calldata must hash to
// the header's dataHash and be the calldata of a top-level transaction.
import { randomBytes } from 'node:crypto';
import { encodeAbiParameters, encodeFunctionData, keccak256, toHex, type Abi, type Address, type Hex } from 'viem';
import { artifact } from '../../contracts/artifacts.js';
import { LOCALNET_ESCAPE_DELAY, LOCALNET_FORCE_FEE, LOCALNET_FORCE_WINDOW } from '../../contracts/deploy.js';
import { fromHex } from '../../common/bytes.js';
import { BATCH_HEADER_ABI, encodeRotateGroupKey } from '../../protocol/signed-payloads.js';
import { PoolKey, expectRevert, startChain, type Chain } from './helpers.js';
import { compileForwarder } from './forwarder.js';
import { events } from './pool-fixture.js';

interface Header {
  batchIndex: bigint;
  prevBatchHash: Hex;
  l2StartBlock: bigint;
  l2EndBlock: bigint;
  dataHash: Hex;
  producer: Address;
  forcedCursor: bigint;
  forcedChainHash: Hex;
}
// The header as the pool encodes it (protocol/signed-payloads.ts): the contract must verify exactly these bytes.
const encodeHeader = (h: Header): Hex => encodeAbiParameters(BATCH_HEADER_ABI, [h]);

let chain: Chain;
let key: PoolKey;
let inbox: Address;
const ZERO = `0x${'00'.repeat(32)}` as Hex;

beforeAll(async () => {
  chain = await startChain();
  key = new PoolKey(4, 3);
  // The forced-inclusion queue stays empty here (test/contracts/forced-queue.test.ts covers it).
  inbox = await chain.deploy('BatchInbox', [chain.accounts[0]!.address, key.groupKey, 1n, LOCALNET_FORCE_FEE, LOCALNET_FORCE_WINDOW, LOCALNET_ESCAPE_DELAY]);
});
afterAll(async () => chain?.stop());

const sign = (h: Header, k = key) => k.sign(chain.chainId, inbox, 'appendBatch', encodeHeader(h));
/** The data each test header was made for, by its dataHash. */
const dataOf = new Map<Hex, Hex>();
const append = (h: Header, sig: Hex, data = dataOf.get(h.dataHash) ?? '0x') => chain.write(chain.accounts[1]!, inbox, 'BatchInbox', 'appendBatch', [h, data, sig]);
const header = (i: bigint, prev: Hex, start: bigint, end: bigint, data: Hex = toHex(`batch ${i}`)): Header => {
  const dataHash = keccak256(data);
  dataOf.set(dataHash, data);
  return { batchIndex: i, prevBatchHash: prev, l2StartBlock: start, l2EndBlock: end, dataHash, producer: chain.accounts[2]!.address, forcedCursor: 0n, forcedChainHash: ZERO };
};

test('appends a chain of signed batches and emits BatchAppended', async () => {
  let prev = ZERO;
  let start = 1n;
  for (let i = 0n; i < 3n; i++) {
    const h = header(i, prev, start, start + 9n);
    const r = await append(h, sign(h));
    const hash = keccak256(encodeHeader(h));
    expect(events(r.logs as never, 'BatchInbox')[0]).toMatchObject({
      eventName: 'BatchAppended',
      args: { batchIndex: i, batchHash: hash, l2StartBlock: start, l2EndBlock: start + 9n, dataHash: h.dataHash, producer: h.producer },
    });
    expect(await chain.read<Hex>(inbox, 'BatchInbox', 'batchHash', [h])).toBe(hash);
    expect(await chain.read<Hex>(inbox, 'BatchInbox', 'batchHashes', [i])).toBe(hash);
    prev = hash;
    start += 10n;
  }
  expect(await chain.read<bigint>(inbox, 'BatchInbox', 'nextBatchIndex')).toBe(3n);
  expect(await chain.read<bigint>(inbox, 'BatchInbox', 'nextL2Block')).toBe(31n);
  expect(await chain.read<Hex>(inbox, 'BatchInbox', 'lastBatchHash')).toBe(prev);
});

test('refuses a wrong index, previous hash, L2 start, empty range, zero producer, replay and bad signatures', async () => {
  const last = await chain.read<Hex>(inbox, 'BatchInbox', 'lastBatchHash');
  const good = header(3n, last, 31n, 40n);
  for (const [bad, err] of [
    [{ ...good, batchIndex: 4n }, 'WrongBatchIndex'],
    [{ ...good, batchIndex: 2n }, 'WrongBatchIndex'],
    [{ ...good, prevBatchHash: ZERO }, 'WrongPrevBatchHash'],
    [{ ...good, l2StartBlock: 32n }, 'WrongL2Start'],
    [{ ...good, l2StartBlock: 30n }, 'WrongL2Start'],
    [{ ...good, l2EndBlock: 30n }, 'EmptyL2Range'],
    [{ ...good, producer: '0x0000000000000000000000000000000000000000' }, 'ZeroProducer'],
  ] as [Header, string][]) {
    await expectRevert(append(bad, sign(bad)), err);
  }
  // Signed with another key, for another header, or for another purpose.
  await expectRevert(append(good, sign(good, new PoolKey())), 'InvalidSignature');
  await expectRevert(append(good, sign({ ...good, dataHash: ZERO })), 'InvalidSignature');
  await expectRevert(append(good, key.sign(chain.chainId, inbox, 'commitEpoch', encodeHeader(good))), 'InvalidSignature');
  await expectRevert(append(good, `${sign(good)}00` as Hex), 'FrostBadLength');
  const ok = await append(good, sign(good));
  expect(ok.gasUsed).toBeGreaterThan(0n);
  // The same signed header again: refused by the index.
  await expectRevert(append(good, sign(good)), 'WrongBatchIndex');
});

test('the key rotates only with a message signed by the current key', async () => {
  const next = new PoolKey(5, 4);
  const nonce = await chain.read<bigint>(inbox, 'BatchInbox', 'authNonce');
  const payload = toHex(encodeRotateGroupKey(fromHex(next.groupKey), nonce));
  const rotate = (sig: Hex) => chain.write(chain.accounts[3]!, inbox, 'BatchInbox', 'rotateGroupKey', [next.groupKey, sig]);
  await expectRevert(rotate(next.sign(chain.chainId, inbox, 'rotateGroupKey', payload)), 'InvalidSignature');
  await expectRevert(chain.write(chain.accounts[0]!, inbox, 'BatchInbox', 'initializeGroupKey', [next.groupKey]), 'GroupKeyAlreadySet');
  const sig = key.sign(chain.chainId, inbox, 'rotateGroupKey', payload);
  await rotate(sig);
  await expectRevert(rotate(sig), 'InvalidSignature');
  const h = header(4n, await chain.read<Hex>(inbox, 'BatchInbox', 'lastBatchHash'), 41n, 41n);
  await expectRevert(append(h, sign(h)), 'InvalidSignature');
  await append(h, sign(h, next));
  key = next; // the tests below sign with the inbox's current key
});

test('refuses data that does not hash to the header\'s dataHash, empty data, and a call through a contract', async () => {
  const last = await chain.read<Hex>(inbox, 'BatchInbox', 'lastBatchHash');
  const start = await chain.read<bigint>(inbox, 'BatchInbox', 'nextL2Block');
  const good = header(await chain.read<bigint>(inbox, 'BatchInbox', 'nextBatchIndex'), last, start, start + 1n);
  const data = dataOf.get(good.dataHash)!;
  const flipped = `${data.slice(0, -2)}${(Number.parseInt(data.slice(-2), 16) ^ 1).toString(16).padStart(2, '0')}` as Hex;
  // Signed and continuing the chain, but the calldata is not the data the pool signed for.
  // The error names both hashes: the signed one, then the calldata's.
  const err = await append(good, sign(good), flipped).then(() => undefined, (e: Error) => e.message);
  expect(err).toContain('DataHashMismatch');
  expect(err).toContain(good.dataHash);
  expect(err).toContain(keccak256(flipped));
  await expectRevert(append(good, sign(good), `${data}00`), 'DataHashMismatch');
  const empty = header(good.batchIndex, last, start, start, '0x');
  await expectRevert(append(empty, sign(empty), '0x'), 'EmptyData');
  // The same valid call, made by a contract: the data would not be a top-level tx's calldata.
  const fwd = compileForwarder();
  const wallet = chain.wallet(chain.accounts[1]!);
  const r0 = await chain.pub.waitForTransactionReceipt({ hash: await wallet.deployContract({ abi: fwd.abi, bytecode: fwd.bytecode, account: chain.accounts[1]!, chain: null }) });
  const forwarder = r0.contractAddress!;
  const call = encodeFunctionData({ abi: artifact('BatchInbox').abi as Abi, functionName: 'appendBatch', args: [good, data, sign(good)] });
  await expectRevert(wallet.writeContract({ abi: fwd.abi, address: forwarder, functionName: 'forward', args: [inbox, call], account: chain.accounts[1]!, chain: null }), 'NotDirectCall');
  // An EOA delegated to the forwarder (EIP-7702) calling itself: msg.sender == tx.origin, but the
  // tx's calldata is forward(...), not appendBatch(...). Refused because the sender has code.
  const delegated = await chain.fundedAccount();
  const dw = chain.wallet(delegated);
  const authorization = await dw.signAuthorization({ account: delegated, contractAddress: forwarder, executor: 'self' });
  const forwardCall = encodeFunctionData({ abi: fwd.abi, functionName: 'forward', args: [inbox, call] });
  await expectRevert(dw.sendTransaction({ account: delegated, chain: null, authorizationList: [authorization], to: delegated.address, data: forwardCall }), 'NotDirectCall');
  // And directly it lands.
  await append(good, sign(good));
});

test('gas of appendBatch with 1 KB and 120 KB of data (printed, not asserted)', async () => {
  const lines: string[] = [];
  for (const size of [1024, 120 * 1024]) {
    const last = await chain.read<Hex>(inbox, 'BatchInbox', 'lastBatchHash');
    const start = await chain.read<bigint>(inbox, 'BatchInbox', 'nextL2Block');
    // Random bytes: compressed batch data is close to incompressible, and nonzero bytes cost the most calldata gas.
    const h = header(await chain.read<bigint>(inbox, 'BatchInbox', 'nextBatchIndex'), last, start, start + 9n, toHex(randomBytes(size)));
    const r = await append(h, sign(h));
    lines.push(`appendBatch with ${size / 1024} KB of data: ${r.gasUsed} gas (${(Number(r.gasUsed) / size).toFixed(1)} gas/byte)`);
  }
  console.log(lines.join('\n'));
}, 60_000);
