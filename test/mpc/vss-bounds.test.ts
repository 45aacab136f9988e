// A key session's public transcript is bounded (decision 28): what one byzantine dealer or receiver
// can add is capped per (sender, kind) and in bytes, while every honest flow fits. Judged here with an
// observer engine (no dealer or receiver role), as the chain app does.
import { randomBytes } from 'node:crypto';
import { DkgEngine } from '../../mpc/keys/dkg.js';
import { RefreshEngine } from '../../mpc/keys/refresh.js';
import { ReshareEngine } from '../../mpc/keys/reshare.js';
import { commitPolynomial, randomPolynomial } from '../../mpc/keys/vss.js';
import type { Outbound } from '../../mpc/keys/vss-session.js';
import { IdentityKey } from '../../mpc/identity.js';
import { seal } from '../../mpc/envelope.js';
import type { MpcError } from '../../mpc/errors.js';
import { thresholdFor } from '../../mpc/threshold.js';
import { decodeBody, decodeEnvelope } from '../../proto/mpc.js';
import { hex, makeParties, type Party } from './harness.js';
import { runDkg } from './helpers.js';

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as MpcError).code ?? String(e);
  }
  return 'none';
};

const dkg = (parties: Party[], identity: IdentityKey) => new DkgEngine({ keyId: 'k', epoch: 0, members: parties.map((p) => p.member), identity });
const publicOf = (out: Outbound[]) => out.find((o) => o.channel === 'public')!.envelope;

type ShareFilter = (dealer: number, recipient: number, env: Uint8Array) => Uint8Array | undefined;

/**
 * Every party deals; every engine and an observer see every dealing, and each receiver gets its
 * private share unless `shareFor` returns something else (undefined drops it).
 */
function dealAll(parties: Party[], shareFor: ShareFilter = (_d, _r, env) => env) {
  const engines = parties.map((p) => dkg(parties, p.identity));
  const observer = dkg(parties, IdentityKey.generate());
  const dealings: Uint8Array[] = [];
  engines.forEach((e, i) => {
    for (const o of e.start()) {
      if (o.channel === 'public') {
        dealings.push(o.envelope);
        observer.receive(o.envelope);
        engines.forEach((x, j) => j !== i && x.receive(o.envelope));
        continue;
      }
      const r = parties.findIndex((p) => hex(p.identity.publicKey) === hex(o.to));
      const env = shareFor(i + 1, r + 1, o.envelope);
      if (env) engines[r]!.receive(env);
    }
  });
  return { engines, observer, dealings };
}

test('a dealer posts at most two dealings: the second proves equivocation, a third (or one after any disqualification) is refused', () => {
  const parties = makeParties(4);
  const { observer } = dealAll(parties);
  const again = () => publicOf(dkg(parties, parties[3]!.identity).start());
  expect(observer.receive(again()).fault).toMatchObject({ dealer: 4, reason: 'equivocation' });
  expect(code(() => observer.receive(again()))).toBe('EQUIVOCATION');
  // a dealer disqualified by its first dealing (bad proof) cannot add a second one either
  const p = makeParties(3);
  const o = dkg(p, IdentityKey.generate());
  const bad = seal(p[0]!.identity, { session: o.session, dealing: { dealer: 1, commitments: commitPolynomial(randomPolynomial(5n, thresholdFor(3))), proofOfKnowledge: randomBytes(65) } });
  expect(o.receive(bad).fault).toMatchObject({ dealer: 1, reason: 'bad-proof' });
  expect(code(() => o.receive(publicOf(dkg(p, p[0]!.identity).start())))).toBe('EQUIVOCATION');
});

