import { randomBytes } from 'node:crypto';
import { DkgEngine } from '../../mpc/keys/dkg.js';
import { thresholdFor } from '../../mpc/threshold.js';
import { Point, frost } from '../../mpc/suite.js';
import { equalBytes, seal } from '../../mpc/envelope.js';
import { decodeBody, decodeEnvelope, encodeEnvelope } from '../../proto/mpc.js';
import { MpcError } from '../../mpc/errors.js';
import { hex, makeParties, prng, runPhases, sample, type Net } from './harness.js';
import { runDkg, signWith, verifySignature } from './helpers.js';

test('threshold rule t = floor(2n/3) + 1', () => {
  expect([1, 2, 3, 4, 7, 10, 25, 100].map(thresholdFor)).toEqual([1, 2, 3, 3, 5, 7, 17, 67]);
  expect(() => thresholdFor(0)).toThrow(MpcError);
});

test('property: DKG over random n in 1..25, then sign with random t-subsets and verify', () => {
  const rnd = prng(0xd1c9);
  const sizes = [1, 2, 3, 25, ...Array.from({ length: 4 }, () => 1 + rnd(25))];
  for (const n of sizes) {
    const parties = makeParties(n);
    const results = runDkg(parties);
    const t = thresholdFor(n);
    const first = [...results.values()][0]!;
    for (const r of results.values()) {
      expect(r.qualified).toHaveLength(n);
      expect(equalBytes(r.public.groupKey, first.public.groupKey)).toBe(true);
      expect(r.public.threshold).toBe(t);
    }
    const shares = [...results.values()].map((r) => ({ public: r.public, secret: r.secret! }));
    // the shares interpolate to the secret behind the group key (noble reconstruction, t >= 2)
    if (t >= 2) {
      const sk = frost.combineSecret(sample(rnd, shares, t).map((s) => s.secret.toFrostSecret()), { min: t, max: n });
      expect(hex(Point.BASE.multiply(frost.utils.Fn.fromBytes(sk)).toBytes(true))).toBe(hex(first.public.groupKey));
    }
    for (let k = 0; k < 2; k++) {
      const msg = randomBytes(32);
      const sig = signWith(sample(rnd, shares, t), msg);
      expect(verifySignature(sig, msg, first.public.groupKey)).toBe(true);
    }
    if (n >= 2) {
      // fewer than t shares cannot sign
      const few = sample(rnd, shares, t - 1);
      if (few.length >= 2) expect(() => signWith(few, randomBytes(32))).toThrow();
    }
  }
});

function tamperShare(net: Net, dealerKey: string, victimIndex: number, parties: ReturnType<typeof makeParties>) {
  const dealer = parties.find((p) => hex(p.identity.publicKey) === dealerKey)!;
  net.filter = (from, o) => {
    if (from !== dealerKey || o.channel !== 'private') return o.envelope;
    const body = decodeBody(decodeEnvelope(o.envelope).body);
    if (!('share' in body) || body.share.recipient !== victimIndex) return o.envelope;
    // the dealer signs a wrong share: the complaint will carry this signed envelope
    return seal(dealer.identity, { session: body.session, share: { ...body.share, value: randomBytes(32) } });
  };
}

test('a dealer sending a bad share is proven bad by the complaint, disqualified, and the DKG completes', () => {
  const parties = makeParties(7);
  const cheat = hex(parties[2]!.identity.publicKey);
  const net: Net = { errors: [] };
  tamperShare(net, cheat, 5, parties);
  const results = runDkg(parties, { net });
  for (const [k, r] of results) {
    expect(r.qualified).toEqual([1, 2, 4, 5, 6, 7]);
    expect(r.faults).toEqual([expect.objectContaining({ dealer: 3, reason: 'bad-share' })]);
    expect(r.falseComplainers).toEqual([]);
    if (k === cheat) expect(r.secret).toBeUndefined();
  }
  const shares = [...results.values()].filter((r) => r.secret).map((r) => ({ public: r.public, secret: r.secret! }));
  const msg = randomBytes(32);
  expect(verifySignature(signWith(shares.slice(0, thresholdFor(7)), msg), msg, shares[0]!.public.groupKey)).toBe(true);
});

