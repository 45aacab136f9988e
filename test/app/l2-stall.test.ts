// The L2 stall clock (app/failover.ts, issue 12): the producer of the next L2 block owes one every
// second; when the attested L2 head has not moved for l2StallSeconds, it is re-spanned at the
// attested head: the replacement builds from head + 1 (its first block must carry the recommit) and
// batches from the first unbatched block. A replacement waiting for its recommitEpoch signature is
// not stalling; its clock starts when the pool signed it.
import { decodeAbiParameters } from 'viem';
import { genesisProducer } from '../../app/election.js';
import { toHex } from '../../common/bytes.js';
import { CHAIN_ID } from './harness.js';
import { hexBytes, indexOf, poolChain, type PoolChain } from './pool-harness.js';

const types = (r: Awaited<ReturnType<PoolChain['step']>>) => r.finalized.events!.map((e) => e!.type);
const abi5 = [{ type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'address' }] as const;

async function started(params: Record<string, string | number> = {}) {
  // Nobody batches here: the batch clock is out of the way.
  const c = await poolChain({ params: { l2StallSeconds: '3', respanTimeoutSeconds: '1000', ...params } });
  const p = indexOf(c.vals, genesisProducer(c.appState, CHAIN_ID).address);
  await c.step();
  await c.step();
  return { c, p };
}

/** Steps (one second each) until a block re-spans; the number of steps it took. */
async function stepsToRespan(c: PoolChain, max = 20): Promise<number> {
  for (let i = 1; i <= max; i++) if (types(await c.step()).includes('respan')) return i;
  throw new Error(`no re-span in ${max} blocks`);
}

test('a moving head is never a stall; a head stuck for more than l2StallSeconds re-spans its producer at the attested head', async () => {
  const { c, p } = await started();
  for (let h = 1n; h <= 8n; h++) {
    c.setHead(h);
    expect(types(await c.step())).not.toContain('respan');
  }
  // The head stops at 8 (attested in the loop's last block): 4 s later, more than 3 s without a move.
  expect(await stepsToRespan(c)).toBe(4);
  const e1 = (await c.query('/epoch/1')).value;
  // Epoch 1 was elected at head 7: the re-span replaces it (SequencerSet's replace mode) up to its end.
  expect(e1).toMatchObject({ isRespan: true, respanOf: '0', startL2: '1', buildStart: '9', endL2: '20', status: 'elected' });
  expect(e1.producer).not.toBe(toHex(c.vals[p]!.address).toUpperCase());
  expect((await c.query(`/validator/${toHex(c.vals[p]!.address)}`)).value.misses).toBe('1');
  const req = (await c.query(`/sign/${e1.signRequest}`)).value;
  expect(decodeAbiParameters(abi5, hexBytes(req.payload)).slice(0, 4)).toEqual([0n, 1n, 9n, 20n]);
  expect((await c.query('/producer/8')).value).toMatchObject({ epochId: '0', mustRecommit: false });
  expect((await c.query('/producer/9')).value).toMatchObject({ epochId: '1', mustRecommit: true, signer: e1.signer });
  // Blocks 1-8 keep their builder but are batched by the re-span's producer.
  expect((await c.query('/batcher/1')).value).toMatchObject({ epochId: '1', mustRecommit: false, signer: e1.signer });
  expect((await c.query('/batcher/9')).value).toMatchObject({ epochId: '1', mustRecommit: false });
});

test('the replacement is not stalling while its recommitEpoch is unsigned; once signed, its own clock runs', async () => {
  const { c } = await started();
  c.setHead(4n);
  await stepsToRespan(c);
  const e1 = (await c.query('/epoch/1')).value;
  // Longer than the stall time (within the signing timeout), signature pending: no second re-span.
  for (let i = 0; i < 5; i++) expect(types(await c.step())).not.toContain('respan');
  const req = (await c.query(`/sign/${e1.signRequest}`)).value;
  const other = indexOf(c.vals, e1.producer);
  const r = await c.step({ txs: [c.tx(other, { submitSignature: { requestId: BigInt(req.id), signature: c.sign(hexBytes(req.digest)) } }, 1)] });
  expect(r.finalized.txResults![1]!.code ?? 0).toBe(0);
  expect((await c.query('/epoch/1')).value.status).toBe('committed');
  // The replacement builds: no stall.
  for (let h = 5n; h <= 7n; h++) {
    c.setHead(h);
    expect(types(await c.step())).not.toContain('respan');
  }
  // It stops too: re-spanned in turn, from its own attested head.
  expect(await stepsToRespan(c)).toBe(4);
  expect((await c.query('/epoch/2')).value).toMatchObject({ respanOf: '1', buildStart: '8' });
});

test('a next producer that never starts is re-spanned at the boundary; the previous one keeps batching its epoch', async () => {
  const { c } = await started();
  for (let h = 1n; h <= 10n; h++) {
    c.setHead(h); // epoch 0 complete, epoch 1 elected at head 7
    await c.step();
  }
  const before = (await c.query('/epoch/1')).value;
  expect(before).toMatchObject({ startL2: '11', buildStart: '11', isRespan: false });
  await stepsToRespan(c);
  // Epoch 1 never built: it is emptied, epoch 2 builds and batches its whole range.
  expect((await c.query('/epoch/1')).value).toMatchObject({ startL2: '11', endL2: '10' });
  expect((await c.query('/epoch/2')).value).toMatchObject({ respanOf: '1', startL2: '11', buildStart: '11', endL2: '20' });
  // Epoch 0's producer still owes the batches of blocks 1-10.
  expect((await c.query('/producer/10')).value.epochId).toBe('0');
  expect((await c.query('/producer/11')).value).toMatchObject({ epochId: '2', mustRecommit: true });
});

test('no re-span without a group key, and none with l2StallSeconds 0', async () => {
  for (const c of [await poolChain({ withKey: false, params: { l2StallSeconds: '3', respanTimeoutSeconds: '1000' } }), await poolChain({ params: { l2StallSeconds: '0', respanTimeoutSeconds: '1000' } })]) {
    c.setHead(2n);
    for (let i = 0; i < 12; i++) expect(types(await c.step())).not.toContain('respan');
  }
});
