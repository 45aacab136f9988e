// Two app instances fed the same blocks must reach identical app hashes at every height, and an app
// reopened from its persisted state must continue on the same hashes (decision 10).
import { opaqueBatchData } from '../batch-fixture.js';
import { buildVoteExtension } from '../../app/vote-extensions.js';
import { DEFAULT_PARAMS } from '../../app/params.js';
import { MemoryPersistence } from '../../app/persistence.js';
import { signTx } from '../../protocol/tx.js';
import { toHex, utf8 } from '../../common/bytes.js';
import { CHAIN_ID, initChainRequest, makeValidators, openApp, runBlock } from './harness.js';
import { bindPeerMsg } from './peer-helper.js';

const vals = makeValidators(4);

// A seeded PRNG local to the test, so the block sequence is reproducible.
function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

function makeBlocks(count: number, seed: number) {
  const rand = prng(seed);
  const nonces = vals.map(() => 0n);
  const blocks: { txs: Uint8Array[]; exts: (Uint8Array | undefined)[] }[] = [];
  for (let h = 1; h <= count; h++) {
    const txs: Uint8Array[] = [];
    for (let i = 0; i < vals.length; i++) {
      if (rand() < 0.5) {
        const n = ++nonces[i]!;
        txs.push(signTx(vals[i]!.privKey, { chainId: CHAIN_ID, signer: vals[i]!.pubKey, nonce: n, bindPeer: bindPeerMsg(vals[i]!.address, `${i}n${n}`, [`/ip4/10.0.0.${i}/tcp/${h}`]) }));
      }
      if (rand() < 0.1) txs.push(utf8(`junk-${h}-${i}`)); // failing txs must not perturb state either
    }
    const topic = `t${Math.floor(rand() * 5)}`;
    const exts = vals.map((_, i) => (rand() < 0.15 && i === 3 ? undefined : buildVoteExtension(rand() < 0.7 ? [{ synthetic: { topic, payload: utf8(String(h)) } }] : [], DEFAULT_PARAMS, () => false)));
    blocks.push({ txs, exts });
  }
  return blocks;
}

test('two apps replaying the same 40 blocks agree on every app hash, and a reopened app continues identically', async () => {
  const blocks = makeBlocks(40, 7);
  const pa = new MemoryPersistence();
  const a = await openApp({ persistence: pa });
  const b = await openApp();
  await a.initChain(initChainRequest(vals));
  await b.initChain(initChainRequest(vals));
  let reopened = a;
  const hashes = new Set<string>();
  let applied = 0;
  for (const [i, blk] of blocks.entries()) {
    const h = BigInt(i + 1);
    const prev = i === 0 ? [] : blocks[i - 1]!.exts;
    const ra = await runBlock(reopened, vals, h, blk.txs, prev);
    const rb = await runBlock(b, vals, h, blk.txs, prev);
    expect(toHex(ra.finalized.appHash as Uint8Array)).toBe(toHex(rb.finalized.appHash as Uint8Array));
    expect(ra.finalized.txResults!.map((r) => r!.code)).toEqual(rb.finalized.txResults!.map((r) => r!.code));
    hashes.add(toHex(ra.finalized.appHash as Uint8Array));
    applied += ra.finalized.events!.length;
    if (i === 19) reopened = await openApp({ persistence: pa }); // "restart" mid-run from disk
  }
  expect(hashes.size).toBeGreaterThan(30); // state really changed along the way
  expect(applied).toBeGreaterThan(0); // and some observations were attested
  expect(reopened.height).toBe(40n);
});

test('a different block sequence gives a different app hash', async () => {
  const run = async (seed: number) => {
    const app = await openApp();
    await app.initChain(initChainRequest(vals));
    const blocks = makeBlocks(5, seed);
    for (const [i, blk] of blocks.entries()) await runBlock(app, vals, BigInt(i + 1), blk.txs, i === 0 ? [] : blocks[i - 1]!.exts);
    return toHex(app.appHash);
  };
  expect(await run(1)).not.toBe(await run(2));
});

