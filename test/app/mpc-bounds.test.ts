// An MPC session's on-chain transcript is bounded (decision 28): one Ready per receiver, one
// justification per missing-share complaint, two dealings per dealer at most, a byte bound per
// session, all refused in CheckTx and again in FinalizeBlock; and CheckTx does the same engine work
// whatever the transcript's length (counted in engine calls, not timed).
import { afterEach } from '@jest/globals';
import { toHex } from '../../common/bytes.js';
import { seal } from '../../mpc/envelope.js';
import { DkgEngine } from '../../mpc/keys/dkg.js';
import { transcriptLimits } from '../../mpc/keys/transcript-limits.js';
import { VssSession } from '../../mpc/keys/vss-session.js';
import { decodeBody, decodeEnvelope } from '../../proto/mpc.js';
import { MpcSessionStatus, type MpcSession } from '../../proto/seqpool.js';
import { checkMpcPublic, deliverMpcPublic, openSession } from '../../app/mpc-sessions.js';
import { writeSession } from '../../app/mpc-state.js';
import { clearObserverMemo } from '../../app/mpc-transcript.js';
import { makeSidecars, runUntilClosed, SimChain, type Sidecar, type Tx } from './mpc-harness.js';

function setup(n: number) {
  const cars = makeSidecars(n);
  const chain = new SimChain(
    cars.map((c) => c.seq),
    { mpcPhaseBlocks: 10 }, // room for the phases these tests walk through one block at a time
  );
  chain.block([]);
  const s = openSession(chain.state, 'committed')!;
  for (const c of cars) c.sync(chain);
  const byIndex = (i: number) => cars.find((c) => c.hex === toHex(s.receivers[i - 1]!.identity))!;
  return { chain, cars, s, byIndex };
}

const tx = (s: MpcSession, c: Sidecar, envelope: Uint8Array): Tx => ({ msg: { session: s.id, envelope }, signer: c.seq.address });
const publicOf = (out: { channel: string; envelope: Uint8Array }[]) => out.find((o) => o.channel === 'public')!.envelope;

/** CheckTx against committed state (at the next height), as the mempool runs it. */
const checkTx = (chain: SimChain, t: Tx) => checkMpcPublic(chain.state, 'committed', t.msg, chain.state.sequencer(t.signer, 'committed')!, chain.height + 1n);

/** Delivers one tx in block `height + 1` without ending or committing it (FinalizeBlock's judgement). */
function deliverOnly(chain: SimChain, t: Tx): string | undefined {
  const r = deliverMpcPublic(chain.state, t.msg, chain.state.sequencer(t.signer)!, { ...chain.ctx(), height: chain.height + 1n });
  chain.store.discard(); // a refusal changed nothing; an (old-code) acceptance must not leak into the next block
  return r;
}

function expectRefused(chain: SimChain, t: Tx, pattern: RegExp) {
  const root = toHex(chain.store.committedRoot());
  expect(checkTx(chain, t)).toMatch(pattern);
  expect(deliverOnly(chain, t)).toMatch(pattern);
  expect(toHex(chain.store.committedRoot())).toBe(root);
}

/** A second dealing by `c` (a fresh polynomial): equivocation. */
const redeal = (s: MpcSession, c: Sidecar): Tx =>
  tx(s, c, publicOf(new DkgEngine({ keyId: 'seqpool', epoch: s.keyEpoch, attempt: s.attempt, members: s.receivers.map((m) => ({ index: m.index, identity: m.identity })), threshold: s.threshold, identity: c.identity }).start()));

/** Every member deals; private shares are not delivered (so every receiver has something to complain of). */
function dealWithoutShares(chain: SimChain, cars: Sidecar[], s: MpcSession) {
  for (const c of cars) c.dealt = true;
  expect(chain.block(cars.map((c) => tx(s, c, publicOf(c.engine!.start()))))).toEqual(cars.map(() => undefined));
  for (const c of cars) c.sync(chain);
}

