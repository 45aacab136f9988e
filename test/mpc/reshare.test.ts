import { randomBytes } from 'node:crypto';
import { ReshareEngine } from '../../mpc/keys/reshare.js';
import { RefreshEngine } from '../../mpc/keys/refresh.js';
import type { KeygenResult } from '../../mpc/keys/dkg.js';
import type { KeyShare } from '../../mpc/keys/types.js';
import { thresholdFor } from '../../mpc/threshold.js';
import { equalBytes, seal } from '../../mpc/envelope.js';
import { decodeBody, decodeEnvelope } from '../../proto/mpc.js';
import { hex, makeParties, prng, runPhases, sample, type Net, type Party } from './harness.js';
import { runDkg, signWith, verifySignature } from './helpers.js';

const holders = (rs: Map<string, KeygenResult>): KeyShare[] => [...rs.values()].filter((r) => r.secret).map((r) => ({ public: r.public, secret: r.secret! }));

function reshare(oldParties: Party[], old: Map<string, KeygenResult>, newParties: Party[], opts: { newThreshold?: number; net?: Net; offline?: Set<string> } = {}) {
  const all = new Map<string, Party>([...oldParties, ...newParties].map((p) => [hex(p.identity.publicKey), p]));
  const oldPkg = [...old.values()][0]!.public;
  const engines = new Map(
    [...all].map(([k, p]) => [
      k,
      new ReshareEngine({
        old: oldPkg,
        newMembers: newParties.map((x) => x.member),
        newEpoch: oldPkg.epoch + 1,
        identity: p.identity,
        ...(old.get(k)?.secret ? { oldShare: old.get(k)!.secret! } : {}),
        ...(opts.newThreshold ? { newThreshold: opts.newThreshold } : {}),
      }),
    ]),
  );
  const dealers = new Set([...engines.keys()].filter((k) => !opts.offline?.has(k)));
  runPhases(engines, opts.net, dealers);
  const newKeys = new Set(newParties.map((p) => hex(p.identity.publicKey)));
  return new Map([...engines].filter(([k]) => newKeys.has(k)).map(([k, e]) => [k, e.finalise()]));
}

function assertSigns(shares: KeyShare[], groupKey: Uint8Array, rnd: (n: number) => number) {
  const t = shares[0]!.public.threshold;
  const msg = randomBytes(32);
  const sig = signWith(sample(rnd, shares, t), msg);
  expect(verifySignature(sig, msg, groupKey)).toBe(true);
}

test('property: reshare across overlapping, disjoint, growing, shrinking committees keeps the group key', () => {
  const rnd = prng(0x5eed);
  const cases: [string, number, (old: Party[], rnd: (n: number) => number) => Party[], number?][] = [
    ['grow n -> n+1 (overlap)', 4, (old) => [...old, ...makeParties(1, 5)]],
    ['shrink n -> n-1', 5, (old) => old.slice(0, 4).map((p, i) => ({ ...p, member: { ...p.member, index: i + 1 } }))],
    ['disjoint', 4, () => makeParties(6)],
    ['threshold down (explicit t)', 6, (old) => old.slice(0, 6), 3],
    ['threshold up', 3, (old) => [...old, ...makeParties(7, 4)]],
    ['random overlap', 2 + rnd(12), (old, r) => [...sample(r, old, Math.max(1, Math.floor(old.length / 2))), ...makeParties(1 + r(8), 100)].map((p, i) => ({ ...p, member: { ...p.member, index: i + 1 } }))],
    ['down to one member', 3, (old) => [{ ...old[0]!, member: { ...old[0]!.member, index: 1 } }]],
  ];
  for (const [name, n, next, t2] of cases) {
    const oldParties = makeParties(n);
    const old = runDkg(oldParties);
    const groupKey = [...old.values()][0]!.public.groupKey;
    const newParties = next(oldParties, rnd);
    const res = reshare(oldParties, old, newParties, t2 ? { newThreshold: t2 } : {});
    const shares = holders(res);
    expect({ name, count: shares.length }).toEqual({ name, count: newParties.length });
    for (const s of shares) {
      expect(equalBytes(s.public.groupKey, groupKey)).toBe(true);
      expect(s.public.threshold).toBe(t2 ?? thresholdFor(newParties.length));
    }
    assertSigns(shares, groupKey, rnd);
    // an old share mixed with new ones does not produce a valid signature
    if (shares.length >= 2 && shares[0]!.public.threshold >= 2) {
      const oldShare = holders(old).find((s) => s.secret.index === shares[0]!.secret.index);
      if (oldShare) {
        const mixed = [{ public: shares[0]!.public, secret: oldShare.secret }, ...shares.slice(1, shares[0]!.public.threshold)];
        expect(() => signWith(mixed, randomBytes(32))).toThrow(expect.objectContaining({ code: 'SIGNING_FAILED' }));
      }
    }
  }
});