test('a justification answers a missing-share complaint against its sender, once', () => {
  const parties = makeParties(4);
  const { engines, observer } = dealAll(parties);
  // dealer 2's share for receiver 4, signed afresh each time (ECDSA signatures differ), so every
  // justification is a distinct message, not a replay
  const body = decodeBody(decodeEnvelope(engines[1]!.sentShares().get(4)!).body) as { share: { dealer: number; recipient: number; value: Uint8Array } };
  const justify = () => seal(parties[1]!.identity, { session: observer.session, justification: { share: decodeEnvelope(seal(parties[1]!.identity, { session: observer.session, share: body.share })) } });
  expect(code(() => observer.receive(justify()))).toBe('WRONG_PHASE'); // no complaint to answer yet
  observer.receive(seal(parties[3]!.identity, { session: observer.session, complaint: { recipient: 4, accused: 2 } }));
  expect(observer.status().unanswered).toEqual([{ recipient: 4, accused: 2 }]);
  expect(observer.receive(justify()).fault).toBeUndefined();
  expect(observer.status().unanswered).toEqual([]);
  // a second answer to the same complaint is refused
  expect(code(() => observer.receive(justify()))).toBe('EQUIVOCATION');
  // a complaint that carries evidence is not answered by a justification
  const evidence = decodeEnvelope(engines[2]!.sentShares().get(1)!);
  observer.receive(seal(parties[0]!.identity, { session: observer.session, complaint: { recipient: 1, accused: 3, evidence } }));
  expect(code(() => observer.receive(seal(parties[2]!.identity, { session: observer.session, justification: { share: evidence } })))).toBe('WRONG_PHASE');
});

test('oversized messages are refused by their cap; an oversized private share counts as missing, so its complaint carries no evidence', () => {
  const parties = makeParties(4);
  // dealer 2 signs a 500-byte share for receiver 4 (an honest one is 32 bytes)
  const fat: ShareFilter = (d, r, env) => (d === 2 && r === 4 ? seal(parties[1]!.identity, { session: decodeBody(decodeEnvelope(env).body).session, share: { dealer: d, recipient: r, value: randomBytes(500) } }) : env);
  let refused = '';
  const { engines, observer } = dealAll(parties, (d, r, env) => {
    const out = fat(d, r, env)!;
    if (out !== env) refused = code(() => dkg(parties, parties[3]!.identity).receive(out));
    return out === env ? env : undefined;
  });
  expect(refused).toBe('MALFORMED');
  const complaints = engines[3]!.complain().map((o) => decodeBody(decodeEnvelope(o.envelope).body));
  expect(complaints).toHaveLength(1);
  expect(complaints[0]).toMatchObject({ complaint: { recipient: 4, accused: 2 } });
  expect((complaints[0] as { complaint: { evidence?: { body: Uint8Array } } }).complaint.evidence?.body.length ?? 0).toBe(0);

  // a dealing with a 2000-byte "proof" (an honest one is 65 bytes): refused, not recorded
  const p = makeParties(4);
  const o = dkg(p, IdentityKey.generate());
  const big = seal(p[0]!.identity, { session: o.session, dealing: { dealer: 1, commitments: commitPolynomial(randomPolynomial(7n, thresholdFor(4))), proofOfKnowledge: randomBytes(2000) } });
  expect(big.length).toBeGreaterThan(o.limits.dealing);
  expect(code(() => o.receive(big))).toBe('MALFORMED');
  expect(o.status().dealings).toEqual([]);
  // junk evidence in a complaint
  const junk = { body: randomBytes(3000), signature: randomBytes(64) };
  expect(code(() => observer.receive(seal(parties[0]!.identity, { session: observer.session, complaint: { recipient: 1, accused: 2, evidence: junk } })))).toBe('MALFORMED');
});

test('check() throws exactly when receive() would, with the same code, and changes nothing', () => {
  const parties = makeParties(4);
  const { engines, observer } = dealAll(parties);
  const share = decodeEnvelope(engines[1]!.sentShares().get(4)!);
  const shareBody = decodeBody(share.body) as { share: { dealer: number; recipient: number; value: Uint8Array } };
  const resigned = decodeEnvelope(seal(parties[1]!.identity, { session: observer.session, share: shareBody.share }));
  const msgs = [
    publicOf(dkg(parties, parties[0]!.identity).start()), // equivocation: accepted
    publicOf(dkg(parties, parties[0]!.identity).start()), // a third dealing: refused
    seal(parties[1]!.identity, { session: observer.session, justification: { share } }), // nothing to answer
    seal(parties[3]!.identity, { session: observer.session, complaint: { recipient: 4, accused: 2 } }),
    seal(parties[1]!.identity, { session: observer.session, justification: { share } }),
    seal(parties[1]!.identity, { session: observer.session, justification: { share } }), // the same body: a replay
    seal(parties[1]!.identity, { session: observer.session, justification: { share: resigned } }), // answered already
    seal(parties[3]!.identity, { session: observer.session, complaint: { recipient: 4, accused: 2 } }), // the same complaint again: a replay
    new Uint8Array([1, 2, 3]),
  ];
  const codes: string[] = [];
  for (const m of msgs) {
    const before = JSON.stringify(observer.status());
    const checked = code(() => observer.check(m));
    expect(JSON.stringify(observer.status())).toBe(before);
    expect(code(() => observer.check(m))).toBe(checked); // twice: check() recorded nothing
    expect(code(() => observer.receive(m))).toBe(checked);
    codes.push(checked);
  }
  expect(codes).toEqual(['none', 'EQUIVOCATION', 'WRONG_PHASE', 'none', 'none', 'REPLAY', 'EQUIVOCATION', 'REPLAY', 'MALFORMED']);
});

