// The relayer against real anvils: commitEpoch / recommitEpoch to the L2 SequencerSet (the producer at
// once, others after the fallback delay, landed ones skipped) and distributeRewards to the L1
// LockingPool in authNonce order (an expired request superseded by its re-issue).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createPublicClient, createTestClient, http, parseEther, type Hex, type PublicClient } from 'viem';
import { foundry } from 'viem/chains';
import { artifact } from '../../contracts/artifacts.js';
import { deployL1, deployL2, initializeGroupKey, type L1Deployment, type L2Deployment } from '../../contracts/deploy.js';
import { ANVIL_DEV_KEY, type Anvil } from '../../contracts/devnet.js';
import { startTestAnvil } from '../anvil.js';
import { l1DealerKey } from '../../bench/mpc-dealer.js';
import { encodeL1GroupKey, type KeyShare } from '../../mpc/index.js';
import { fromHex, toHex } from '../../common/bytes.js';
import { encodeCommitEpoch, encodeDistributeRewards, encodeRecommitEpoch } from '../../protocol/signed-payloads.js';
import { EvmTxSender, Relayer } from '../../bridge/index.js';
import { FakePool, signedRequest, tempDir, testValidator, type TestValidator } from './pool-fake.js';

const L1_ID = 31337;
const L2_ID = 31338;
let l1: Anvil;
let l2: Anvil;
let dep1: L1Deployment;
let dep2: L2Deployment;
let shares: KeyShare[];
let pub1: PublicClient;
let pub2: PublicClient;
let v: TestValidator;
const dir = tempDir();
const setAbi = artifact('SequencerSet').abi;
const poolAbi = artifact('LockingPool').abi;
const hex = (b: Uint8Array): Hex => `0x${toHex(b)}`;
const commitPayload = (id: bigint, start: bigint, end: bigint, signer: Hex) => hex(encodeCommitEpoch(id, start, end, fromHex(signer)));
const recommitPayload = (old: bigint, id: bigint, start: bigint, end: bigint, signer: Hex) => hex(encodeRecommitEpoch(old, id, start, end, fromHex(signer)));
const rewardsPayload = (ids: bigint[], amounts: bigint[], nonce: bigint) => hex(encodeDistributeRewards(ids, amounts, nonce));

beforeAll(async () => {
  [l1, l2] = await Promise.all([startTestAnvil({ chainId: L1_ID }), startTestAnvil({ chainId: L2_ID })]);
  pub1 = createPublicClient({ transport: http(l1.url) }) as PublicClient;
  pub2 = createPublicClient({ transport: http(l2.url) }) as PublicClient;
  shares = l1DealerKey(3, 2, 'relayer-test');
  const groupKey: Hex = `0x${toHex(encodeL1GroupKey(shares[0]!.public.groupKey))}`;
  v = testValidator();
  dep1 = await deployL1({ rpcUrl: l1.url, deployerKey: ANVIL_DEV_KEY });
  dep2 = await deployL2({ rpcUrl: l2.url, deployerKey: ANVIL_DEV_KEY, initialSigner: v.eth, firstStartBlock: 1n, firstEndBlock: 100n });
  await initializeGroupKey({ l1: dep1, l2: dep2 }, ANVIL_DEV_KEY, groupKey);
  for (const url of [l1.url, l2.url]) await createTestClient({ mode: 'anvil', chain: foundry, transport: http(url) }).setBalance({ address: v.eth, value: parseEther('10') });
}, 60_000);

afterAll(async () => {
  await Promise.all([l1?.stop(), l2?.stop()]);
  dir.cleanup();
});

const epochJson = (id: bigint, start: bigint, end: bigint, signer: TestValidator, signRequest: bigint, extra: Record<string, unknown> = {}) => ({
  id: id.toString(), startL2: start.toString(), endL2: end.toString(), producer: signer.address, signer: signer.eth, seed: '00', electedHeight: '3',
  signRequest: signRequest.toString(), status: 'committed', isRespan: false, respanOf: '0', ...extra,
});

async function withRelayer(pool: FakePool, f: (r: Relayer, s2: EvmTxSender, s1: EvmTxSender) => Promise<void>, fallbackAfterMs = 10_000): Promise<void> {
  const s2 = new EvmTxSender({ label: 'L2', rpcUrl: l2.url, chainId: L2_ID, privateKey: v.privHex, dbPath: `${dir.path}/l2-tx` });
  const s1 = new EvmTxSender({ label: 'L1', rpcUrl: l1.url, chainId: L1_ID, privateKey: v.privHex, dbPath: `${dir.path}/l1-tx` });
  await s2.open();
  await s1.open();
  try {
    const r = new Relayer({ pool: pool.view, address: v.eth, l2: { sender: s2, sequencerSet: dep2.sequencerSet }, l1: { sender: s1, lockingPool: dep1.lockingPool }, fallbackAfterMs });
    await f(r, s2, s1);
  } finally {
    await s2.close();
    await s1.close();
  }
}