test('one Ready per receiver: a second one, naming fewer or more dealers, is refused in CheckTx and FinalizeBlock; the honest flow still finalises early', () => {
  const { chain, cars, s, byIndex } = setup(4);
  const one = byIndex(1);
  // every member deals and hands out its shares (the harness's honest act), nobody is Ready yet
  const dealings = cars.flatMap((c) => c.act(cars)).map((env, i) => tx(s, cars[i]!, env));
  expect(chain.block(dealings)).toEqual([undefined, undefined, undefined, undefined]);
  for (const c of cars) c.sync(chain);
  const ready = (dealers: number[]) => tx(s, one, seal(one.identity, { session: s.id, ready: { recipient: 1, dealers } }));
  expect(chain.block([ready([1, 2, 3, 4])])).toEqual([undefined]);
  one.readySent = true;
  expect(chain.session(toHex(s.id))!.ready).toEqual([1]);
  expectRefused(chain, ready([1, 2]), /receiver 1 already sent its Ready \(one per receiver per session\)/);
  expectRefused(chain, ready([1, 2, 3, 4]), /already sent its Ready/);
  runUntilClosed(chain, cars);
  const closed = chain.session(toHex(s.id))!;
  expect(closed.status).toBe(MpcSessionStatus.DONE);
  expect(closed.closedHeight).toBeLessThan(closed.finalHeight);
  expect(closed.transcript.filter((e) => decodeBody(decodeEnvelope(e).body).payload === 'ready')).toHaveLength(4);
});

test('a justification answers a missing-share complaint once; none without a complaint; a third dealing is refused', () => {
  const { chain, cars, s, byIndex } = setup(4);
  dealWithoutShares(chain, cars, s);
  const [d2, r4] = [byIndex(2), byIndex(4)];
  const justify = (recipient: number) => {
    const share = decodeBody(decodeEnvelope(d2.engine!.sentShares().get(recipient)!).body) as { share: { dealer: number; recipient: number; value: Uint8Array } };
    // signed afresh: a distinct message each time, not a replay
    return tx(s, d2, seal(d2.identity, { session: s.id, justification: { share: decodeEnvelope(seal(d2.identity, { session: s.id, share: share.share })) } }));
  };
  expectRefused(chain, justify(4), /no missing-share complaint by receiver 4 against dealer 2/);
  expect(chain.block([tx(s, r4, seal(r4.identity, { session: s.id, complaint: { recipient: 4, accused: 2 } }))])).toEqual([undefined]);
  expect(chain.block([justify(4)])).toEqual([undefined]);
  expectRefused(chain, justify(4), /complaint 4:2 is already answered/);
  expectRefused(chain, justify(3), /no missing-share complaint by receiver 3/);
  // dealings: the second is equivocation evidence (accepted, the dealer disqualified), a third adds nothing
  const before = chain.session(toHex(s.id))!.transcript.length;
  expect(chain.block([redeal(s, d2)])).toEqual([undefined]);
  expectRefused(chain, redeal(s, d2), /dealer 2 is already disqualified; a further dealing proves nothing new/);
  expect(chain.session(toHex(s.id))!.transcript.length).toBe(before + 1);
});

test('the byte bound per session (from n and t) is enforced in CheckTx and FinalizeBlock, with the numbers in the reason', () => {
  const { chain, cars, s, byIndex } = setup(4);
  const bound = transcriptLimits({ dealers: 4, receivers: 4, commitmentCount: 3, proofBytes: 65 }).session;
  expect(bound).toBeGreaterThan(0);
  const dealing = tx(s, byIndex(1), publicOf(byIndex(1).engine!.start()));
  // a record that has (somehow) nearly used its bound: the next message must not take it over
  writeSession(chain.state, { ...chain.session(toHex(s.id))!, transcriptBytes: bound - 10 });
  chain.store.commit();
  const reason = new RegExp(`transcript would reach ${bound - 10 + dealing.msg.envelope.length} bytes, over its bound of ${bound} \\(4 dealers, 4 receivers, threshold 3\\)`);
  expectRefused(chain, dealing, reason);
  writeSession(chain.state, { ...chain.session(toHex(s.id))!, transcriptBytes: 0 });
  chain.store.commit();
  expect(checkTx(chain, dealing)).toBeUndefined();
  expect(cars).toHaveLength(4);
});