test('reshare: a dealer with a wrong constant term is disqualified and the rest (>= t) reshare correctly', () => {
  const rnd = prng(7);
  const oldParties = makeParties(5);
  const old = runDkg(oldParties);
  const bad = oldParties[1]!;
  const net: Net = {
    errors: [],
    filter: (from, o) => {
      if (from !== hex(bad.identity.publicKey) || o.channel !== 'public') return o.envelope;
      const body = decodeBody(decodeEnvelope(o.envelope).body);
      if (!('dealing' in body) || body.payload !== 'dealing') return o.envelope;
      const cs = [...body.dealing.commitments];
      [cs[0], cs[1]] = [cs[1]!, cs[0]!];
      return seal(bad.identity, { session: body.session, dealing: { ...body.dealing, commitments: cs } });
    },
  };
  const newParties = makeParties(6, 1);
  const res = reshare(oldParties, old, newParties, { net });
  for (const r of res.values()) {
    expect(r.qualified).toEqual([1, 3, 4, 5]);
    expect(r.faults[0]).toMatchObject({ dealer: 2, reason: 'bad-dealing' });
  }
  assertSigns(holders(res), [...old.values()][0]!.public.groupKey, rnd);
});

test('reshare with fewer than t honest old holders fails cleanly; the old committee still signs', () => {
  const rnd = prng(9);
  const oldParties = makeParties(4); // t = 3
  const old = runDkg(oldParties);
  const offline = new Set(oldParties.slice(0, 2).map((p) => hex(p.identity.publicKey)));
  const newParties = makeParties(5, 1);
  expect(() => reshare(oldParties, old, newParties, { offline })).toThrow(expect.objectContaining({ code: 'NOT_ENOUGH_PARTICIPANTS' }));
  assertSigns(holders(old), [...old.values()][0]!.public.groupKey, rnd);
});

test('reshare: a new member complaining about a bad share gets the dealer disqualified', () => {
  const rnd = prng(11);
  const oldParties = makeParties(5);
  const old = runDkg(oldParties);
  const bad = oldParties[4]!;
  const newParties = makeParties(4, 1);
  const victim = hex(newParties[2]!.identity.publicKey);
  const net: Net = {
    errors: [],
    filter: (from, o) => {
      if (from !== hex(bad.identity.publicKey) || o.channel !== 'private' || hex(o.to) !== victim) return o.envelope;
      const body = decodeBody(decodeEnvelope(o.envelope).body);
      return 'share' in body ? seal(bad.identity, { session: body.session, share: { ...body.share, value: randomBytes(32) } }) : o.envelope;
    },
  };
  const res = reshare(oldParties, old, newParties, { net });
  for (const r of res.values()) expect(r.faults).toEqual([expect.objectContaining({ dealer: 5, reason: 'bad-share' })]);
  assertSigns(holders(res), [...old.values()][0]!.public.groupKey, rnd);
});

test('property: refresh changes every share, keeps the key, and old shares mixed with new ones fail', () => {
  const rnd = prng(0xf00d);
  for (const n of [1, 2, 4, 3 + rnd(10)]) {
    const parties = makeParties(n);
    const old = runDkg(parties);
    const oldShares = holders(old);
    const pkg = oldShares[0]!.public;
    const engines = new Map(parties.map((p) => [hex(p.identity.publicKey), new RefreshEngine({ current: pkg, share: old.get(hex(p.identity.publicKey))!.secret!, newEpoch: 1, identity: p.identity })]));
    runPhases(engines);
    const fresh = [...engines.values()].map((e) => e.finalise()).map((r) => ({ public: r.public, secret: r.secret! }));
    for (const s of fresh) {
      expect(equalBytes(s.public.groupKey, pkg.groupKey)).toBe(true);
      expect(s.public.epoch).toBe(1);
      const before = oldShares.find((o) => o.secret.index === s.secret.index)!;
      if (pkg.threshold >= 2) expect(s.secret.reveal()).not.toBe(before.secret.reveal());
    }
    assertSigns(fresh, pkg.groupKey, rnd);
    if (pkg.threshold >= 2) {
      const mixed = [{ public: fresh[0]!.public, secret: oldShares[0]!.secret }, ...fresh.slice(1, pkg.threshold)];
      expect(() => signWith(mixed, randomBytes(32))).toThrow(expect.objectContaining({ code: 'SIGNING_FAILED' }));
    }
  }
});
