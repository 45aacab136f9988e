// The MPC lifecycle as replicated state: sessions opened, judged and finalised by the app with the
// engines the sidecars run, on a real StateStore, against simulated sidecars (test/app/mpc-harness.ts).
import { toHex } from '../../common/bytes.js';
import { seal } from '../../mpc/envelope.js';
import { decodeBody, decodeEnvelope } from '../../proto/mpc.js';
import { Fn, scalarBytes } from '../../mpc/suite.js';
import { encodeL1GroupKey } from '../../mpc/l1.js';
import { MpcKind, MpcSessionStatus } from '../../proto/seqpool.js';
import { currentKey, deliverMpcPublic, mpcQuery, openSession } from '../../app/mpc-sessions.js';
import { QueryCode } from '../../protocol/codes.js';
import { makeSidecars, runUntilClosed, SimChain, type Sidecar, type Tx } from './mpc-harness.js';
import { signWith, verifySignature } from '../mpc/helpers.js';
import { randomBytes } from 'node:crypto';

function setup(n: number, params = {}): { chain: SimChain; cars: Sidecar[] } {
  const cars = makeSidecars(n);
  const chain = new SimChain(
    cars.map((c) => c.seq),
    params,
  );
  return { chain, cars };
}

/** The sidecars' final packages of `session` all equal the chain's key. */
function expectKeyMatchesSidecars(chain: SimChain, cars: Sidecar[], session: string) {
  const key = currentKey(chain.state, 'committed')!;
  expect(toHex(key.session)).toBe(session);
  const results = cars.filter((c) => c.results.has(session)).map((c) => c.results.get(session)!);
  expect(results.length).toBeGreaterThan(0);
  for (const r of results) {
    expect(toHex(r.public.groupKey)).toBe(toHex(key.groupKey));
    expect(r.public.threshold).toBe(key.threshold);
    expect(r.public.members.map((m) => m.index)).toEqual(key.members.map((m) => m.index));
    expect(key.members.map((m) => toHex(r.public.verifyingShares[m.index]!))).toEqual(key.verifyingShares.map(toHex));
    expect(r.public.commitments.map(toHex)).toEqual(key.commitments.map(toHex));
  }
  return key;
}

function assertSigns(cars: Sidecar[], groupKey: Uint8Array) {
  const holders = cars.filter((c) => c.secret);
  const sessionHex = [...holders[0]!.results.keys()].pop()!;
  const pub = holders[0]!.results.get(sessionHex)!.public;
  const shares = holders.slice(0, pub.threshold).map((c) => ({ public: pub, secret: c.secret! }));
  const msg = randomBytes(32);
  expect(verifySignature(signWith(shares, msg), msg, groupKey)).toBe(true);
}

test('genesis DKG: opens at the first block, finalises early on Ready, key equals every sidecar result, queries answer', () => {
  const { chain, cars } = setup(4);
  chain.block([]);
  const s = openSession(chain.state, 'committed')!;
  expect(s.kind).toBe(MpcKind.DKG);
  expect(s.receivers.map((m) => m.index)).toEqual([1, 2, 3, 4]);
  expect(s.threshold).toBe(3);
  expect(s.finalHeight).toBe(1n + 9n);
  expect(chain.events.find((e) => e.type === 'mpc_session_opened')!.attributes).toEqual([
    { key: 'session', value: toHex(s.id), index: true },
    { key: 'kind', value: 'dkg', index: true },
  ]);
  // addresses sorted: index order is address order
  const addrs = s.receivers.map((m) => toHex(m.address));
  expect([...addrs].sort()).toEqual(addrs);

  runUntilClosed(chain, cars);
  const closed = chain.session(toHex(s.id))!;
  expect(closed.status).toBe(MpcSessionStatus.DONE);
  expect(closed.closedHeight).toBeLessThan(closed.finalHeight); // Ready made it finalise early
  expect(closed.ready).toEqual([1, 2, 3, 4]);
  expect(closed.faults).toEqual([]);
  expect(chain.jails).toEqual([]);
  const key = expectKeyMatchesSidecars(chain, cars, toHex(s.id));
  expect(key.members.length).toBe(4);
  expect(key.keyEpoch).toBe(0);
  expect(key.keyId).toBe('seqpool');
  assertSigns(cars, key.groupKey);
  expect(chain.events.find((e) => e.type === 'mpc_session_closed')!.attributes.map((a) => a.value)).toEqual([toHex(s.id), 'done']);
  expect(openSession(chain.state, 'committed')).toBeUndefined();

  // no second DKG once the key exists
  chain.block([]);
  expect(openSession(chain.state, 'committed')).toBeUndefined();

  const q = mpcQuery(chain.state, '/mpc/key')!;
  expect(q.code).toBe(0);
  const v = q.value as { groupKey: string; groupKeyL1: string; members: { index: number; address: string; verifyingShare: string }[]; session: string; threshold: number };
  expect(v.groupKey).toBe(toHex(key.groupKey));
  expect(v.groupKeyL1).toBe(`0x${toHex(encodeL1GroupKey(key.groupKey))}`);
  expect(v.members[0]!.address).toBe(toHex(key.members[0]!.address).toUpperCase());
  expect(v.members.map((m) => m.verifyingShare)).toEqual(key.verifyingShares.map(toHex));
  expect(v.threshold).toBe(3);
  const cur = mpcQuery(chain.state, '/mpc/session/current')!.value as { id: string; status: string; transcript: string[] };
  expect(cur.id).toBe(toHex(s.id));
  expect(cur.status).toBe('done');
  expect(cur.transcript.length).toBe(closed.transcript.length);
  expect((mpcQuery(chain.state, `/mpc/session/${toHex(s.id).toUpperCase()}`)!.value as { id: string }).id).toBe(toHex(s.id));
  expect(mpcQuery(chain.state, `/mpc/session/${'00'.repeat(32)}`)!.code).toBe(QueryCode.NOT_FOUND);
  expect(mpcQuery(chain.state, '/epoch/current')).toBeUndefined();
});

