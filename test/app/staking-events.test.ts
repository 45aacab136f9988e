// L1 staking events, attested by the validators, change the sequencer records at once and the
// CometBFT validator set at the next epoch boundary (DESIGN.md flow 1, docs/pool.md). What the app
// cannot take as L1 sent it is in l1-outcomes.test.ts; nonces and peers in l1-keys.test.ts.
import { QueryCode } from '../../protocol/codes.js';
import { GenesisError, parseGenesis } from '../../app/genesis-state.js';
import { observationDigest } from '../../protocol/observations.js';
import { toHex, utf8 } from '../../common/bytes.js';
import type { Observation } from '../../proto/seqpool.js';
import { makeValidators } from './harness.js';
import { TOKEN, eth, event, l1Chain, locked, relocked, signerChange, slashed, unlockInit, unlocked } from './l1-harness.js';

const vals = makeValidators(4);
const newcomer = makeValidators(6)[4]!;
const rotated = makeValidators(6)[5]!;
const chain = () => l1Chain({ genesis: vals.map((val, i) => ({ val, power: 20_000n, id: BigInt(i + 1) })), known: [newcomer, rotated] });

test('Locked adds a validator with power = whole locked tokens; Relocked changes it; UnlockInit removes it; Unlocked ends it', async () => {
  const { step, boundary, query } = await chain();
  await step(locked(5n, newcomer, 30_000n)); // attested in the extensions of this height...
  const applied = await step(); // ...applied when the next block carries them: the record at once,
  expect(applied.validatorUpdates).toEqual([]); // the validator set at the next epoch boundary
  expect((await query('/sequencer/5')).value).toMatchObject({ status: 'active', power: '30000', l1Nonce: '1', signer: `0x${toHex(eth(newcomer))}` });
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: newcomer.pubKey }, power: 30_000n }]);
  expect((await query('/epoch/current')).value).toMatchObject({ id: '1', startL2: '11', endL2: '20', l2Head: '11' });

  await step(relocked(5n, 2n, 10_000n, 40_000n));
  expect((await step()).validatorUpdates).toEqual([]);
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: newcomer.pubKey }, power: 40_000n }]);

  await step(unlockInit(5n, 3n, newcomer));
  expect((await step()).validatorUpdates).toEqual([]);
  expect((await query('/sequencer/5')).value).toMatchObject({ status: 'unlocking', power: '0' });
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: newcomer.pubKey }, power: 0n }]);

  await step(unlocked(5n, 4n, newcomer));
  expect((await step()).validatorUpdates).toEqual([]);
  expect((await boundary()).validatorUpdates).toEqual([]);
  expect((await query('/sequencer/5')).value).toMatchObject({ status: 'exited', locked: '0' });
});

test('SignerChange rotates the validator key: the old key leaves, the new one enters with the same power; the old key record stays, retired', async () => {
  const { step, boundary, query } = await chain();
  await step(signerChange(2n, 2n, eth(vals[1]!), rotated));
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
  // The old key's record keeps its tx nonces (decision 31), holds no stake and no longer the id.
  expect((await query(`/validator/${toHex(vals[1]!.address)}`)).value).toMatchObject({ status: 'exited', power: '0', locked: '0', sequencerId: '2' });
  await step();
  await step(); // updates of height H are in force from H + 2
  expect((await query('/validators')).value.map((v: { address: string }) => v.address)).not.toContain(toHex(vals[1]!.address).toUpperCase());
});