const onL2 = <T>(functionName: string, args: unknown[] = []) => pub2.readContract({ address: dep2.sequencerSet, abi: setAbi, functionName, args }) as Promise<T>;
const mined = async (s: EvmTxSender, job: string) => pub2.waitForTransactionReceipt({ hash: s.job(job)!.txs.at(-1)!.hash, pollingInterval: 50 });

describe('relayer (real anvils)', () => {
  const pool = new FakePool();
  const other = testValidator();

  test('the producer submits its signed commitEpoch; a landed epoch is not sent again', async () => {
    pool.set('/epoch/1', epochJson(1n, 101n, 200n, v, 5n));
    pool.set('/sign/5', signedRequest(shares, { id: 5n, purpose: 'commitEpoch', chainId: L2_ID, verifier: dep2.sequencerSet, payload: commitPayload(1n, 101n, 200n, v.eth), epochId: 1n }));
    await withRelayer(pool, async (r, s2) => {
      await r.step();
      expect(s2.job('epoch/5')?.status).toBe('pending');
      expect((await mined(s2, 'epoch/5')).status).toBe('success');
      await r.step();
      expect(s2.job('epoch/5')?.status).toBe('mined');
      expect(await onL2<bigint>('currentEpochId')).toBe(1n);
      expect(await onL2<{ signer: Hex; startBlock: bigint }>('epochs', [1n])).toMatchObject({ signer: expect.stringMatching(new RegExp(v.eth.slice(2), 'i')), startBlock: 101n, endBlock: 200n });
      const count = await pub2.getTransactionCount({ address: v.eth });
      await r.step();
      expect(await pub2.getTransactionCount({ address: v.eth })).toBe(count);
    });
    // A restarted relayer (new process, same database) also leaves it alone: the chain says it landed.
    await withRelayer(pool, async (r) => {
      const count = await pub2.getTransactionCount({ address: v.eth });
      await r.step();
      expect(await pub2.getTransactionCount({ address: v.eth })).toBe(count);
    });
  });

  test("another producer's epoch is relayed by this node only after the fallback delay", async () => {
    pool.set('/epoch/2', epochJson(2n, 201n, 300n, other, 6n));
    pool.set('/sign/6', signedRequest(shares, { id: 6n, purpose: 'commitEpoch', chainId: L2_ID, verifier: dep2.sequencerSet, payload: commitPayload(2n, 201n, 300n, other.eth), epochId: 2n }));
    await withRelayer(
      pool,
      async (r, s2) => {
        await r.step();
        expect(s2.job('epoch/6')).toBeUndefined();
        await new Promise((res) => setTimeout(res, 450));
        await r.step();
        await mined(s2, 'epoch/6');
        expect(await onL2<bigint>('currentEpochId')).toBe(2n);
        expect((await onL2<{ signer: Hex }>('epochs', [2n])).signer.toLowerCase()).toBe(other.eth);
      },
      400,
    );
  });

  test('a re-span replacing the not-started next epoch goes out as recommitEpoch, once', async () => {
    // Epoch 1's producer stalled: the app re-spans [150, 300] to this validator, replacing epoch 2.
    pool.set('/epoch/2', epochJson(2n, 150n, 300n, v, 7n, { isRespan: true, respanOf: '1' }));
    pool.set('/sign/7', signedRequest(shares, { id: 7n, purpose: 'recommitEpoch', chainId: L2_ID, verifier: dep2.sequencerSet, payload: recommitPayload(1n, 2n, 150n, 300n, v.eth), epochId: 2n }));
    await withRelayer(pool, async (r, s2) => {
      await r.step();
      await mined(s2, 'epoch/7');
      await r.step();
      expect(await onL2<bigint>('currentEpochId')).toBe(2n);
      expect(await onL2<{ signer: Hex; startBlock: bigint; endBlock: bigint }>('epochs', [2n])).toMatchObject({ startBlock: 150n, endBlock: 300n });
      expect((await onL2<{ signer: Hex }>('epochs', [2n])).signer.toLowerCase()).toBe(v.eth);
      expect((await onL2<{ endBlock: bigint }>('epochs', [1n])).endBlock).toBe(149n);
      const count = await pub2.getTransactionCount({ address: v.eth });
      await r.step();
      expect(await pub2.getTransactionCount({ address: v.eth })).toBe(count);
    });
  });

  test('a re-span over a commitEpoch that never landed (its producer built nothing): both go out together, the commit first, and land in one block', async () => {
    // Epoch 3 (another producer) was signed but no L2 block mined its commitEpoch; the pool re-spans it
    // to this validator from its first block. The recommit cannot be simulated before the commit lands.
    pool.set('/epoch/3', epochJson(3n, 301n, 400n, other, 8n));
    pool.set('/sign/8', signedRequest(shares, { id: 8n, purpose: 'commitEpoch', chainId: L2_ID, verifier: dep2.sequencerSet, payload: commitPayload(3n, 301n, 400n, other.eth), epochId: 3n }));
    pool.set('/epoch/4', epochJson(4n, 301n, 400n, v, 9n, { isRespan: true, respanOf: '3' }));
    pool.set('/sign/9', signedRequest(shares, { id: 9n, purpose: 'recommitEpoch', chainId: L2_ID, verifier: dep2.sequencerSet, payload: recommitPayload(3n, 4n, 301n, 400n, v.eth), epochId: 4n }));
    const test2 = createTestClient({ mode: 'anvil', chain: foundry, transport: http(l2.url) });
    await test2.setAutomine(false);
    try {
      await withRelayer(pool, async (r, s2) => {
        await r.step();
        const [commit, recommit] = [s2.job('epoch/8'), s2.job('epoch/9')];
        expect(commit?.status).toBe('pending');
        expect(recommit?.status).toBe('pending');
        expect(recommit!.nonce).toBe(commit!.nonce + 1);
        await test2.mine({ blocks: 1 });
        const [a, b] = await Promise.all([mined(s2, 'epoch/8'), mined(s2, 'epoch/9')]);
        expect([a.status, b.status, a.blockNumber === b.blockNumber]).toEqual(['success', 'success', true]);
        expect(await onL2<bigint>('currentEpochId')).toBe(4n);
        expect((await onL2<{ signer: Hex }>('epochs', [4n])).signer.toLowerCase()).toBe(v.eth);
        await r.step();
        await test2.mine({ blocks: 1 });
        await r.step();
        expect(s2.pendingJobs()).toEqual([]);
      });
    } finally {
      await test2.setAutomine(true);
    }
  });

  test('distributeRewards go to L1 in authNonce order; an expired request gives way to its re-issue', async () => {
    pool.set('/epoch/current', { ...epochJson(1n, 101n, 149n, v, 5n), l2Head: '120', l2HeadTime: '1700000000' });
    const rewards = (id: bigint, nonce: bigint, status = 'signed') => ({
      ...signedRequest(shares, { id, purpose: 'distributeRewards', chainId: L1_ID, verifier: dep1.lockingPool, payload: rewardsPayload([], [], nonce) }),
      ...(status === 'signed' ? {} : { status, signature: null }),
    });
    pool.set('/sign/1', signedRequest(shares, { id: 1n, purpose: 'commitEpoch', chainId: L2_ID, verifier: dep2.sequencerSet, payload: commitPayload(1n, 101n, 200n, v.eth) }));
    // Sign request ids are sequential in the app: 2-4 are other purposes (appendBatch) the relayer skips.
    for (const id of [2n, 3n, 4n]) pool.set(`/sign/${id}`, signedRequest(shares, { id, purpose: 'appendBatch', chainId: L1_ID, verifier: dep1.batchInbox, payload: '0x01' }));
    pool.set('/sign/8', rewards(8n, 1n));
    pool.set('/sign/9', rewards(9n, 0n)); // ids need not follow nonces in this fake; the relayer goes by authNonce
    pool.set('/sign/10', rewards(10n, 2n, 'expired'));
    pool.set('/sign/11', rewards(11n, 2n));
    pool.set('/sign/12', rewards(12n, 3n, 'pending'));
    const authNonce = () => pub1.readContract({ address: dep1.lockingPool, abi: poolAbi, functionName: 'authNonce' }) as Promise<bigint>;
    await withRelayer(pool, async (r, _s2, s1) => {
      for (const [job, after] of [['auth/9', 1n], ['auth/8', 2n], ['auth/11', 3n]] as const) {
        await r.step();
        expect(s1.job(job)?.status).toBe('pending');
        await pub1.waitForTransactionReceipt({ hash: s1.job(job)!.txs[0]!.hash, pollingInterval: 50 });
        expect(await authNonce()).toBe(after);
      }
      expect(s1.job('auth/10')).toBeUndefined();
      await r.step(); // nonce 3 is still pending signature: nothing to send
      expect(s1.pendingJobs()).toHaveLength(0);
      expect(s1.job('auth/12')).toBeUndefined();
      // Signed now: it goes out.
      pool.set('/sign/12', rewards(12n, 3n));
      await r.step();
      await pub1.waitForTransactionReceipt({ hash: s1.job('auth/12')!.txs[0]!.hash, pollingInterval: 50 });
      expect(await authNonce()).toBe(4n);
    });
  });
});