test('queries before any session: NOT_FOUND', () => {
  const { chain } = setup(1);
  expect(mpcQuery(chain.state, '/mpc/key')!.code).toBe(QueryCode.NOT_FOUND);
  expect(mpcQuery(chain.state, '/mpc/session/current')!.code).toBe(QueryCode.NOT_FOUND);
});

test('a dealer sending a bad share is accused with evidence, jailed, and the DKG succeeds without it', () => {
  const { chain, cars } = setup(4);
  chain.block([]);
  const s = openSession(chain.state, 'committed')!;
  const bad = cars.find((c) => toHex(c.seq.address) === toHex(s.dealers[1]!.address))!;
  bad.behaviour.tamperShare = (recipient, value) => (recipient === 3 ? scalarBytes(Fn.add(Fn.fromBytes(value), 1n)) : undefined);
  runUntilClosed(chain, cars);
  const closed = chain.session(toHex(s.id))!;
  expect(closed.status).toBe(MpcSessionStatus.DONE);
  expect(closed.faults.map((f) => [f.index, f.reason])).toEqual([[2, 'bad-share']]);
  expect(chain.jails).toEqual([{ address: toHex(bad.seq.address), reason: 'mpc dkg: bad-share' }]);
  expect(chain.state.sequencer(bad.seq.address)!.jailed).toBe(true);
  const key = expectKeyMatchesSidecars(chain, cars.filter((c) => c !== bad), toHex(s.id));
  expect(key.members.map((m) => m.index)).toEqual([1, 3, 4]);
  assertSigns(cars.filter((c) => c !== bad), key.groupKey);
});

test('the genesis DKG waits for every committee member to bind its MPC peer, 3 phases at most', () => {
  // P = 3 (SimChain). One validator's sidecar is not up: nothing opens until it binds.
  const { chain, cars } = setup(4);
  const late = cars[2]!.seq;
  chain.addSequencer({ ...late, peer: undefined });
  chain.block([]);
  chain.block([]);
  expect(openSession(chain.state, 'committed')).toBeUndefined();
  chain.addSequencer(late); // its BindPeer landed
  chain.block([]);
  expect(openSession(chain.state, 'committed')).toMatchObject({ kind: MpcKind.DKG, openedHeight: 3n });
  expect(openSession(chain.state, 'committed')!.dealers).toHaveLength(4);
  // One that never comes: the DKG opens at the first block + 3P without waiting longer.
  const other = setup(4);
  other.chain.addSequencer({ ...other.cars[0]!.seq, peer: undefined });
  for (let h = 1; h <= 9; h++) other.chain.block([]);
  expect(openSession(other.chain.state, 'committed')).toBeUndefined();
  other.chain.block([]);
  expect(openSession(other.chain.state, 'committed')).toMatchObject({ openedHeight: 10n });
});