/** Counts VssSession.receive and .check calls (the engine work a judgement does). */
const originals = { receive: VssSession.prototype.receive, check: VssSession.prototype.check };
afterEach(() => {
  Object.assign(VssSession.prototype, originals);
});
function countEngineCalls(): { receive: number; check: number } {
  const counts = { receive: 0, check: 0 };
  const proto = VssSession.prototype as unknown as Record<'receive' | 'check', (this: VssSession, b: Uint8Array) => unknown>;
  for (const name of ['receive', 'check'] as const) {
    const orig = originals[name] as unknown as ((this: VssSession, b: Uint8Array) => unknown) | undefined;
    proto[name] = function (this: VssSession, b: Uint8Array) {
      counts[name]++;
      if (!orig) throw new Error(`VssSession.${name} does not exist`);
      return orig.call(this, b);
    };
  }
  return counts;
}

test('CheckTx of an MPC tx does O(1) engine work against a long transcript; a memo miss rebuilds once and judges the same', () => {
  const n = 10;
  const { chain, cars, s, byIndex } = setup(n);
  dealWithoutShares(chain, cars, s);
  const one = byIndex(1);
  const d3 = byIndex(3);
  const candidates = (): Tx[] => [
    tx(s, one, seal(one.identity, { session: s.id, ready: { recipient: 1, dealers: Array.from({ length: n }, (_, i) => i + 1) } })), // accepted
    redeal(s, d3), // equivocation: accepted
    tx(s, one, seal(one.identity, { session: s.id, complaint: { recipient: 1, accused: 2 } })), // accepted while short, a replay once long
  ];
  const measure = () => {
    const txs = candidates(); // built first: dealing runs the engine too
    const counts = countEngineCalls();
    const verdicts = txs.map((t) => checkTx(chain, t) ?? 'ok');
    Object.assign(VssSession.prototype, originals);
    return { counts, verdicts };
  };
  const short = measure();
  expect(short.verdicts).toEqual(['ok', 'ok', 'ok']);
  expect(chain.session(toHex(s.id))!.transcript.length).toBe(n);

  // every receiver complains of every other dealer, every dealer justifies: n + 2n(n-1) entries
  expect(chain.block(cars.flatMap((c) => c.engine!.complain().map((o) => tx(s, c, o.envelope)))).every((r) => r === undefined)).toBe(true);
  for (const c of cars) c.sync(chain);
  expect(chain.block(cars.flatMap((c) => c.pending.splice(0).map((e) => tx(s, c, e)))).every((r) => r === undefined)).toBe(true);
  const long = chain.session(toHex(s.id))!;
  expect(long.transcript.length).toBe(n + 2 * n * (n - 1));

  const after = measure();
  // the same engine work as against the short transcript: no replay, one check() per non-Ready tx
  expect(after.counts).toEqual({ receive: 0, check: 2 });
  expect(after.counts).toEqual(short.counts);
  expect(after.verdicts.slice(0, 2)).toEqual(['ok', 'ok']);
  expect(after.verdicts[2]).toMatch(/REPLAY/);
  expect(long.transcriptBytes).toBe(long.transcript.reduce((a, e) => a + e.length, 0));

  // results never depend on the memo: a miss replays the stored transcript once, then O(1) again
  clearObserverMemo();
  const rebuilt = measure();
  expect(rebuilt.verdicts).toEqual(after.verdicts);
  expect(rebuilt.counts).toEqual({ receive: long.transcript.length, check: 2 });
  expect(measure().counts).toEqual({ receive: 0, check: 2 });

  // FinalizeBlock per tx: one check and one receive, whatever the transcript's length
  const dealing = redeal(s, d3);
  const counts = countEngineCalls();
  expect(chain.block([dealing])).toEqual([undefined]);
  expect(counts).toEqual({ receive: 1, check: 1 });
});
