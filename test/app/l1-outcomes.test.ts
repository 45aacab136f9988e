// L1 is the source of truth for stake (decision 26): every LockingPool event that is next in line is
// applied and advances its sequencer's cursor, and what the app cannot take as it is gets a defined
// outcome: an unusable signer key leaves the sequencer keyless with power 0, stake out of bounds gives
// power 0, an unlock always takes the power away; later events (a fixing SignerChange, a relock, a
// slash, the claim) still apply.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { toHex } from '../../common/bytes.js';
import { committee } from '../../app/election.js';
import { makeValidators } from './harness.js';
import { TOKEN, badSignerChange, eth, event, l1Chain, locked, pub64, relocked, signerChange, slashed, unlockInit, unlocked } from './l1-harness.js';

const vals = makeValidators(4);
const [joiner, fixer] = makeValidators(8).slice(4);
const chain = (params: Record<string, string> = {}) =>
  l1Chain({ genesis: vals.map((val, i) => ({ val, power: 20_000n, id: i < 3 ? BigInt(i + 1) : undefined })), known: [joiner!, fixer!], params });
const tokens = (n: bigint) => (n * TOKEN).toString();
const settled = (fin: { events?: { type?: string }[] }) => fin.events!.map((e) => e.type ?? '').filter((t) => t.startsWith('observation_'));

test('the issue-10 sequence: a signer change to an unusable key, then unlock and claim, leaves no power anywhere', async () => {
  const { app, step, boundary, query } = await chain();
  // Sequencer 2 points its signer at 64 bytes that are no curve point (the old LockingPool hashed any).
  await step(badSignerChange(2n, 2n, eth(vals[1]!)));
  expect(settled(await step())).toEqual(['observation_applied']);
  expect((await query('/sequencer/2')).value).toMatchObject({ address: '', pubKey: '', power: '0', status: 'active', l1Nonce: '2', inactive: 'signerPubkey is not a point on secp256k1' });
  expect(committee(app.state).map((s) => toHex(s.address))).not.toContain(toHex(vals[1]!.address));
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: vals[1]!.pubKey }, power: 0n }]);
  // Its later events are not gaps: the unlock and the claim apply.
  await step(unlockInit(2n, 3n, keccak_256(new Uint8Array(64).fill(0x11)).subarray(12)));
  await step(unlocked(2n, 4n, keccak_256(new Uint8Array(64).fill(0x11)).subarray(12)));
  await step();
  expect((await query('/sequencer/2')).value).toMatchObject({ status: 'exited', power: '0', locked: '0', l1Nonce: '4' });
  expect((await query('/validators')).value.map((v: { power: string }) => v.power)).toEqual(['20000', '20000', '20000']);
});

test('a Locked the pool cannot seat is kept keyless: its relock and slash apply, and a SignerChange to a usable key seats it', async () => {
  const { step, boundary, query } = await chain();
  // Validator 3 is a genesis sequencer L1 does not know; a lock for its key cannot be seated.
  const taken = locked(4n, vals[3]!, 30_000n);
  const notSigners = event(5n, 1n, { locked: { signer: eth(joiner!), amount: tokens(30_000n), total: tokens(30_000n), signerPubkey: pub64(fixer!) } });
  await step(taken, notSigners);
  expect(settled(await step())).toEqual(['observation_applied', 'observation_applied']);
  expect((await query('/sequencer/4')).value).toMatchObject({ address: '', power: '0', l1Nonce: '1', locked: tokens(30_000n), inactive: expect.stringMatching(/is the key of genesis sequencer [0-9A-F]{40}, which is still live/) });
  expect((await query('/sequencer/5')).value).toMatchObject({ address: '', power: '0', inactive: expect.stringMatching(/does not belong to signer/) });
  expect((await query(`/validator/${toHex(vals[3]!.address)}`)).value).toMatchObject({ sequencerId: '0', power: '20000' }); // untouched

  await step(relocked(4n, 2n, 10_000n, 40_000n), slashed(5n, 2n, 1_000n, 29_000n));
  await step();
  expect((await query('/sequencer/4')).value).toMatchObject({ address: '', power: '0', l1Nonce: '2', locked: tokens(40_000n) });
  expect((await query('/sequencer/5')).value).toMatchObject({ address: '', power: '0', l1Nonce: '2', locked: tokens(29_000n) });

  await step(signerChange(4n, 3n, eth(vals[3]!), joiner!));
  await step();
  expect((await query('/sequencer/4')).value).toMatchObject({ address: toHex(joiner!.address).toUpperCase(), power: '40000', status: 'active', inactive: null });
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: joiner!.pubKey }, power: 40_000n }]);
});

test('stake above maxLock (L1 raised its bound, then a relock) gives power 0 until a slash brings it back', async () => {
  const { step, boundary, query } = await chain();
  await step(relocked(1n, 2n, 90_000n, 110_000n));
  await step();
  expect((await query('/sequencer/1')).value).toMatchObject({ power: '0', status: 'active', locked: tokens(110_000n), inactive: expect.stringMatching(/outside/) });
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: vals[0]!.pubKey }, power: 0n }]);
  await step(slashed(1n, 3n, 20_000n, 90_000n));
  await step();
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: vals[0]!.pubKey }, power: 90_000n }]);
});

test('a lock below minLock (L1 lowered its bound) is inactive until a relock brings it in; an unlock always removes the power', async () => {
  const { step, boundary, query } = await chain();
  await step(locked(4n, joiner!, 5_000n));
  await step();
  expect((await query('/sequencer/4')).value).toMatchObject({ address: toHex(joiner!.address).toUpperCase(), power: '0', inactive: expect.stringMatching(/outside/) });
  expect((await boundary()).validatorUpdates).toEqual([]);
  await step(relocked(4n, 2n, 15_000n, 20_000n));
  await step();
  expect((await boundary()).validatorUpdates).toEqual([{ pubKey: { secp256k1: joiner!.pubKey }, power: 20_000n }]);
  await step(unlockInit(4n, 3n, joiner!), unlockInit(1n, 2n, vals[0]!));
  await step();
  expect((await query('/sequencer/4')).value).toMatchObject({ status: 'unlocking', power: '0', inactive: null });
  const fin = await boundary();
  expect(fin.validatorUpdates).toEqual(expect.arrayContaining([{ pubKey: { secp256k1: joiner!.pubKey }, power: 0n }, { pubKey: { secp256k1: vals[0]!.pubKey }, power: 0n }]));
  expect(fin.validatorUpdates).toHaveLength(2);
});
