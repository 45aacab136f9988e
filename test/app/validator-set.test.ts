import { sortValidators, validatorUpdatesBetween } from '../../app/validator-set.js';
import { makeValidators } from './harness.js';

const vals = makeValidators(5);
const entry = (i: number, power = vals[i]!.power) => ({ address: vals[i]!.address, pubKey: vals[i]!.pubKey, power });
const current = sortValidators([entry(0), entry(1), entry(2)]);

describe('validatorUpdatesBetween', () => {
  test('a new key, a changed power and a removal (power 0), one update per key, in address order', () => {
    const next = sortValidators([entry(0, 99n), entry(1), entry(3)]);
    const updates = validatorUpdatesBetween(current, next);
    const want = [entry(0, 99n), entry(2, 0n), entry(3)].sort((a, b) => Buffer.compare(Buffer.from(a.address), Buffer.from(b.address)));
    expect(updates).toEqual(want.map((v) => ({ pubKey: v.pubKey, power: v.power })));
  });

  test('the same set gives no update, and neither set is changed', () => {
    const before = JSON.stringify(current, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    expect(validatorUpdatesBetween(current, [...current].reverse())).toEqual([]);
    expect(JSON.stringify(current, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).toBe(before);
  });
});
