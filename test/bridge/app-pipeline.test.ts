// The batcher and the relaying checks against the real app (in process, test/app/pool-harness): the
// batcher reads committed state through SeqpoolApp.query, its lane-0 tx passes the app's CheckTx and
// FinalizeBlock, batches chain and pipeline, the sidecar-style signature makes the batch SIGNED, and
// the L1 submitter builds the exact header the app signed.
import { describe, expect, test } from '@jest/globals';
import type { Hex } from 'viem';
import { TxCode } from '../../protocol/codes.js';
import { CHAIN_ID } from '../app/harness.js';
import { indexOf, poolChain } from '../app/pool-harness.js';
import { toHex } from '../../common/bytes.js';
import { Batcher, PoolView, appQuery, headerOf } from '../../bridge/index.js';
import type { BroadcastResult } from '../../protocol/comet-rpc.js';
import { batchHeaderHash } from '../../protocol/signed-payloads.js';
import { FakeL2Chain } from '../batch-fixture.js';

/** A stand-in L2 of synthetic blocks (old timestamps: every batch closes at once). */
const l2 = new FakeL2Chain(40n);
const dataHashOf = (from: bigint, to: bigint): Promise<Hex> => l2.dataHash(from, to);

describe('batcher with the real app', () => {
  test('its requests pass CheckTx and FinalizeBlock, chain on each other and pipeline up to the limit', async () => {
    const c = await poolChain({ params: { maxBatchBlocks: '4' } });
    c.setHead(7n);
    for (let i = 0; i < 3; i++) await c.step();
    const pool = new PoolView(appQuery(c.app));
    const current = await pool.currentEpoch();
    expect(current?.l2Head).toBe(7n);
    const p = indexOf(c.vals, current!.producer);
    const mempool: Uint8Array[] = [];
    const broadcast = async (tx: Uint8Array): Promise<BroadcastResult> => {
      const r = await c.app.checkTx({ tx, type: 0 });
      if (r.code === TxCode.OK) mempool.push(tx);
      return { code: r.code ?? 0, log: r.log ?? '', hash: '' };
    };
    const batcher = new Batcher({ pool, l2, broadcast, privKey: c.vals[p]!.privKey, maxInFlight: 2 });
    const bystander = new Batcher({ pool, l2, broadcast, privKey: c.vals[(p + 1) % c.vals.length]!.privKey });

    await bystander.step();
    await batcher.step();
    expect(mempool).toHaveLength(1);
    const r1 = await c.step({ txs: mempool.splice(0) });
    expect(r1.finalized.txResults!.slice(1).map((r) => r!.code ?? 0)).toEqual([TxCode.OK]);
    const b0 = (await pool.batch(0n))!;
    expect(b0).toMatchObject({ l2Start: 1n, l2End: 4n, status: 'signing', producer: batcher.l1Address, dataHash: await dataHashOf(1n, 4n) });

    await batcher.step();
    await c.step({ txs: mempool.splice(0) });
    expect(await pool.batch(1n)).toMatchObject({ l2Start: 5n, l2End: 7n, prevHash: b0.hash, status: 'signing' }); // capped by the attested head

    // Two in flight (maxInFlight 2) and the head moved: the third waits until one is finalized.
    c.setHead(9n);
    await c.step();
    await batcher.step();
    expect(mempool).toHaveLength(0);

    // The sidecars sign batch 0 (SubmitSignature, lane 1): the submitter's header hashes to the app's.
    const req = (await pool.signRequest(b0.signRequest))!;
    const sig = c.sign(Buffer.from(req.digest.slice(2), 'hex'));
    const other = (p + 1) % c.vals.length;
    const r2 = await c.step({ txs: [c.tx(other, { submitSignature: { requestId: req.id, signature: sig } }, 1)] });
    expect(r2.finalized.txResults![1]!.code).toBe(TxCode.OK);
    const signed = (await pool.batch(0n))!;
    expect(signed.status).toBe('signed');
    expect(`0x${toHex(batchHeaderHash(headerOf(signed)))}`).toBe(signed.hash);
    expect((await pool.signRequest(b0.signRequest))!.signature).toBe(`0x${toHex(sig)}`);
    await bystander.step();
    expect(mempool).toHaveLength(0);
  });
});