test('a silent dealer: finalised at final_height without it, recorded as silent, not jailed (silence proves nothing)', () => {
  const { chain, cars } = setup(4);
  chain.block([]);
  const s = openSession(chain.state, 'committed')!;
  const silent = cars.find((c) => toHex(c.seq.address) === toHex(s.dealers[3]!.address))!;
  silent.behaviour.silent = true;
  runUntilClosed(chain, cars);
  const closed = chain.session(toHex(s.id))!;
  expect(closed.status).toBe(MpcSessionStatus.DONE);
  expect(closed.closedHeight).toBe(closed.finalHeight);
  expect(closed.faults.map((f) => [f.index, f.reason])).toEqual([[4, 'silent']]);
  expect(chain.jails).toEqual([]);
  const key = expectKeyMatchesSidecars(chain, cars.filter((c) => c !== silent), toHex(s.id));
  expect(key.members.map((m) => m.index)).toEqual([1, 2, 3]);
});

test('too few dealers: FAILED, silent parties left out of the retry (not jailed), attempt + 1 opens at once without them and succeeds', () => {
  const { chain, cars } = setup(4);
  chain.block([]);
  const s = openSession(chain.state, 'committed')!;
  const silent = [2, 3].map((i) => cars.find((c) => toHex(c.seq.address) === toHex(s.dealers[i]!.address))!);
  for (const c of silent) c.behaviour.silent = true;
  runUntilClosed(chain, cars);
  const first = chain.session(toHex(s.id))!;
  expect(first.status).toBe(MpcSessionStatus.FAILED);
  expect(first.failure).toMatch(/NOT_ENOUGH_PARTICIPANTS/);
  expect(first.faults.map((f) => f.reason)).toEqual(['silent', 'silent']);
  expect(chain.jails).toEqual([]);
  const key = currentKey(chain.state, 'committed')!;
  const retry = chain.session(toHex(key.session))!;
  expect(retry.attempt).toBe(1);
  expect(retry.openedHeight).toBe(first.closedHeight);
  expect(retry.receivers.map((m) => m.index)).toEqual([1, 2]);
  expect(retry.threshold).toBe(2);
  expect(chain.events.filter((e) => e.type === 'mpc_session_closed').map((e) => e.attributes[1]!.value)).toEqual(['failed', 'done']);
  expectKeyMatchesSidecars(chain, cars.filter((c) => !silent.includes(c)), toHex(retry.id));
});

test('nobody deals (sidecars not up yet): FAILED, nobody jailed, the retry keeps every member', () => {
  const { chain, cars } = setup(4);
  chain.block([]);
  const s = openSession(chain.state, 'committed')!;
  for (const c of cars) c.behaviour.silent = true;
  for (let i = 0; i < 40 && chain.session(toHex(s.id))!.status === MpcSessionStatus.OPEN; i++) chain.block([]);
  expect(chain.session(toHex(s.id))!.status).toBe(MpcSessionStatus.FAILED);
  expect(chain.jails).toEqual([]);
  const retry = openSession(chain.state, 'committed')!;
  expect(retry.attempt).toBe(1);
  expect(retry.receivers.map((m) => toHex(m.address))).toEqual(s.receivers.map((m) => toHex(m.address)));
});

