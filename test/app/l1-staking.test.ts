// L1 staking events, attested by the validators, change the sequencer records at once and the
// CometBFT validator set at the next epoch boundary (DESIGN.md flow 1, docs/pool.md).
import { keccak_256 } from '@noble/hashes/sha3.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { buildAppState } from '../../app/genesis.js';
import { buildVoteExtension } from '../../app/vote-extensions.js';
import { DEFAULT_PARAMS } from '../../app/params.js';
import { QueryCode } from '../../app/codes.js';
import { observationDigest } from '../../app/observations.js';
import { toHex, utf8 } from '../../common/bytes.js';
import type { L1StakingEvent, Observation } from '../../proto/seqpool.js';
import { initChainRequest, makeValidators, openApp, runBlock, type TestValidator } from './harness.js';

const TOKEN = 10n ** 18n;
const POOL = new Uint8Array(20).fill(0xaa);
const vals = makeValidators(4);
const newcomer = makeValidators(6)[4]!;
const rotated = makeValidators(6)[5]!;

const pub64 = (v: TestValidator) => secp256k1.Point.fromBytes(v.pubKey).toBytes(false).subarray(1);
const eth = (v: TestValidator) => keccak_256(pub64(v)).subarray(12);
let logIndex = 0;
function event(sequencerId: bigint, nonce: bigint, body: Partial<L1StakingEvent>): Observation {
  logIndex++;
  return {
    l1Staking: { chainId: 31337n, contract: POOL, blockHash: keccak_256(utf8(`b${logIndex}`)), blockNumber: BigInt(100 + logIndex), logIndex, txHash: keccak_256(utf8(`t${logIndex}`)), sequencerId, nonce, ...body },
  };
}
const locked = (id: bigint, v: TestValidator, tokens: bigint) => event(id, 1n, { locked: { signer: eth(v), amount: (tokens * TOKEN).toString(), total: (tokens * TOKEN).toString(), signerPubkey: pub64(v) } });

async function chain() {
  const appState = buildAppState(
    vals.map((v, i) => ({ pubKey: v.pubKey, power: 20_000n, sequencerId: BigInt(i + 1), l1Nonce: 1n, locked: (20_000n * TOKEN).toString() })),
    { epochLength: '10', electionLeadBlocks: '2' },
    { chainId: 31337n, lockingPool: toHex(POOL) },
  );
  const genesisVals = vals.map((v) => ({ ...v, power: 20_000n }));
  const app = await openApp();
  await app.initChain(initChainRequest(genesisVals, 2n, appState));
  let height = 0n;
  let lastObs: Observation[] = [];
  let lastHead = 0n;
  let l2 = 1n; // the L2 head the validators report
  const known = new Map([...vals, newcomer, rotated].map((v) => [toHex(v.address), v]));
  const stepWith = async (head: bigint, obs: Observation[]) => {
    height++;
    // Votes of height-1 come from the set in force then, as CometBFT's extended commit would have it.
    const voters = height === 1n ? genesisVals : app.state.validatorSetAt(height - 1n).validators.map((e) => ({ ...known.get(toHex(e.address))!, power: e.power }));
    const exts = voters.map(() => buildVoteExtension(lastObs, DEFAULT_PARAMS, () => false, lastHead));
    const r = await runBlock(app, voters, height, [], height === 1n ? [] : exts);
    expect(r.processed.status).toBe(1); // ACCEPT
    lastObs = obs;
    lastHead = head;
    return r.finalized;
  };
  const step = (...obs: Observation[]) => stepWith(l2, obs);
  /** Validators report an L2 head past the current epoch; the block that applies it is the epoch
   * boundary, whose updates are returned. */
  const boundary = async () => {
    l2 += 10n;
    await step();
    return step();
  };
  await step();
  await step();
  const query = async (path: string) => {
    const q = await app.query({ path, data: new Uint8Array(), height: 0n, prove: false });
    return { code: q.code, value: q.value?.length ? JSON.parse(new TextDecoder().decode(q.value as Uint8Array)) : undefined };
  };
  return { app, step, boundary, query };
}