test('only events that are not our LockingPool\'s or not next in line are rejected; they change nothing', async () => {
  const { step, query } = await chain();
  const gap = relocked(1n, 5n, 1n, 30_000n);
  const replay = relocked(1n, 1n, 1n, 30_000n);
  const wrongContract = { l1Staking: { ...locked(7n, newcomer, 30_000n).l1Staking!, contract: new Uint8Array(20).fill(1) } };
  const wrongChain = { l1Staking: { ...locked(8n, newcomer, 30_000n).l1Staking!, chainId: 5n } };
  const notLocked = relocked(9n, 1n, 1n, 30_000n);
  const cases: [Observation, RegExp][] = [
    [gap, /nonce 5, expected 2 \(gap\)/],
    [replay, /nonce 1, expected 2 \(already applied\)/],
    [wrongContract, /not the pool's LockingPool/],
    [wrongChain, /not the pool's LockingPool/],
    [notLocked, /unknown sequencer 9: its first event must be Locked/],
  ];
  await step(...cases.map(([o]) => o));
  const fin = await step();
  expect(fin.validatorUpdates).toEqual([]);
  expect(fin.events!.map((e) => e!.type ?? '').filter((t) => t.startsWith('observation_'))).toEqual(cases.map(() => 'observation_rejected'));
  for (const [o, reason] of cases) expect((await query(`/observation/${toHex(observationDigest(o))}`)).value.rejected).toMatch(reason);
  expect((await query('/sequencer/1')).value).toMatchObject({ l1Nonce: '1', locked: (20_000n * TOKEN).toString() });
  for (const id of [7, 8, 9]) expect((await query(`/sequencer/${id}`)).code).toBe(QueryCode.NOT_FOUND);
});

test('every unlock applies, even the last sequencer\'s: the committee empties and the CometBFT set stays as it was', async () => {
  const { step, boundary, query } = await chain();
  await step(...vals.map((v, i) => unlockInit(BigInt(i + 1), 2n, v)));
  const fin = await step();
  expect(fin.events!.filter((e) => e!.type === 'observation_rejected')).toHaveLength(0);
  for (let id = 1; id <= 4; id++) expect((await query(`/sequencer/${id}`)).value).toMatchObject({ status: 'unlocking', power: '0', l1Nonce: '2' });
  // CometBFT cannot run without validators: with no committee the set is kept (app/block-lifecycle.ts endBlock).
  expect((await boundary()).validatorUpdates).toEqual([]);
  expect((await query('/validators')).value).toHaveLength(4);
  // The cursor moved: the claims apply too.
  await step(...vals.map((v, i) => unlocked(BigInt(i + 1), 3n, v)));
  await step();
  for (let id = 1; id <= 4; id++) expect((await query(`/sequencer/${id}`)).value).toMatchObject({ status: 'exited', l1Nonce: '3' });
});

test('Slashed lowers the stake; below the lock minimum the sequencer is inactive until a relock brings it back', async () => {
  const { step, boundary, query } = await chain();
  await step(slashed(3n, 2n, 1_000n, 19_000n));
  expect((await step()).validatorUpdates).toEqual([]);
  expect((await query('/sequencer/3')).value).toMatchObject({ power: '0', l1Nonce: '2', locked: (19_000n * TOKEN).toString(), inactive: expect.stringMatching(/outside/) });
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: vals[2]!.pubKey }, power: 0n }]);
  await step(relocked(3n, 3n, 6_000n, 25_000n));
  await step();
  expect((await query('/sequencer/3')).value).toMatchObject({ power: '25000', inactive: null });
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: vals[2]!.pubKey }, power: 25_000n }]);
});

test('genesis: a LockingPool sequencer starts at L1 nonce >= 1 with no more power than whole tokens locked; maxLock fits CometBFT', () => {
  const parse = (s: Record<string, unknown>) => () => parseGenesis(utf8(JSON.stringify({ sequencers: [{ pubKey: toHex(vals[0]!.pubKey), power: '20000', ...s }] })));
  expect(parse({ sequencerId: '1', locked: (20_000n * TOKEN).toString() })().sequencers[0]).toMatchObject({ sequencerId: 1n, l1Nonce: 1n });
  expect(parse({ sequencerId: '1', l1Nonce: '0', locked: (20_000n * TOKEN).toString() })).toThrow(/l1Nonce: a LockingPool sequencer has applied its Locked event/);
  expect(parse({ sequencerId: '1', locked: (19_999n * TOKEN).toString() })).toThrow(GenesisError);
  expect(parse({ sequencerId: '1', locked: (19_999n * TOKEN).toString() })).toThrow(/power: 20000 exceeds the whole tokens locked/);
  expect(parse({})().sequencers[0]).toMatchObject({ sequencerId: 0n, l1Nonce: 0n }); // no L1 lock: nothing to check
  // maxLock must keep a million sequencers at maxLock within CometBFT's total voting power (2^63-1)/8.
  const withMax = (maxLock: bigint) => () => parseGenesis(utf8(JSON.stringify({ params: { maxLock: maxLock.toString() }, sequencers: [{ pubKey: toHex(vals[0]!.pubKey), power: '1' }] })));
  expect(withMax(1_152_921_504_606n * TOKEN)().params.maxLock).toBe((1_152_921_504_606n * TOKEN).toString());
  expect(withMax(1_152_921_504_607n * TOKEN)).toThrow(/maxLock: at most 1152921504606 whole tokens/);
});
