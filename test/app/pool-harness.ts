// A pool chain for the tests of epochs, signing, batches and failover: genesis with L1 (LockingPool,
// BatchInbox) and L2 (SequencerSet) contracts, short epochs and timeouts, and optionally a trusted-dealer group key
// written into state (so no DKG runs and SubmitSignature can be tested with real FROST signatures).
// Each step is one height; the L2 heads and observations set before a step are in the extended
// commit that block carries.
import { dealerKey, thresholdSign } from '../../bench/mpc-dealer.js';
import type { SeqpoolApp } from '../../app/app.js';
import { buildAppState } from '../../app/genesis-state.js';
import { DEFAULT_PARAMS } from '../../app/params.js';
import { laneNonce } from '../../app/txs.js';
import { signTx } from '../../protocol/tx.js';
import { buildVoteExtension } from '../../app/vote-extensions.js';
import { compareBytes, fromHex, toHex } from '../../common/bytes.js';
import type { KeyShare } from '../../mpc/keys/types.js';
import { MpcKeyCodec, type Observation, type TxBody } from '../../proto/seqpool.js';
import { CHAIN_ID, initChainRequest, makeValidators, openApp, runBlock, type TestValidator } from './harness.js';

export const TOKEN = 10n ** 18n;
export const POOL = new Uint8Array(20).fill(0xaa);
export const INBOX = new Uint8Array(20).fill(0xbb);
export const SEQSET = new Uint8Array(20).fill(0xcc);
export const L1_CHAIN = 31337n;
export const L2_CHAIN = 59902n;

export const POOL_PARAMS = {
  epochLength: '10',
  electionLeadBlocks: '3',
  signingTimeoutSeconds: '6',
  respanTimeoutSeconds: '8',
  // The harness moves the attested L2 head only when a test says so: the L2 stall clock is off here
  // and tested on its own (test/app/l2-stall.test.ts).
  l2StallSeconds: '0',
  maxBatchBlocks: '5',
  // Batches close at once here: the batch failover clock is respanTimeoutSeconds alone (the age
  // allowance is tested on its own in batches.test.ts).
  batchMaxAgeSeconds: '0',
  maxMisses: 2,
  slashAmount: (1_000n * TOKEN).toString(),
};

export type Body = Omit<TxBody, 'chainId' | 'signer' | 'nonce'>;

export interface PoolChain {
  app: SeqpoolApp;
  vals: TestValidator[];
  appState: unknown;
  shares?: KeyShare[];
  /** Per-validator L2 head each reports in its next extension. */
  heads: bigint[];
  height: bigint;
  /** One block; `absent`: validators (by index) the decided last commit lists as not having voted. */
  step(opts?: { txs?: Uint8Array[]; obs?: Observation[]; absent?: number[] }): ReturnType<typeof runBlock>;
  /** A signed tx from validator i in `lane` with the next committed nonce of that lane (+ offset for
   * a second tx in the same block). */
  tx(i: number, body: Body, lane?: number, offset?: bigint): Uint8Array;
  query(path: string): Promise<{ code: number; value: any; log?: string }>;
  sign(digest: Uint8Array): Uint8Array;
  setHead(h: bigint): void;
}

export async function poolChain(opts: { n?: number; powers?: bigint[]; withKey?: boolean; shares?: KeyShare[]; params?: Record<string, string | number>; l1?: boolean } = {}): Promise<PoolChain> {
  const n = opts.n ?? 4;
  const vals = makeValidators(n).map((v, i) => ({ ...v, power: opts.powers?.[i] ?? 20_000n }));
  const appState = buildAppState(
    vals.map((v, i) => ({ pubKey: v.pubKey, power: v.power, sequencerId: BigInt(i + 1), l1Nonce: 1n, locked: (v.power * TOKEN).toString() })),
    { ...POOL_PARAMS, ...opts.params },
    opts.l1 === false ? undefined : { chainId: L1_CHAIN, lockingPool: toHex(POOL), batchInbox: toHex(INBOX) },
    opts.l1 === false ? undefined : { chainId: L2_CHAIN, sequencerSet: toHex(SEQSET) },
  );
  const app = await openApp();
  await app.initChain(initChainRequest(vals, 2n, appState));
  let shares: KeyShare[] | undefined;
  if (opts.withKey !== false) {
    // The committee's key as the genesis DKG would leave it: members 1..n in address order.
    const members = [...vals].sort((a, b) => compareBytes(a.address, b.address));
    const t = Math.floor((2 * n) / 3) + 1;
    shares = opts.shares ?? dealerKey('seqpool', 0, members.map((m, i) => ({ index: i + 1, identity: m.pubKey })), t);
    const pub = shares[0]!.public;
    app.state.store.set(
      'mpc/key',
      MpcKeyCodec.encode({
        keyId: 'seqpool',
        groupKey: pub.groupKey,
        threshold: t,
        keyEpoch: 0,
        members: members.map((m, i) => ({ index: i + 1, address: m.address, identity: m.pubKey })),
        commitments: pub.commitments,
        verifyingShares: members.map((_, i) => pub.verifyingShares[i + 1]!),
        session: new Uint8Array(32),
        height: 0n,
      }),
    );
  }
  const chain: PoolChain = {
    app,
    vals,
    appState,
    shares,
    heads: vals.map(() => 0n),
    height: 0n,
    async step(o = {}) {
      const h = ++chain.height;
      const exts = h <= 2n ? [] : vals.map((_, i) => buildVoteExtension(o.obs ?? [], DEFAULT_PARAMS, () => false, chain.heads[i]));
      return runBlock(app, vals, h, o.txs ?? [], exts, o.absent);
    },
    tx(i, body, lane = 0, offset = 0n) {
      const s = app.state.sequencer(vals[i]!.address, 'committed')!;
      const nonce = laneNonce(s, lane) + 1n + offset;
      return signTx(vals[i]!.privKey, { chainId: CHAIN_ID, signer: vals[i]!.pubKey, nonce, lane, ...body });
    },
    async query(path) {
      const q = await app.query({ path, data: new Uint8Array(), height: 0n, prove: false });
      return { code: q.code ?? 0, value: q.value?.length ? JSON.parse(new TextDecoder().decode(q.value as Uint8Array)) : undefined, log: q.log };
    },
    sign(digest) {
      return thresholdSign(shares!, digest)!;
    },
    setHead(h) {
      chain.heads = vals.map(() => h);
    },
  };
  return chain;
}

/** Index in `vals` of the validator with this upper-case hex address. */
export const indexOf = (vals: TestValidator[], addressHex: string): number => vals.findIndex((v) => toHex(v.address).toUpperCase() === addressHex);

export const hexBytes = (h: string): Uint8Array => fromHex(h.startsWith('0x') ? h.slice(2) : h);
