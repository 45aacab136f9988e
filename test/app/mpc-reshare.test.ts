// Reshare, refresh, committee changes at epoch boundaries, CheckTx and determinism of the MPC
// lifecycle (app/mpc-sessions.ts) against simulated sidecars running the real engines.
import { randomBytes } from 'node:crypto';
import { toHex } from '../../common/bytes.js';
import { IdentityKey } from '../../mpc/identity.js';
import { seal } from '../../mpc/envelope.js';
import { MpcKind, MpcSessionStatus, SequencerStatus } from '../../proto/seqpool.js';
import { checkMpcPublic, currentKey, openSession } from '../../app/mpc-sessions.js';
import { clearObserverMemo } from '../../app/mpc-transcript.js';
import { Fn, scalarBytes } from '../../mpc/suite.js';
import { makeSidecars, runUntilClosed, Sidecar, SimChain } from './mpc-harness.js';
import { signWith, verifySignature } from '../mpc/helpers.js';

function genesis(n: number, params = {}) {
  const cars = makeSidecars(n);
  const chain = new SimChain(
    cars.map((c) => c.seq),
    params,
  );
  chain.block([]);
  runUntilClosed(chain, cars);
  const key = currentKey(chain.state, 'committed')!;
  expect(key).toBeDefined();
  return { chain, cars, key };
}

function expectSidecarsAgree(chain: SimChain, cars: Sidecar[]) {
  const key = currentKey(chain.state, 'committed')!;
  const sid = toHex(key.session);
  const holders = cars.filter((c) => c.results.has(sid) && c.secret);
  expect(holders.length).toBe(key.members.length);
  for (const c of holders) {
    const pub = c.results.get(sid)!.public;
    expect(toHex(pub.groupKey)).toBe(toHex(key.groupKey));
    expect(key.members.map((m) => toHex(pub.verifyingShares[m.index]!))).toEqual(key.verifyingShares.map(toHex));
    const me = key.members.find((m) => toHex(m.identity) === c.hex)!;
    expect(c.secret!.index).toBe(me.index);
  }
  const pub = holders[0]!.results.get(sid)!.public;
  const msg = randomBytes(32);
  const sig = signWith(holders.slice(-key.threshold).map((c) => ({ public: pub, secret: c.secret! })), msg);
  expect(verifySignature(sig, msg, key.groupKey)).toBe(true);
  return key;
}

test('reshare 4 -> 5 at an epoch boundary keeps the group key; new verifying shares match the sidecars', () => {
  const { chain, cars, key: k0 } = genesis(4);
  const newcomer = new Sidecar(IdentityKey.generate());
  chain.addSequencer(newcomer.seq);
  const all = [...cars, newcomer];
  chain.block([], 1n);
  const s = openSession(chain.state, 'committed')!;
  expect(s.kind).toBe(MpcKind.RESHARE);
  expect(s.forEpoch).toBe(1n);
  expect(s.keyEpoch).toBe(1);
  expect(s.dealers.map((m) => toHex(m.address))).toEqual(k0.members.map((m) => toHex(m.address)));
  expect(s.receivers.map((m) => m.index)).toEqual([1, 2, 3, 4, 5]);
  expect(s.threshold).toBe(4);
  expect(chain.events.at(-1)!.attributes[1]!.value).toBe('reshare');
  // a second boundary while the reshare runs opens nothing
  chain.block([], 2n);
  expect(toHex(openSession(chain.state, 'committed')!.id)).toBe(toHex(s.id));
  runUntilClosed(chain, all);
  expect(chain.session(toHex(s.id))!.status).toBe(MpcSessionStatus.DONE);
  const k1 = expectSidecarsAgree(chain, all);
  expect(toHex(k1.groupKey)).toBe(toHex(k0.groupKey));
  expect(k1.keyEpoch).toBe(1);
  expect(k1.members.length).toBe(5);
  expect(chain.jails).toEqual([]);
  // same committee at the next boundary, refresh disabled: nothing opens
  chain.block([], 3n);
  expect(openSession(chain.state, 'committed')).toBeUndefined();
});

test('a jailed holder is left out: reshare 4 -> 3 dealt by the unjailed holders', () => {
  const { chain, cars, key: k0 } = genesis(4);
  const out = cars.find((c) => c.hex === toHex(k0.members[2]!.identity))!;
  chain.addSequencer({ ...chain.state.sequencer(out.seq.address)!, jailed: true, jailReason: 'test' });
  chain.block([], 1n);
  const s = openSession(chain.state, 'committed')!;
  expect(s.dealers.map((d) => d.index)).toEqual([1, 2, 4]);
  expect(s.receivers.length).toBe(3);
  expect(s.threshold).toBe(3);
  runUntilClosed(chain, cars);
  const k1 = expectSidecarsAgree(chain, cars);
  expect(toHex(k1.groupKey)).toBe(toHex(k0.groupKey));
  expect(k1.members.some((m) => toHex(m.identity) === out.hex)).toBe(false);
});

