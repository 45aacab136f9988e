// A chain that follows an L1 LockingPool, driven block by block the way CometBFT drives the app: the
// observations given to step() are in every validator's vote extension at that height and applied by
// the next block. Votes of height h-1 come from the set in force at h-1, so a key the pool seats
// must be among `known` to vote. Used by the L1 staking tests (synthetic events) and by the anvil
// test that feeds the real listener's observations.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { SeqpoolApp } from '../../app/app.js';
import { buildAppState } from '../../app/genesis-state.js';
import { DEFAULT_PARAMS } from '../../app/params.js';
import { buildVoteExtension } from '../../app/vote-extensions.js';
import { toHex, utf8 } from '../../common/bytes.js';
import type { L1StakingEvent, Observation } from '../../proto/seqpool.js';
import { initChainRequest, openApp, runBlock, type TestValidator } from './harness.js';

export const TOKEN = 10n ** 18n;
export const L1_CHAIN = 31337n;
export const POOL = new Uint8Array(20).fill(0xaa);

/** The 64-byte L1 signer pubkey and the L1 address of a validator key. */
export const pub64 = (v: { pubKey: Uint8Array }): Uint8Array => secp256k1.Point.fromBytes(v.pubKey).toBytes(false).subarray(1);
export const eth = (v: { pubKey: Uint8Array }): Uint8Array => keccak_256(pub64(v)).subarray(12);

let logIndex = 0;
/** A synthetic LockingPool event of POOL on L1_CHAIN (unique block and tx hashes). */
export function event(sequencerId: bigint, nonce: bigint, body: Partial<L1StakingEvent>): Observation {
  logIndex++;
  return {
    l1Staking: { chainId: L1_CHAIN, contract: POOL, blockHash: keccak_256(utf8(`b${logIndex}`)), blockNumber: BigInt(100 + logIndex), logIndex, txHash: keccak_256(utf8(`t${logIndex}`)), sequencerId, nonce, ...body },
  };
}
const amount = (tokens: bigint) => (tokens * TOKEN).toString();
export const locked = (id: bigint, v: { pubKey: Uint8Array }, tokens: bigint): Observation =>
  event(id, 1n, { locked: { signer: eth(v), amount: amount(tokens), total: amount(tokens), signerPubkey: pub64(v) } });
export const relocked = (id: bigint, nonce: bigint, add: bigint, total: bigint) => event(id, nonce, { relocked: { amount: amount(add), total: amount(total) } });
export const slashed = (id: bigint, nonce: bigint, take: bigint, total: bigint) => event(id, nonce, { slashed: { amount: amount(take), total: amount(total) } });
export const unlockInit = (id: bigint, nonce: bigint, v: { pubKey: Uint8Array } | Uint8Array) =>
  event(id, nonce, { unlockInit: { signer: v instanceof Uint8Array ? v : eth(v), deactivationTime: 1_800_000_000n, amount: '0' } });
export const unlocked = (id: bigint, nonce: bigint, v: { pubKey: Uint8Array } | Uint8Array) => event(id, nonce, { unlocked: { signer: v instanceof Uint8Array ? v : eth(v), amount: '0' } });
export const signerChange = (id: bigint, nonce: bigint, oldSigner: Uint8Array, next: { pubKey: Uint8Array }) =>
  event(id, nonce, { signerChange: { oldSigner, newSigner: eth(next), signerPubkey: pub64(next) } });
/** A SignerChange to 64 bytes that are no secp256k1 point, as a LockingPool without the curve check emitted. */
export function badSignerChange(id: bigint, nonce: bigint, oldSigner: Uint8Array): Observation {
  const pubkey = new Uint8Array(64).fill(0x11);
  return event(id, nonce, { signerChange: { oldSigner, newSigner: keccak_256(pubkey).subarray(12), signerPubkey: pubkey } });
}

export interface GenesisSequencer {
  val: TestValidator;
  power: bigint;
  /** LockingPool id (absent: a genesis sequencer L1 does not know). */
  id?: bigint;
  locked?: bigint; // whole tokens; defaults to power
}

export interface L1Chain {
  app: SeqpoolApp;
  /** One block; `obs` are attested at this height and applied by the next block. */
  step(...obs: Observation[]): Promise<Awaited<ReturnType<typeof runBlock>>['finalized']>;
  /** Validators report an L2 head past the current epoch; the block that applies it is the epoch
   * boundary, whose finalize result (with the validator updates) is returned. */
  boundary(): Promise<Awaited<ReturnType<typeof runBlock>>['finalized']>;
  query(path: string): Promise<{ code: number; value: any }>;
}

export async function l1Chain(opts: { genesis: GenesisSequencer[]; known?: TestValidator[]; params?: Record<string, string>; lockingPool?: Uint8Array; chainId?: bigint }): Promise<L1Chain> {
  const appState = buildAppState(
    opts.genesis.map((g) => ({ pubKey: g.val.pubKey, power: g.power, ...(g.id ? { sequencerId: g.id, l1Nonce: 1n, locked: amount(g.locked ?? g.power) } : {}) })),
    { epochLength: '10', electionLeadBlocks: '2', ...opts.params },
    { chainId: opts.chainId ?? L1_CHAIN, lockingPool: toHex(opts.lockingPool ?? POOL) },
  );
  const genesisVals = opts.genesis.map((g) => ({ ...g.val, power: g.power }));
  const app = await openApp();
  await app.initChain(initChainRequest(genesisVals, 2n, appState));
  let height = 0n;
  let lastObs: Observation[] = [];
  let lastHead = 0n;
  let l2 = 1n; // the L2 head the validators report
  const known = new Map([...opts.genesis.map((g) => g.val), ...(opts.known ?? [])].map((v) => [toHex(v.address), v]));
  const step = async (...obs: Observation[]) => {
    height++;
    const voters =
      height === 1n
        ? genesisVals
        : app.state.validatorSetAt(height - 1n).validators.map((e) => {
            const v = known.get(toHex(e.address));
            if (!v) throw new Error(`validator ${toHex(e.address)} votes at ${height - 1n} but the test has no key for it`);
            return { ...v, power: e.power };
          });
    const exts = voters.map(() => buildVoteExtension(lastObs, DEFAULT_PARAMS, () => false, lastHead));
    const r = await runBlock(app, voters, height, [], height === 1n ? [] : exts);
    if (r.processed.status !== 1) throw new Error(`proposal at height ${height} rejected`);
    lastObs = obs;
    lastHead = l2;
    return r.finalized;
  };
  await step();
  await step();
  return {
    app,
    step,
    async boundary() {
      l2 += BigInt(opts.params?.epochLength ?? '10');
      await step();
      return step();
    },
    async query(path) {
      const q = await app.query({ path, data: new Uint8Array(), height: 0n, prove: false });
      return { code: q.code ?? 0, value: q.value?.length ? JSON.parse(new TextDecoder().decode(q.value as Uint8Array)) : undefined };
    },
  };
}