test('a false complaint (valid share offered as evidence) is shown false and disqualifies nobody', () => {
  const parties = makeParties(4);
  const engines = new Map(parties.map((p) => [hex(p.identity.publicKey), new DkgEngine({ keyId: 'k', epoch: 0, members: parties.map((x) => x.member), identity: p.identity })]));
  const shareToLiar: Uint8Array[] = [];
  const net: Net = {
    errors: [],
    filter: (_f, o) => {
      if (o.channel === 'private' && hex(o.to) === hex(parties[0]!.identity.publicKey)) shareToLiar.push(o.envelope);
      return o.envelope;
    },
  };
  runPhases(engines, net);
  const liar = parties[0]!;
  const evidence = decodeEnvelope(shareToLiar[0]!);
  const accused = decodeBody(evidence.body);
  const complaint = seal(liar.identity, { session: engines.get(hex(liar.identity.publicKey))!.session, complaint: { recipient: 1, accused: 'share' in accused ? accused.share.dealer : 0, evidence } });
  for (const [k, e] of engines) if (k !== hex(liar.identity.publicKey)) e.receive(complaint);
  for (const [k, e] of engines) {
    if (k === hex(liar.identity.publicKey)) continue;
    const r = e.finalise();
    expect(r.faults).toEqual([]);
    expect(r.falseComplainers).toEqual([1]);
    expect(r.qualified).toEqual([1, 2, 3, 4]);
  }
});

test('a bad proof of knowledge disqualifies its dealer', () => {
  const parties = makeParties(4);
  const bad = parties[1]!;
  const net: Net = {
    errors: [],
    filter: (from, o) => {
      if (from !== hex(bad.identity.publicKey) || o.channel !== 'public') return o.envelope;
      const body = decodeBody(decodeEnvelope(o.envelope).body);
      if (!('dealing' in body) || body.payload !== 'dealing') return o.envelope;
      const pok = body.dealing.proofOfKnowledge!.slice();
      pok[64]! ^= 1;
      return seal(bad.identity, { session: body.session, dealing: { ...body.dealing, proofOfKnowledge: pok } });
    },
  };
  const results = runDkg(parties, { net });
  for (const [k, r] of results) {
    if (k === hex(bad.identity.publicKey)) continue; // its own view kept the honest proof
    expect(r.qualified).toEqual([1, 3, 4]);
    expect(r.faults[0]).toMatchObject({ dealer: 2, reason: 'bad-proof' });
  }
});

test('equivocating round-1 dealings disqualify the dealer with both signed messages as evidence', () => {
  const parties = makeParties(4);
  const engines = new Map(parties.map((p) => [hex(p.identity.publicKey), new DkgEngine({ keyId: 'k', epoch: 0, members: parties.map((x) => x.member), identity: p.identity })]));
  runPhases(engines);
  const eq = parties[3]!;
  const other = new DkgEngine({ keyId: 'k', epoch: 0, members: parties.map((x) => x.member), identity: eq.identity });
  const second = other.start().find((o) => o.channel === 'public')!.envelope;
  for (const [k, e] of engines) {
    if (k === hex(eq.identity.publicKey)) continue;
    const res = e.receive(second);
    expect(res.fault).toMatchObject({ dealer: 4, reason: 'equivocation' });
    expect(res.fault!.evidence).toHaveLength(2);
    expect(e.finalise().qualified).toEqual([1, 2, 3]);
  }
});

