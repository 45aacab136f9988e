// The L1 batch submitter and the shared EVM tx sender against a real anvil running BatchInbox with a
// dealer-made FROST key: landing appendBatch, idempotence across a restart, fee bumping of a stuck tx,
// an unfunded key's error, and the listener turning BatchAppended into an observation after K blocks.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createPublicClient, createTestClient, decodeFunctionData, http, keccak256, parseEther, parseGwei, type Hex, type PublicClient } from 'viem';
import { foundry } from 'viem/chains';
import { artifact } from '../../contracts/artifacts.js';
import { deployL1, initializeGroupKey, type L1Deployment } from '../../contracts/deploy.js';
import { ANVIL_DEV_KEY, type Anvil } from '../../contracts/devnet.js';
import { startTestAnvil } from '../anvil.js';
import { l1DealerKey } from '../../bench/mpc-dealer.js';
import { encodeL1GroupKey, type KeyShare } from '../../mpc/index.js';
import { toHex } from '../../common/bytes.js';
import { observationDigest } from '../../protocol/observations.js';
import { EvmTxSender, FundsError, L1BatchSubmitter, L1Listener, type StakingStateView } from '../../bridge/index.js';
import type { Observation } from '../../proto/seqpool.js';
import { FakeL2Chain, opaqueBatchData } from '../batch-fixture.js';
import { encodeBatchData } from '../../protocol/batch-data.js';
import { FakePool, NO_FORCED, encodeHeader, hexHeaderHash, signedRequest, tempDir, testValidator, type TestValidator } from './pool-fake.js';

const CHAIN_ID = 31337;
const ZERO32 = `0x${'00'.repeat(32)}` as Hex;
let anvil: Anvil;
let dep: L1Deployment;
let shares: KeyShare[];
let pub: PublicClient;
let rpc: ReturnType<typeof createTestClient>;
let v: TestValidator;
const dir = tempDir();
const pool = new FakePool();
const inboxAbi = artifact('BatchInbox').abi;
let prev: Hex = ZERO32;
let nextStart = 1n;

const read = <T>(functionName: string, args: unknown[] = []) => pub.readContract({ address: dep.batchInbox, abi: inboxAbi, functionName, args }) as Promise<T>;

/** Puts batch i (signed by the dealer key) into a fake pool state; `data` is what the pool keeps (default: opaque bytes; null: none). */
function putBatch(p: FakePool, producer: Hex, i: bigint, prevHash: Hex, start: bigint, blocks: bigint, data: Uint8Array | null = opaqueBatchData(`data ${i}`).data, dataHash = keccak256(data ?? new Uint8Array(0))): { hash: Hex; end: bigint } {
  const header = { batchIndex: i, prevBatchHash: prevHash, l2StartBlock: start, l2EndBlock: start + blocks - 1n, dataHash, producer, ...NO_FORCED };
  if (data) p.set(`/batch/${i}/data`, { index: i.toString(), dataHash, data: `0x${toHex(data)}` });
  else p.answers.delete(`/batch/${i}/data`);
  const hash = hexHeaderHash(header);
  const requestId = 100n + i;
  p.set(`/batch/${i}`, {
    index: i.toString(), prevHash, l2Start: start.toString(), l2End: header.l2EndBlock.toString(), dataHash: header.dataHash,
    producer, hash, status: 'signed', signRequest: requestId.toString(), requestedHeight: '3', finalizedHeight: '0', l1TxHash: null, epochId: '0',
    forcedCursor: '0', forcedChainHash: NO_FORCED.forcedChainHash,
  });

  p.set(`/sign/${requestId}`, signedRequest(shares, { id: requestId, purpose: 'appendBatch', chainId: CHAIN_ID, verifier: dep.batchInbox, payload: encodeHeader(header), batchIndex: i }));
  return { hash, end: header.l2EndBlock };
}

/** The next batch of the test's validator, chained on the previous one. */
function signedBatch(i: bigint, blocks: bigint, data?: Uint8Array | null, dataHash?: Hex): { hash: Hex } {
  const { hash, end } = putBatch(pool, v.eth, i, prev, nextStart, blocks, data, dataHash);
  prev = hash;
  nextStart = end + 1n;
  return { hash };
}

const sender = (key: Hex, db: string, bumpAfterBlocks = 3) => new EvmTxSender({ label: 'L1', rpcUrl: anvil.url, chainId: CHAIN_ID, privateKey: key, dbPath: db, bumpAfterBlocks });