test('invalid MpcPublic txs are rejected with state unchanged', () => {
  const { chain, cars } = setup(4);
  chain.block([]);
  const s = openSession(chain.state, 'committed')!;
  for (const c of cars) c.sync(chain);
  const [a, b] = [0, 1].map((i) => cars.find((c) => c.hex === toHex(s.receivers[i]!.identity))!) as [Sidecar, Sidecar]; // indices 1 and 2
  const dealing = a.act(cars)[0]!;
  const ok = { msg: { session: s.id, envelope: dealing }, signer: a.seq.address };
  const root = () => toHex(chain.store.workingRoot());
  const expectRejected = (txs: Tx[], pattern: RegExp) => {
    const before = root();
    for (const t of txs) expect(deliverMpcPublicAt(chain, t, chain.height)).toMatch(pattern);
    expect(chain.store.hasPending()).toBe(false);
    expect(root()).toBe(before);
  };
  // wrong signer: b submits a's envelope
  expectRejected([{ ...ok, signer: b.seq.address }], /sender is not the tx signer/);
  // wrong session
  expectRejected([{ ...ok, msg: { ...ok.msg, session: new Uint8Array(32).fill(7) } }], /not the open session/);
  const other = seal(a.identity, { session: new Uint8Array(32).fill(7), ready: { recipient: 1, dealers: [] } });
  expectRejected([{ ...ok, msg: { session: s.id, envelope: other } }], /another session/);
  // bad signature
  const forged = dealing.slice();
  forged[forged.length - 1]! ^= 1;
  expectRejected([{ ...ok, msg: { ...ok.msg, envelope: forged } }], /BAD_SIGNATURE|envelope rejected/);
  // Ready naming a dealer without a dealing
  const early = seal(a.identity, { session: s.id, ready: { recipient: 1, dealers: [2] } });
  expectRejected([{ ...ok, msg: { session: s.id, envelope: early } }], /no dealing on chain/);
  const wrongIdx = seal(a.identity, { session: s.id, ready: { recipient: 2, dealers: [] } });
  expectRejected([{ ...ok, msg: { session: s.id, envelope: wrongIdx } }], /Ready for receiver 2 sent by receiver 1/);
  const share = seal(a.identity, { session: s.id, share: { dealer: 1, recipient: 2, value: new Uint8Array(32) } });
  expectRejected([{ ...ok, msg: { session: s.id, envelope: share } }], /does not belong on chain/);

  // accepted once, then a replay
  expect(chain.block([ok])).toEqual([undefined]);
  expect(chain.session(toHex(s.id))!.transcript.length).toBe(1);
  expectRejected([ok], /REPLAY/);
  const ready = seal(a.identity, { session: s.id, ready: { recipient: 1, dealers: [1] } });
  expect(chain.block([{ ...ok, msg: { session: s.id, envelope: ready } }])).toEqual([undefined]);
  expectRejected([{ ...ok, msg: { session: s.id, envelope: ready } }], /receiver 1 already sent its Ready/);

  // late: b's dealing after the deal deadline
  for (const c of cars) c.sync(chain);
  const bDealing = b.act(cars)[0]!;
  while (chain.height < s.dealDeadline) chain.block([]);
  expectRejected([{ msg: { session: s.id, envelope: bDealing }, signer: b.seq.address }], /dealing after height/);
});

/** Delivers one tx as part of block `height + 1` without ending or committing the block. */
function deliverMpcPublicAt(chain: SimChain, t: Tx, height: bigint): string | undefined {
  const ctx = { ...chain.ctx(), height: height + 1n };
  return deliverMpcPublic(chain.state, t.msg, chain.state.sequencer(t.signer)!, ctx);
}

test('a missing share is answered by a public Justification: no fault, the DKG completes early', () => {
  const { chain, cars } = setup(4);
  chain.block([]);
  const s = openSession(chain.state, 'committed')!;
  const dealer = cars.find((c) => c.hex === toHex(s.dealers[0]!.identity))!;
  dealer.behaviour.dropShareTo = 4;
  runUntilClosed(chain, cars);
  const closed = chain.session(toHex(s.id))!;
  const payloads = closed.transcript.map((e) => decodeBody(decodeEnvelope(e).body).payload);
  expect(payloads).toContain('complaint');
  expect(payloads).toContain('justification');
  expect(closed.status).toBe(MpcSessionStatus.DONE);
  expect(closed.faults).toEqual([]);
  expect(closed.closedHeight).toBeLessThan(closed.finalHeight);
  const key = expectKeyMatchesSidecars(chain, cars, toHex(s.id));
  expect(key.members.length).toBe(4);
});

test('a false complaint (valid share as evidence) jails the complainer, not the dealer', () => {
  const { chain, cars } = setup(4);
  chain.block([]);
  const s = openSession(chain.state, 'committed')!;
  const liar = cars.find((c) => c.hex === toHex(s.receivers[2]!.identity))!;
  for (const c of cars) c.sync(chain);
  const txs: Tx[] = [];
  for (const c of cars) for (const env of c.act(cars)) txs.push({ msg: { session: s.id, envelope: env }, signer: c.seq.address });
  expect(chain.block(txs).every((r) => r === undefined)).toBe(true);
  const evidence = liar.received.map((e) => decodeEnvelope(e)).find((e) => (decodeBody(e.body) as { share?: { dealer: number } }).share?.dealer === 1)!;
  const complaint = seal(liar.identity, { session: s.id, complaint: { recipient: 3, accused: 1, evidence } });
  expect(chain.block([{ msg: { session: s.id, envelope: complaint }, signer: liar.seq.address }])).toEqual([undefined]);
  runUntilClosed(chain, cars);
  const closed = chain.session(toHex(s.id))!;
  expect(closed.status).toBe(MpcSessionStatus.DONE);
  expect(closed.faults.map((f) => [f.index, f.reason])).toEqual([[3, 'false-complaint']]);
  expect(chain.jails).toEqual([{ address: toHex(liar.seq.address), reason: 'mpc dkg: false-complaint' }]);
  expect(currentKey(chain.state, 'committed')!.members.length).toBe(4);
});
