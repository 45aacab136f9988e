import { applyValidatorSetChange, sortValidators } from '../../app/validator-set.js';
import { makeValidators } from './harness.js';

const vals = makeValidators(5);
const current = sortValidators(vals.slice(0, 3).map((v) => ({ address: v.address, pubKey: v.pubKey, power: v.power })));

describe('applyValidatorSetChange', () => {
  test('adds a validator and returns its update', () => {
    const r = applyValidatorSetChange(current, [{ pubKey: vals[3]!.pubKey, power: 25n }]);
    if (!r.ok) throw new Error(r.reason);
    expect(r.next).toHaveLength(4);
    expect(r.updates).toEqual([{ pubKey: vals[3]!.pubKey, power: 25n }]);
    expect(r.next.map((v) => Buffer.from(v.address).toString('hex'))).toEqual([...r.next].map((v) => Buffer.from(v.address).toString('hex')).sort());
  });

  test('changes power, and a same-power change emits no update', () => {
    const r = applyValidatorSetChange(current, [
      { pubKey: current[0]!.pubKey, power: 99n },
      { pubKey: current[1]!.pubKey, power: current[1]!.power },
    ]);
    if (!r.ok) throw new Error(r.reason);
    expect(r.updates).toEqual([{ pubKey: current[0]!.pubKey, power: 99n }]);
    expect(r.next.find((v) => v.pubKey === current[0]!.pubKey)!.power).toBe(99n);
  });

  test('removes with power 0', () => {
    const r = applyValidatorSetChange(current, [{ pubKey: current[2]!.pubKey, power: 0n }]);
    if (!r.ok) throw new Error(r.reason);
    expect(r.next).toHaveLength(2);
    expect(r.updates).toEqual([{ pubKey: current[2]!.pubKey, power: 0n }]);
  });

  test('never empties the set', () => {
    const r = applyValidatorSetChange(current, current.map((v) => ({ pubKey: v.pubKey, power: 0n })));
    expect(r).toEqual({ ok: false, reason: 'the change would leave the validator set empty' });
  });

  test('refuses duplicate keys, unknown removals, bad keys and excessive power', () => {
    const dup = applyValidatorSetChange(current, [
      { pubKey: vals[4]!.pubKey, power: 1n },
      { pubKey: vals[4]!.pubKey, power: 2n },
    ]);
    expect(dup.ok).toBe(false);
    expect(!dup.ok && dup.reason).toMatch(/duplicate change/);
    const unknown = applyValidatorSetChange(current, [{ pubKey: vals[4]!.pubKey, power: 0n }]);
    expect(!unknown.ok && unknown.reason).toMatch(/not a validator/);
    const bad = applyValidatorSetChange(current, [{ pubKey: new Uint8Array(33).fill(7), power: 1n }]);
    expect(!bad.ok && bad.reason).toMatch(/invalid secp256k1/);
    const huge = applyValidatorSetChange(current, [{ pubKey: vals[4]!.pubKey, power: 2n ** 62n }]);
    expect(!huge.ok && huge.reason).toMatch(/exceeds the maximum/);
    const neg = applyValidatorSetChange(current, [{ pubKey: vals[4]!.pubKey, power: -1n }]);
    expect(!neg.ok && neg.reason).toMatch(/negative/);
  });

  test('does not mutate its input', () => {
    const before = JSON.stringify(current, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    applyValidatorSetChange(current, [{ pubKey: current[0]!.pubKey, power: 0n }]);
    expect(JSON.stringify(current, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(before);
  });
});