beforeAll(async () => {
  anvil = await startTestAnvil({ chainId: CHAIN_ID });
  pub = createPublicClient({ transport: http(anvil.url) }) as PublicClient;
  rpc = createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvil.url) });
  shares = l1DealerKey(3, 2, 'bridge-test');
  dep = await deployL1({ rpcUrl: anvil.url, deployerKey: ANVIL_DEV_KEY });
  await initializeGroupKey({ l1: dep }, ANVIL_DEV_KEY, `0x${toHex(encodeL1GroupKey(shares[0]!.public.groupKey))}`);
  v = testValidator();
}, 60_000);

afterAll(async () => {
  await anvil?.stop();
  dir.cleanup();
});

describe('L1 batch submitter (real anvil, BatchInbox)', () => {
  test('a validator without ETH gets an error that says to fund it, and nothing is sent', async () => {
    const poor = testValidator();
    const s = sender(poor.privHex, `${dir.path}/poor`);
    await s.open();
    try {
      const poorPool = new FakePool();
      putBatch(poorPool, poor.eth, 0n, ZERO32, 1n, 4n);
      const sub = new L1BatchSubmitter({ sender: s, batchInbox: dep.batchInbox, pool: poorPool.view });
      const err = await sub.step().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(FundsError);
      expect((err as Error).message).toMatch(new RegExp(`validator ${poor.eth} has 0 ETH on L1 \\(chain ${CHAIN_ID}\\) for gas.*: fund it`, 'i'));
      expect(s.pendingJobs()).toHaveLength(0);
      expect(await pub.getTransactionCount({ address: poor.eth })).toBe(0);
      expect(await read<bigint>('nextBatchIndex')).toBe(0n);
    } finally {
      await s.close();
    }
  });

  test('lands appendBatch(header, encodeL1Signature(sig)) once the batch is signed', async () => {
    await rpc.setBalance({ address: v.eth, value: parseEther('10') });
    const s = sender(v.privHex, `${dir.path}/l1-tx`);
    await s.open();
    try {
      const sub = new L1BatchSubmitter({ sender: s, batchInbox: dep.batchInbox, pool: pool.view });
      await sub.step(); // no batch 0 in the pool yet: nothing to do
      expect(s.job('batch/0')).toBeUndefined();
      const { hash } = signedBatch(0n, 5n);
      await sub.step();
      const job = s.job('batch/0')!;
      expect(job.status).toBe('pending');
      await pub.waitForTransactionReceipt({ hash: job.txs[0]!.hash, pollingInterval: 50 });
      await sub.step();
      expect(s.job('batch/0')!.status).toBe('mined');
      expect(await read<bigint>('nextBatchIndex')).toBe(1n);
      expect(await read<Hex>('batchHashes', [0n])).toBe(hash);
      // The data rides in the calldata, where a verifier reads it.
      const tx = await pub.getTransaction({ hash: job.txs[0]!.hash });
      expect(decodeFunctionData({ abi: inboxAbi, data: tx.input }).args![1]).toBe(`0x${toHex(opaqueBatchData('data 0').data)}`);
      // Landed: another step sends nothing more.
      const count = await pub.getTransactionCount({ address: v.eth });
      await sub.step();
      expect(await pub.getTransactionCount({ address: v.eth })).toBe(count);
    } finally {
      await s.close();
    }
  });

  test('a restarted submitter with the same database does not resend a batch in flight', async () => {
    await rpc.setAutomine(false);
    try {
      signedBatch(1n, 3n);
      let s = sender(v.privHex, `${dir.path}/l1-tx`);
      await s.open();
      await new L1BatchSubmitter({ sender: s, batchInbox: dep.batchInbox, pool: pool.view }).step();
      const first = s.job('batch/1')!;
      expect(first.status).toBe('pending');
      await s.close(); // "crash" before it is mined

      s = sender(v.privHex, `${dir.path}/l1-tx`);
      await s.open();
      try {
        const sub = new L1BatchSubmitter({ sender: s, batchInbox: dep.batchInbox, pool: pool.view });
        await sub.step();
        await sub.step();
        const again = s.job('batch/1')!;
        expect(again.txs.map((t) => t.hash)).toEqual(first.txs.map((t) => t.hash)); // same tx, not a second one
        expect(await pub.getTransactionCount({ address: v.eth, blockTag: 'pending' })).toBe(first.nonce + 1);
        await rpc.mine({ blocks: 1 });
        await sub.step();
        expect(s.job('batch/1')!.status).toBe('mined');
        expect(await read<bigint>('nextBatchIndex')).toBe(2n);
        await sub.step();
        expect(await pub.getTransactionCount({ address: v.eth, blockTag: 'pending' })).toBe(first.nonce + 1);
      } finally {
        await s.close();
      }
    } finally {
      await rpc.setAutomine(true);
    }
  });

  test('a tx stuck under a rising base fee is replaced with higher fees at the same nonce, and only one lands', async () => {
    await rpc.setAutomine(false);
    const s = sender(v.privHex, `${dir.path}/l1-tx`, 2);
    await s.open();
    try {
      signedBatch(2n, 2n);
      const sub = new L1BatchSubmitter({ sender: s, batchInbox: dep.batchInbox, pool: pool.view });
      await sub.step();
      const a = s.job('batch/2')!.txs[0]!;
      expect(BigInt(a.maxFeePerGas)).toBeLessThan(parseGwei('50'));
      await rpc.setNextBlockBaseFeePerGas({ baseFeePerGas: parseGwei('100') });
      await rpc.mine({ blocks: 1 });
      await sub.step(); // one block: not yet stuck long enough
      expect(s.job('batch/2')!.txs).toHaveLength(1);
      await rpc.mine({ blocks: 1 });
      expect(await pub.getTransactionReceipt({ hash: a.hash }).catch(() => undefined)).toBeUndefined();
      await sub.step(); // two blocks unmined: bump
      const job = s.job('batch/2')!;
      expect(job.txs).toHaveLength(2);
      const b = job.txs[1]!;
      expect(BigInt(b.maxFeePerGas)).toBeGreaterThanOrEqual((BigInt(a.maxFeePerGas) * 125n) / 100n);
      expect(BigInt(b.maxPriorityFeePerGas)).toBeGreaterThan(BigInt(a.maxPriorityFeePerGas));
      await rpc.mine({ blocks: 1 });
      const receipt = await pub.getTransactionReceipt({ hash: b.hash });
      expect(receipt.status).toBe('success');
      await sub.step();
      expect(s.job('batch/2')).toMatchObject({ status: 'mined', minedHash: b.hash });
      expect(await read<bigint>('nextBatchIndex')).toBe(3n);
      expect(await pub.getTransactionCount({ address: v.eth })).toBe(job.nonce + 1);
    } finally {
      await s.close();
      await rpc.setAutomine(true);
    }
  });

  test('BatchAppended becomes an observation after K confirmations, offered in L1 order and not once settled', async () => {
    const settled = new Set<string>();
    let finalized = 0n;
    const view: StakingStateView = { nextNonce: () => 1n, isSettled: (d) => settled.has(toHex(d)), nextBatchIndex: () => finalized };
    const listener = new L1Listener({ finality: 'confirmations', chainId: CHAIN_ID, lockingPool: dep.lockingPool, batchInbox: dep.batchInbox, startBlock: dep.startBlock, confirmations: 2, pollIntervalMs: 60_000, dbPath: `${dir.path}/bridge`, rpcUrl: anvil.url, stateView: view });
    await listener.start();
    try {
      await rpc.mine({ blocks: 2 });
      await listener.syncNow();
      const settle = (o: Observation) => (settled.add(toHex(observationDigest(o))), (finalized = o.batchAppended!.batchIndex + 1n));
      for (const i of [0n, 1n, 2n]) {
        const offered = listener.pending();
        expect(offered).toHaveLength(1);
        const ev = offered[0]!.batchAppended!;
        expect(ev.batchIndex).toBe(i);
        expect(`0x${toHex(ev.batchHash)}`).toBe(await read<Hex>('batchHashes', [i]));
        expect(`0x${toHex(ev.contract)}`).toBe(dep.batchInbox.toLowerCase());
        expect(`0x${toHex(ev.producer)}`).toBe(v.eth);
        expect(ev.chainId).toBe(BigInt(CHAIN_ID));
        settle(offered[0]!);
      }
      expect(listener.pending()).toEqual([]);

      // A new batch: seen only once K blocks sit on top of it.
      signedBatch(3n, 7n);
      const s = sender(v.privHex, `${dir.path}/l1-tx`);
      await s.open();
      try {
        await new L1BatchSubmitter({ sender: s, batchInbox: dep.batchInbox, pool: pool.view }).step();
        await pub.waitForTransactionReceipt({ hash: s.job('batch/3')!.txs[0]!.hash, pollingInterval: 50 });
      } finally {
        await s.close();
      }
      await listener.syncNow();
      expect(listener.pending()).toEqual([]);
      await rpc.mine({ blocks: 1 });
      await listener.syncNow();
      expect(listener.pending()).toEqual([]);
      await rpc.mine({ blocks: 1 });
      await listener.syncNow();
      const [obs] = listener.pending();
      expect(obs?.batchAppended).toMatchObject({ batchIndex: 3n, l2Start: nextStart - 7n, l2End: nextStart - 1n });
      settle(obs!);
      await listener.syncNow();
      expect(listener.pending()).toEqual([]);
      expect(listener.status().storedEvents).toBe(0);
    } finally {
      await listener.stop();
    }
  });

  test('adding l1.batchInbox to an existing bridge database re-reads L1 for the BatchAppended events it passed', async () => {
    const view: StakingStateView = { nextNonce: () => 1n, isSettled: () => false, nextBatchIndex: () => 0n };
    const opts = { finality: 'confirmations' as const, chainId: CHAIN_ID, lockingPool: dep.lockingPool, startBlock: dep.startBlock, confirmations: 1, pollIntervalMs: 60_000, dbPath: `${dir.path}/bridge-upgrade`, rpcUrl: anvil.url, stateView: view };
    const before = new L1Listener(opts);
    await before.start();
    await before.syncNow();
    expect(before.pending()).toEqual([]);
    const cursor = before.status().cursor;
    await before.stop();
    expect(cursor).toBeGreaterThan(dep.startBlock);

    const after = new L1Listener({ ...opts, batchInbox: dep.batchInbox });
    await after.start();
    try {
      await after.syncNow();
      expect(after.pending().map((o) => o.batchAppended?.batchIndex)).toEqual([0n]);
      expect(after.status().storedEvents).toBe(4); // batches 0-3
    } finally {
      await after.stop();
    }
  });

  test('a reorg deeper than K that orphans a BatchAppended block drops the event: the old block hash is never offered', async () => {
    const view: StakingStateView = { nextNonce: () => 1n, isSettled: () => false, nextBatchIndex: () => 4n };
    const listener = new L1Listener({ finality: 'confirmations', chainId: CHAIN_ID, lockingPool: dep.lockingPool, batchInbox: dep.batchInbox, startBlock: dep.startBlock, confirmations: 1, pollIntervalMs: 60_000, dbPath: `${dir.path}/bridge-reorg`, rpcUrl: anvil.url, stateView: view });
    await listener.start();
    const s = sender(v.privHex, `${dir.path}/l1-tx`);
    await s.open();
    try {
      signedBatch(4n, 2n);
      await new L1BatchSubmitter({ sender: s, batchInbox: dep.batchInbox, pool: pool.view }).step();
      await pub.waitForTransactionReceipt({ hash: s.job('batch/4')!.txs[0]!.hash, pollingInterval: 50 });
      await rpc.mine({ blocks: 2 });
      await listener.syncNow();
      const [before] = listener.pending();
      expect(before?.batchAppended?.batchIndex).toBe(4n);
      const orphaned = toHex(before!.batchAppended!.blockHash);
      // Replace the last 3 blocks (the BatchAppended block and 2 on top) with empty ones.
      await pub.request({ method: 'anvil_reorg', params: [3, []] } as never);
      await rpc.mine({ blocks: 1 });
      await listener.syncNow();
      for (const o of listener.pending()) {
        const ev = o.batchAppended!;
        expect(toHex(ev.blockHash)).not.toBe(orphaned);
        const canonical = await pub.getBlock({ blockNumber: ev.blockNumber });
        expect(`0x${toHex(ev.blockHash)}`).toBe(canonical.hash);
      }
      expect(await read<bigint>('nextBatchIndex') === 5n).toBe(listener.pending().length === 1);
    } finally {
      await s.close();
      await listener.stop();
    }
  });

  test('a batch whose data the pool no longer keeps (deep L1 reorg) is encoded again from our L2; without an L2 it says so', async () => {
    const l2 = new FakeL2Chain(100n, 'submitter');
    await rpc.setBalance({ address: v.eth, value: parseEther('10') });
    const s = sender(v.privHex, `${dir.path}/l1-tx-rederive`);
    await s.open();
    try {
      // Continue from what L1 holds (the reorg tests before may have left it anywhere).
      const index = await read<bigint>('nextBatchIndex');
      prev = await read<Hex>('lastBatchHash');
      nextStart = await read<bigint>('nextL2Block');
      const start = nextStart;
      const data = encodeBatchData(await l2.content(start, start + 3n));
      signedBatch(index, 4n, null, keccak256(data));
      await expect(new L1BatchSubmitter({ sender: s, batchInbox: dep.batchInbox, pool: pool.view }).step()).rejects.toThrow(/no longer keeps its data and this node has no L2 RPC/);
      await new L1BatchSubmitter({ sender: s, batchInbox: dep.batchInbox, pool: pool.view, l2 }).step();
      const job = s.job(`batch/${index}`)!;
      await pub.waitForTransactionReceipt({ hash: job.txs[0]!.hash, pollingInterval: 50 });
      expect(await read<bigint>('nextBatchIndex')).toBe(index + 1n);
      const tx = await pub.getTransaction({ hash: job.txs[0]!.hash });
      expect(decodeFunctionData({ abi: inboxAbi, data: tx.input }).args![1]).toBe(`0x${toHex(data)}`);
    } finally {
      await s.close();
    }
  });
});