test('Locked adds a validator with power = whole locked tokens; Relocked changes it; UnlockInit removes it; Unlocked ends it', async () => {
  const { step, boundary, query } = await chain();
  const join = locked(5n, newcomer, 30_000n);
  await step(join); // attested in the extensions of this height...
  const applied = await step(); // ...applied when the next block carries them: the record at once,
  expect(applied.validatorUpdates).toEqual([]); // the validator set at the next epoch boundary
  expect((await query('/sequencer/5')).value).toMatchObject({ status: 'active', power: '30000', l1Nonce: '1', signer: `0x${toHex(eth(newcomer))}` });
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: newcomer.pubKey }, power: 30_000n }]);
  expect((await query('/epoch/current')).value).toMatchObject({ id: '1', startL2: '11', endL2: '20', l2Head: '11' });

  await step(event(5n, 2n, { relocked: { amount: (10_000n * TOKEN).toString(), total: (40_000n * TOKEN).toString() } }));
  expect((await step()).validatorUpdates).toEqual([]);
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: newcomer.pubKey }, power: 40_000n }]);

  await step(event(5n, 3n, { unlockInit: { signer: eth(newcomer), deactivationTime: 1_800_000_000n, amount: (40_000n * TOKEN).toString() } }));
  expect((await step()).validatorUpdates).toEqual([]);
  expect((await query('/sequencer/5')).value).toMatchObject({ status: 'unlocking', power: '0' });
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: newcomer.pubKey }, power: 0n }]);

  await step(event(5n, 4n, { unlocked: { signer: eth(newcomer), amount: (40_000n * TOKEN).toString() } }));
  expect((await step()).validatorUpdates).toEqual([]);
  expect((await boundary()).validatorUpdates).toEqual([]);
  expect((await query('/sequencer/5')).value).toMatchObject({ status: 'exited', locked: '0' });
});

test('SignerChange rotates the validator key: the old key leaves, the new one enters with the same power', async () => {
  const { step, boundary, query } = await chain();
  const sc = event(2n, 2n, { signerChange: { oldSigner: eth(vals[1]!), newSigner: eth(rotated), signerPubkey: pub64(rotated) } });
  await step(sc);
  expect((await step()).validatorUpdates).toEqual([]);
  const fin = await boundary();
  expect(fin.validatorUpdates).toEqual(
    expect.arrayContaining([
      { pubKey: { secp256k1: vals[1]!.pubKey }, power: 0n },
      { pubKey: { secp256k1: rotated.pubKey }, power: 20_000n },
    ]),
  );
  expect(fin.validatorUpdates).toHaveLength(2);
  expect((await query('/sequencer/2')).value).toMatchObject({ pubKey: toHex(rotated.pubKey), power: '20000', l1Nonce: '2' });
  expect((await query(`/validator/${toHex(vals[1]!.address)}`)).code).toBe(QueryCode.NOT_FOUND);
});

test('invalid events are recorded as rejected with a reason and change nothing', async () => {
  const { step, query } = await chain();
  const gap = event(1n, 5n, { relocked: { amount: '1', total: (30_000n * TOKEN).toString() } });
  const wrongContract = { l1Staking: { ...locked(7n, newcomer, 30_000n).l1Staking!, contract: new Uint8Array(20).fill(1) } };
  const badKey = event(8n, 1n, { locked: { signer: eth(vals[0]!), amount: '1', total: (30_000n * TOKEN).toString(), signerPubkey: pub64(newcomer) } });
  const tooSmall = locked(9n, newcomer, 10n);
  const duplicateSigner = locked(10n, vals[0]!, 30_000n);
  const cases: [Observation, RegExp][] = [
    [gap, /nonce 5, expected 2 \(gap\)/],
    [wrongContract, /not the pool's LockingPool/],
    [badKey, /does not belong to signer/],
    [tooSmall, /outside/],
    [duplicateSigner, /already sequencer 1/],
  ];
  await step(...cases.map(([o]) => o));
  const fin = await step();
  expect(fin.validatorUpdates).toEqual([]);
  expect(fin.events!.every((e) => e!.type === 'observation_rejected')).toBe(true);
  for (const [o, reason] of cases) {
    const r = await query(`/observation/${toHex(observationDigest(o))}`);
    expect(r.value.rejected).toMatch(reason);
  }
  expect((await query('/validators')).value).toHaveLength(4);
});

test('a removal that would empty the set is rejected; the others apply', async () => {
  const { step, boundary, query } = await chain();
  const exits = vals.map((v, i) => event(BigInt(i + 1), 2n, { unlockInit: { signer: eth(v), deactivationTime: 1n, amount: '1' } }));
  await step(...exits);
  const fin = await step();
  const rejected = fin.events!.filter((e) => e!.type === 'observation_rejected');
  expect(rejected).toHaveLength(1);
  expect(rejected[0]!.attributes!.find((a) => a!.key === 'rejected')!.value).toMatch(/empty/);
  expect((await boundary()).validatorUpdates!.filter((u) => u!.power === 0n)).toHaveLength(3);
  await step();
  await step();
  expect((await query('/validators')).value).toHaveLength(1);
});

test('Slashed lowers the stake and the power with it, without the lock minimum', async () => {
  const { step, boundary, query } = await chain();
  await step(event(3n, 2n, { slashed: { amount: (15_000n * TOKEN).toString(), total: (5_000n * TOKEN).toString() } }));
  expect((await step()).validatorUpdates).toEqual([]);
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: vals[2]!.pubKey }, power: 5_000n }]);
  expect((await query('/sequencer/3')).value).toMatchObject({ power: '5000', l1Nonce: '2', locked: (5_000n * TOKEN).toString() });
});