test('an exiting holder that went silent: the reshare closes right after the deal deadline, not at its final height', () => {
  const { chain, cars, key: k0 } = genesis(5);
  const leaving = cars.find((c) => c.hex === toHex(k0.members[1]!.identity))!;
  chain.addSequencer({ ...chain.state.sequencer(leaving.seq.address)!, status: SequencerStatus.UNLOCKING, power: 0n });
  leaving.behaviour.silent = true;
  chain.block([], 1n);
  const s = openSession(chain.state, 'committed')!;
  expect(s.kind).toBe(MpcKind.RESHARE);
  expect(s.dealers.map((d) => d.index)).toEqual([1, 2, 3, 4, 5]);
  expect(s.receivers.length).toBe(4);
  runUntilClosed(chain, cars);
  const closed = chain.session(toHex(s.id))!;
  expect(closed.status).toBe(MpcSessionStatus.DONE);
  expect(closed.closedHeight).toBeGreaterThan(closed.dealDeadline);
  expect(closed.closedHeight).toBeLessThanOrEqual(closed.dealDeadline + 2n);
  expect(closed.closedHeight).toBeLessThan(closed.finalHeight);
  expect(closed.faults.map((f) => [f.index, f.reason])).toEqual([[2, 'silent']]);
  expect(chain.jails).toEqual([]);
  const k1 = expectSidecarsAgree(chain, cars.filter((c) => c !== leaving));
  expect(toHex(k1.groupKey)).toBe(toHex(k0.groupKey));
  expect(k1.members.some((m) => toHex(m.identity) === leaving.hex)).toBe(false);
});

test('refresh at a due boundary keeps the key and changes every verifying share', () => {
  const { chain, cars, key: k0 } = genesis(4, { refreshEveryEpochs: 2 });
  chain.block([], 1n); // not due
  expect(openSession(chain.state, 'committed')).toBeUndefined();
  chain.block([], 2n);
  const s = openSession(chain.state, 'committed')!;
  expect(s.kind).toBe(MpcKind.REFRESH);
  runUntilClosed(chain, cars);
  const k1 = expectSidecarsAgree(chain, cars);
  expect(toHex(k1.groupKey)).toBe(toHex(k0.groupKey));
  expect(k1.keyEpoch).toBe(1);
  expect(k1.members.map((m) => toHex(m.address))).toEqual(k0.members.map((m) => toHex(m.address)));
  k1.verifyingShares.forEach((v, i) => expect(toHex(v)).not.toBe(toHex(k0.verifyingShares[i]!)));
});

test('CheckTx judges against committed state without changing it', () => {
  const cars = makeSidecars(3);
  const chain = new SimChain(cars.map((c) => c.seq));
  chain.block([]);
  const s = openSession(chain.state, 'committed')!;
  for (const c of cars) c.sync(chain);
  const env = cars[0]!.act(cars)[0]!;
  const root = toHex(chain.store.committedRoot());
  expect(checkMpcPublic(chain.state, 'committed', { session: s.id, envelope: env }, cars[0]!.seq, chain.height + 1n)).toBeUndefined();
  // twice: CheckTx never records anything
  expect(checkMpcPublic(chain.state, 'committed', { session: s.id, envelope: env }, cars[0]!.seq)).toBeUndefined();
  expect(checkMpcPublic(chain.state, 'committed', { session: s.id, envelope: env }, cars[1]!.seq)).toMatch(/not the tx signer/);
  expect(checkMpcPublic(chain.state, 'committed', { session: s.id, envelope: env }, cars[0]!.seq, s.dealDeadline + 1n)).toMatch(/after height/);
  const stranger = new Sidecar(IdentityKey.generate());
  expect(checkMpcPublic(chain.state, 'committed', { session: s.id, envelope: env }, stranger.seq)).toMatch(/not the tx signer/);
  const own = seal(stranger.identity, { session: s.id, ready: { recipient: 1, dealers: [] } });
  expect(checkMpcPublic(chain.state, 'committed', { session: s.id, envelope: own }, stranger.seq)).toMatch(/neither a dealer nor a receiver/);
  expect(toHex(chain.store.committedRoot())).toBe(root);
  expect(chain.store.hasPending()).toBe(false);
  expect(chain.block([{ msg: { session: s.id, envelope: env }, signer: cars[0]!.seq.address }])).toEqual([undefined]);
});

test('determinism: a second State fed the same blocks (memo cleared each block) reaches the same roots', () => {
  const cars = makeSidecars(4);
  const a = new SimChain(cars.map((c) => c.seq));
  a.block([]);
  const s = openSession(a.state, 'committed')!;
  const bad = cars.find((c) => c.hex === toHex(s.dealers[0]!.identity))!;
  bad.behaviour.tamperShare = (r, v) => (r === 2 ? scalarBytes(Fn.add(Fn.fromBytes(v), 5n)) : undefined);
  runUntilClosed(a, cars);
  const newcomer = new Sidecar(IdentityKey.generate());
  a.addSequencer(newcomer.seq);
  a.block([], 1n); // the jailed dealer leaves, the newcomer joins: reshare
  expect(openSession(a.state, 'committed')!.kind).toBe(MpcKind.RESHARE);
  runUntilClosed(a, [...cars, newcomer]);
  expect(a.jails.length).toBe(1);

  const b = new SimChain(cars.map((c) => c.seq));
  a.blocks.forEach((blk, i) => {
    if (i === a.blocks.findIndex((x) => x.boundary === 1n)) b.addSequencer(newcomer.seq);
    clearObserverMemo();
    const res = b.block(blk.txs, blk.boundary);
    expect(res.every((r) => r === undefined)).toBe(true);
    expect(b.roots[i]).toBe(a.roots[i]);
  });
  expect(toHex(b.store.committedRoot())).toBe(toHex(a.store.committedRoot()));
  expect(b.jails).toEqual(a.jails);
});