test('two apps replaying blocks with the pool txs (batches, signatures, L2 heads, BatchAppended, elections, a re-span) agree on every app hash', async () => {
  const { poolChain, hexBytes, INBOX, L1_CHAIN } = await import('./pool-harness.js');
  const { keccak_256 } = await import('@noble/hashes/sha3.js');
  const a = await poolChain({ params: { respanTimeoutSeconds: '12' } });
  const b = await poolChain({ params: { respanTimeoutSeconds: '12' }, shares: a.shares });
  const hashes = new Set<string>();
  const seen = new Set<string>();
  const sigs = new Map<string, Uint8Array>();
  for (let h = 1n; h <= 60n; h++) {
    const txs: Uint8Array[] = [];
    const obs = [];
    const head = h < 20n ? h : h < 35n ? 20n : h; // L2 stalls for a while: a re-span happens
    a.heads = [head, head, head, 10n ** 12n]; // one byzantine report
    b.heads = a.heads;
    const meta = (await a.query('/batch/meta')).value;
    const cur = (await a.query('/epoch/current')).value;
    const nls = BigInt(meta?.nextL2Start ?? 1);
    const l2Head = BigInt(cur?.l2Head ?? 0);
    const producer = (await a.query(`/producer/${nls}`)).value;
    if (h > 2n && producer && l2Head >= nls && h % 3n !== 0n) {
      const end = [nls + 2n, l2Head].reduce((x, y) => (x < y ? x : y));
      const i = a.vals.findIndex((v) => toHex(v.address).toUpperCase() === producer.producer);
      txs.push(a.tx(i, { requestBatch: { batchIndex: BigInt(meta.nextIndex), prevBatchHash: hexBytes(meta.lastHash), l2Start: nls, l2End: end, ...opaqueBatchData(`d${nls}`) } }));
    }
    const pending = (await a.query('/sign/pending')).value?.requests ?? [];
    if (pending.length > 0 && h % 2n === 0n) {
      const r = pending[0];
      if (!sigs.has(r.id)) sigs.set(r.id, a.sign(hexBytes(r.digest)));
      txs.push(a.tx(Number(h % 4n), { submitSignature: { requestId: BigInt(r.id), signature: sigs.get(r.id)! } }, 1));
    }
    const fin = (await a.query(`/batch/${meta?.finalized ?? 0}`)).value;
    if (fin?.status === 'signed') {
      obs.push({ batchAppended: { chainId: L1_CHAIN, contract: INBOX, blockHash: keccak_256(utf8(`b${fin.index}`)), blockNumber: 100n + BigInt(fin.index), logIndex: 0, txHash: keccak_256(utf8(`t${fin.index}`)), batchIndex: BigInt(fin.index), batchHash: hexBytes(fin.hash), l2Start: BigInt(fin.l2Start), l2End: BigInt(fin.l2End), dataHash: hexBytes(fin.dataHash), producer: hexBytes(fin.producer) } });
    }
    if (h % 7n === 0n) txs.push(utf8(`junk-${h}`));
    const ra = await a.step({ txs, obs });
    const rb = await b.step({ txs, obs });
    expect(toHex(ra.finalized.appHash as Uint8Array)).toBe(toHex(rb.finalized.appHash as Uint8Array));
    expect(ra.finalized.txResults!.map((r) => r!.code)).toEqual(rb.finalized.txResults!.map((r) => r!.code));
    expect(ra.finalized.validatorUpdates).toEqual(rb.finalized.validatorUpdates);
    hashes.add(toHex(ra.finalized.appHash as Uint8Array));
    for (const e of ra.finalized.events!) seen.add(e!.type!);
  }
  expect(hashes.size).toBeGreaterThan(45); // state changed in most blocks
  // The run exercised what it claims to.
  for (const t of ['batch_requested', 'sign_completed', 'batch_finalized', 'epoch_elected', 'epoch_current', 'respan']) expect(seen).toContain(t);
});