test('honest worst case fits: every receiver complains of every other dealer, every dealer justifies, every message under its cap and the total under the session bound', () => {
  for (const n of [1, 4, 10]) {
    const parties = makeParties(n);
    const { engines, observer, dealings } = dealAll(parties, () => undefined); // no private share arrives
    const limits = observer.limits;
    const sizes: Record<string, number[]> = { dealing: dealings.map((d) => d.length), complaint: [], justification: [] };
    const queue: Uint8Array[] = engines.flatMap((e) => e.complain().map((o) => o.envelope));
    while (queue.length) {
      const env = queue.shift()!;
      const payload = decodeBody(decodeEnvelope(env).body).payload;
      sizes[payload]!.push(env.length);
      observer.receive(env);
      for (const e of engines) {
        try {
          for (const o of e.receive(env).outbound) queue.push(o.envelope);
        } catch {
          // its own message: REPLAY
        }
      }
    }
    expect(sizes.complaint).toHaveLength(n * (n - 1));
    expect(sizes.justification).toHaveLength(n * (n - 1));
    expect(Math.max(0, ...sizes.dealing!)).toBeLessThanOrEqual(limits.dealing);
    expect(Math.max(0, ...sizes.complaint!)).toBeLessThanOrEqual(limits.complaint);
    expect(Math.max(0, ...sizes.justification!)).toBeLessThanOrEqual(limits.justification);
    const total = [...sizes.dealing!, ...sizes.complaint!, ...sizes.justification!].reduce((a, b) => a + b, 0) + n * limits.ready;
    expect(total).toBeLessThanOrEqual(limits.session);
    expect(observer.status().unanswered).toEqual([]);
  }
});

test('reshare and refresh dealings (no proof, t or t-1 commitments) fit their caps; a proof on them does not', () => {
  const old = makeParties(4);
  const results = runDkg(old);
  const pkg = [...results.values()][0]!.public;
  const newParties = makeParties(5);
  const r = new ReshareEngine({ old: pkg, newMembers: newParties.map((p) => p.member), newEpoch: 1, identity: old[0]!.identity, oldShare: results.get(hex(old[0]!.identity.publicKey))!.secret! });
  const dealing = publicOf(r.start());
  expect(dealing.length).toBeLessThanOrEqual(r.limits.dealing);
  const body = decodeBody(decodeEnvelope(dealing).body) as { dealing: { dealer: number; commitments: Uint8Array[] } };
  const proved = seal(old[0]!.identity, { session: r.session, dealing: { ...body.dealing, proofOfKnowledge: randomBytes(65) } });
  const observer = new ReshareEngine({ old: pkg, newMembers: newParties.map((p) => p.member), newEpoch: 1, identity: IdentityKey.generate() });
  expect(code(() => observer.receive(proved))).toBe('MALFORMED');
  expect(code(() => observer.receive(dealing))).toBe('none');
  const f = new RefreshEngine({ current: pkg, share: results.get(hex(old[1]!.identity.publicKey))!.secret!, newEpoch: 1, identity: old[1]!.identity });
  expect(publicOf(f.start()).length).toBeLessThanOrEqual(f.limits.dealing);
  expect(f.limits.dealing).toBeLessThan(r.limits.dealing); // t-1 commitments, not t
});
