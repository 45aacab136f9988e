// The pool reconciles with L1 after a reorg deeper than the bridge waited for (decision 38): an
// attested L1StateCorrection sets each sequencer to L1's record at the checkpoint block, unless the
// pool applied something of that sequencer from a later block.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { toHex, utf8 } from '../../common/bytes.js';
import { L1Status } from '../../protocol/l1-state.js';
import type { L1SequencerState, Observation } from '../../proto/seqpool.js';
import { makeValidators } from './harness.js';
import { eth, l1Chain, L1_CHAIN, locked, POOL, pub64, relocked, TOKEN } from './l1-harness.js';

const vals = makeValidators(4);
const [joiner, other] = makeValidators(6).slice(4);
const genesis = vals.map((val, i) => ({ val, power: 20_000n, id: BigInt(i + 1) }));
const chain = () => l1Chain({ genesis, known: [joiner!, other!] });
const tokens = (n: bigint) => (n * TOKEN).toString();

const active = (id: bigint, v: { pubKey: Uint8Array }, stake: bigint, nonce = 1n): L1SequencerState => ({ id, status: L1Status.ACTIVE, signer: eth(v), signerPubkey: pub64(v), amount: tokens(stake), deactivationTime: 0n, nonce });
const none = (id: bigint): L1SequencerState => ({ id, status: L1Status.NONE, signer: new Uint8Array(0), signerPubkey: new Uint8Array(0), amount: '0', deactivationTime: 0n, nonce: 0n });
const genesisRecords = () => vals.map((v, i) => active(BigInt(i + 1), v, 20_000n));

function correction(block: bigint, sequencers: L1SequencerState[]): Observation {
  return { l1Correction: { chainId: L1_CHAIN, lockingPool: POOL, batchInbox: new Uint8Array(0), blockNumber: block, blockHash: keccak_256(utf8(`block ${block}`)), sequencers, nextBatchIndex: 0n } };
}
/** The observation record of `obs` once applied (rejected or not). */
async function settled(c: Awaited<ReturnType<typeof chain>>, obs: Observation) {
  const { observationDigest } = await import('../../protocol/observations.js');
  return (await c.query(`/observation/${toHex(observationDigest(obs))}`)).value as { rejected?: string } | undefined;
}

test('a lock an L1 reorg took away is removed, and the id L1 then gives to another key is applied afresh', async () => {
  const c = await chain();
  const lock5 = locked(5n, joiner!, 20_000n); // attested and applied from L1 block ~101
  await c.step(lock5);
  await c.step();
  expect((await c.query('/sequencer/5')).value).toMatchObject({ status: 'active', power: '20000', l1Nonce: '1' });
  // A reorg deeper than the bridge waited for: L1 at checkpoint block 160 has no sequencer 5.
  const fix = correction(160n, [...genesisRecords(), none(5n)]);
  await c.step(fix);
  await c.step();
  expect(await settled(c, fix)).toMatchObject({ rejected: null });
  expect((await c.query('/sequencer/5')).code).not.toBe(0); // the pool holds no sequencer 5 any more
  expect(c.app.state.sequencer(joiner!.address)).toMatchObject({ status: 2, sequencerId: 0n, power: 0n }); // the key keeps its record (nonces)
  // L1 gave id 5 to another key: its Locked (nonce 1) applies as a new sequencer.
  await c.step(locked(5n, other!, 30_000n));
  await c.step();
  expect((await c.query('/sequencer/5')).value).toMatchObject({ address: toHex(other!.address).toUpperCase(), status: 'active', power: '30000' });
  // And the committee follows at the next epoch boundary.
  const b = await c.boundary();
  const updates = (b.validatorUpdates ?? []).map((u) => toHex(u!.pubKey!.secp256k1!));
  expect(updates).toContain(toHex(other!.pubKey));
  expect(updates).not.toContain(toHex(joiner!.pubKey));
});

test('a sequencer whose record diverged from L1 is set to L1; one updated after the checkpoint is left alone', async () => {
  const c = await chain();
  // L1 at block 150 says sequencer 2 relocked to 30,000 (nonce 2); the pool never saw that event.
  const fix = correction(150n, [active(1n, vals[0]!, 20_000n), active(2n, vals[1]!, 30_000n, 2n), active(3n, vals[2]!, 20_000n), active(4n, vals[3]!, 20_000n)]);
  // Meanwhile sequencer 3's relock lands in the pool from a later block (~10x): not judged at 150.
  const later = relocked(3n, 2n, 5_000n, 25_000n);
  later.l1Staking!.blockNumber = 170n;
  await c.step(later);
  await c.step(fix);
  await c.step();
  expect((await c.query('/sequencer/2')).value).toMatchObject({ power: '30000', l1Nonce: '2', locked: tokens(30_000n) });
  expect((await c.query('/sequencer/3')).value).toMatchObject({ power: '25000', l1Nonce: '2' }); // kept: applied from block 170 > 150
  expect((await c.query('/sequencer/1')).value).toMatchObject({ power: '20000', l1Nonce: '1' }); // matched: untouched
});

test('a correction of an older block than the last one, or one that skips ids the pool holds, is refused', async () => {
  const c = await chain();
  const first = correction(150n, genesisRecords());
  await c.step(first);
  await c.step();
  expect(await settled(c, first)).toMatchObject({ rejected: null });
  const older = correction(140n, genesisRecords());
  const short = correction(200n, genesisRecords().slice(0, 3));
  await c.step(older, short);
  await c.step();
  expect((await settled(c, older))!.rejected).toMatch(/not after the last one applied \(block 150\)/);
  expect((await settled(c, short))!.rejected).toMatch(/lists 3 ids; the pool holds ids up to 4/);
  expect((await c.query('/sequencer/4')).value).toMatchObject({ power: '20000' });
});

test('a malformed correction is refused before it touches state', async () => {
  const { l1CorrectionProblem } = await import('../../app/l1-correction.js');
  const good = correction(150n, genesisRecords()).l1Correction!;
  expect(l1CorrectionProblem(good)).toBeUndefined();
  expect(l1CorrectionProblem({ ...good, sequencers: [genesisRecords()[1]!] })).toMatch(/ids run 1, 2/);
  expect(l1CorrectionProblem({ ...good, sequencers: [{ ...none(1n), nonce: 3n }] })).toMatch(/carries no signer, stake or nonce/);
  expect(l1CorrectionProblem({ ...good, sequencers: [{ ...genesisRecords()[0]!, status: 9 }] })).toMatch(/not a LockingPool status/);
  expect(l1CorrectionProblem({ ...good, blockHash: new Uint8Array(3) })).toMatch(/32-byte hash/);
});

test('a genesis sequencer (no L1 block known) is not removed by a checkpoint from before its lock', async () => {
  const c = await chain();
  const early = correction(5n, [active(1n, vals[0]!, 20_000n), none(2n), none(3n), none(4n)]);
  await c.step(early);
  await c.step();
  for (let i = 1; i <= 4; i++) expect((await c.query(`/sequencer/${i}`)).value).toMatchObject({ status: 'active', power: '20000' });
});