test('replayed, malformed, unsigned, foreign-session and misaddressed messages: typed errors, no state change', () => {
  const parties = makeParties(4);
  const members = parties.map((x) => x.member);
  const a = new DkgEngine({ keyId: 'k', epoch: 0, members, identity: parties[0]!.identity });
  const b = new DkgEngine({ keyId: 'k', epoch: 0, members, identity: parties[1]!.identity });
  const outB = b.start();
  const pubB = outB.find((o) => o.channel === 'public')!.envelope;
  const toA = outB.find((o) => o.channel === 'private' && equalBytes(o.to, parties[0]!.identity.publicKey))!.envelope;
  const toC = outB.find((o) => o.channel === 'private' && equalBytes(o.to, parties[2]!.identity.publicKey))!.envelope;
  a.receive(pubB);
  const before = JSON.stringify(a.status());
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as MpcError).code;
    }
    return 'none';
  };
  expect(code(() => a.receive(pubB))).toBe('REPLAY');
  expect(code(() => a.receive(new Uint8Array([1, 2, 3])))).toBe('MALFORMED');
  expect(code(() => a.receive(new Uint8Array()))).toBe('MALFORMED');
  const env = decodeEnvelope(toA);
  const flipped = env.signature.slice();
  flipped[5]! ^= 1;
  expect(code(() => a.receive(encodeEnvelope({ body: env.body, signature: flipped })))).toBe('BAD_SIGNATURE');
  expect(code(() => a.receive(encodeEnvelope({ body: env.body, signature: new Uint8Array() })))).toBe('BAD_SIGNATURE');
  expect(code(() => a.receive(toC))).toBe('WRONG_RECIPIENT');
  const other = new DkgEngine({ keyId: 'other', epoch: 0, members, identity: parties[1]!.identity });
  expect(code(() => a.receive(other.start().find((o) => o.channel === 'public')!.envelope))).toBe('WRONG_SESSION');
  const outsider = makeParties(1)[0]!;
  expect(code(() => a.receive(seal(outsider.identity, { session: a.session, dealing: { dealer: 2, commitments: [], proofOfKnowledge: new Uint8Array() } })))).toBe('UNKNOWN_SENDER');
  expect(code(() => a.receive(seal(parties[2]!.identity, { session: a.session, dealing: { dealer: 3, commitments: [new Uint8Array(33)], proofOfKnowledge: new Uint8Array() } })))).toBe('MALFORMED');
  expect(JSON.stringify(a.status())).toBe(before);
  // the genuine share is still accepted afterwards
  expect(() => a.receive(toA)).not.toThrow();
});

test('a rejected group key (x >= n rule) fails the DKG cleanly and a rerun with a new attempt succeeds', () => {
  const parties = makeParties(3);
  const members = parties.map((x) => x.member);
  const mk = (attempt: number, accept?: () => boolean) =>
    new Map(parties.map((p) => [hex(p.identity.publicKey), new DkgEngine({ keyId: 'k', epoch: 0, attempt, members, identity: p.identity, ...(accept ? { acceptGroupKey: accept } : {}) })]));
  const first = mk(0, () => false);
  runPhases(first);
  for (const e of first.values()) expect(() => e.finalise()).toThrow(expect.objectContaining({ code: 'GROUP_KEY_UNUSABLE' }));
  const second = mk(1);
  runPhases(second);
  const keys = [...second.values()].map((e) => hex(e.finalise().public.groupKey));
  expect(new Set(keys).size).toBe(1);
});

test('missing share: the complaint is answered by a public justification; unanswered it disqualifies', () => {
  const parties = makeParties(4);
  const dealer = hex(parties[1]!.identity.publicKey);
  const victim = hex(parties[3]!.identity.publicKey);
  const net: Net = { errors: [], filter: (from, o) => (from === dealer && o.channel === 'private' && hex(o.to) === victim ? undefined : o.envelope) };
  const results = runDkg(parties, { net });
  for (const r of results.values()) {
    expect(r.qualified).toEqual([1, 2, 3, 4]);
    expect(r.faults).toEqual([]);
  }
  // same, but the dealer never justifies
  const net2: Net = {
    errors: [],
    filter: (from, o) => {
      if (from === dealer && o.channel === 'private' && hex(o.to) === victim) return undefined;
      if (from === dealer && o.channel === 'public' && decodeBody(decodeEnvelope(o.envelope).body).payload === 'justification') return undefined;
      return o.envelope;
    },
  };
  const r2 = runDkg(parties, { net: net2 });
  for (const [k, r] of r2) if (k !== dealer) expect(r.qualified).toEqual([1, 3, 4]);
});
