// Batches L1 lost in a reorg deeper than the bridge waited for go back to awaiting L1, and are not
// rewarded a second time when they land again (decision 38).
import { opaqueBatchData } from '../batch-fixture.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { genesisProducer } from '../../app/election.js';
import { L1Status } from '../../protocol/l1-state.js';
import { TxCode } from '../../protocol/codes.js';
import { utf8 } from '../../common/bytes.js';
import type { L1BatchAppended, Observation } from '../../proto/seqpool.js';
import { CHAIN_ID } from './harness.js';
import { eth, pub64 } from './l1-harness.js';
import { hexBytes, INBOX, indexOf, L1_CHAIN, POOL, poolChain, TOKEN } from './pool-harness.js';

const ZERO = new Uint8Array(32);
const hash = (s: string) => keccak_256(utf8(s));
const types = (r: { finalized: { events?: ({ type?: string } | undefined)[] } }) => (r.finalized.events ?? []).map((e) => e!.type);

test('a correction that finds batches missing on L1 un-finalizes them; landing again pays no second reward', async () => {
  const c = await poolChain();
  const p = indexOf(c.vals, genesisProducer(c.appState, CHAIN_ID).address);
  const other = (p + 1) % c.vals.length;
  c.setHead(5n);
  await c.step();
  await c.step();
  // Two signed batches, both appended on L1 (blocks 50 and 51) and finalized, each with its reward.
  let prev: Uint8Array = ZERO;
  const appended: L1BatchAppended[] = [];
  for (const i of [0n, 1n]) {
    const body = { requestBatch: { batchIndex: i, prevBatchHash: prev, l2Start: i + 1n, l2End: i + 1n, ...opaqueBatchData(`b${i}`) } };
    expect((await c.step({ txs: [c.tx(p, body)] })).finalized.txResults![1]!.code).toBe(TxCode.OK);
    const b = (await c.query(`/batch/${i}`)).value;
    prev = hexBytes(b.hash);
    const req = (await c.query(`/sign/${b.signRequest}`)).value;
    await c.step({ txs: [c.tx(other, { submitSignature: { requestId: BigInt(req.id), signature: c.sign(hexBytes(req.digest)) } }, 1)] });
    appended.push({ chainId: L1_CHAIN, contract: INBOX, blockHash: hash(`blk${i}`), blockNumber: 50n + i, logIndex: 0, txHash: hash(`tx${i}`), batchIndex: i, batchHash: prev, l2Start: i + 1n, l2End: i + 1n, dataHash: opaqueBatchData(`b${i}`).dataHash, producer: hexBytes(b.producer) });
  }
  for (const ev of appended) expect(types(await c.step({ obs: [{ batchAppended: ev }] }))).toContain('batch_finalized');
  const rewards = async () => {
    const out: string[] = [];
    for (let id = 1n; id < c.app.state.signMeta().nextId; id++) if (c.app.state.signRequest(id)?.purpose === 'distributeRewards') out.push(id.toString());
    return out;
  };
  expect((await c.query('/batch/meta')).value.finalized).toBe('2');
  const paid = await rewards();
  expect(paid).toHaveLength(2);

  // L1 at checkpoint block 60 (after a deep reorg) has only batch 0.
  const sequencers = c.vals.map((v, i) => ({ id: BigInt(i + 1), status: L1Status.ACTIVE, signer: eth(v), signerPubkey: pub64(v), amount: (20_000n * TOKEN).toString(), deactivationTime: 0n, nonce: 1n }));
  const fix: Observation = { l1Correction: { chainId: L1_CHAIN, lockingPool: POOL, batchInbox: INBOX, blockNumber: 60n, blockHash: hash('blk60'), sequencers, nextBatchIndex: 1n } };
  expect(types(await c.step({ obs: [fix] }))).toEqual(expect.arrayContaining(['l1_correction', 'batch_unfinalized']));
  expect((await c.query('/batch/meta')).value.finalized).toBe('1');
  expect((await c.query('/batch/1')).value.status).toBe('signed');
  expect((await c.query('/batch/0')).value.status).toBe('finalized');
  for (let i = 1; i <= 4; i++) expect((await c.query(`/sequencer/${i}`)).value.power).toBe('20000'); // matched: untouched

  // The producer appends batch 1 again (block 70): final again, and no second reward request.
  const again = { ...appended[1]!, blockHash: hash('blk70'), blockNumber: 70n, txHash: hash('tx70') };
  expect(types(await c.step({ obs: [{ batchAppended: again }] }))).toContain('batch_finalized');
  expect((await c.query('/batch/meta')).value.finalized).toBe('2');
  expect(await rewards()).toEqual(paid);
});
