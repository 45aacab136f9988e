// `npm run bench:mpc`: CPU cost of the MPC protocols in one process, next to published anchors.
// DKG / reshare / refresh are run with every member's dealing; for n <= 25 every member's receive
// and finalise is measured, for n >= 50 a sample of 3 members is measured and scaled by n (labelled).
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { mulAddUnsafe } from '@noble/curves/abstract/curve.js';
import { markdownTable, writeBenchSection } from './report.js';
import { IdentityKey } from '../mpc/identity.js';
import { DkgEngine, type KeygenResult } from '../mpc/keys/dkg.js';
import { ReshareEngine } from '../mpc/keys/reshare.js';
import { RefreshEngine } from '../mpc/keys/refresh.js';
import type { KeyShare, Member } from '../mpc/keys/types.js';
import type { Outbound } from '../mpc/keys/vss-session.js';
import { aggregate, bindingFactors, commitNonces, signShare, verifySignature, type SigningCommitment } from '../mpc/signing/frost.js';
import { thresholdFor } from '../mpc/threshold.js';
import { Point, frost, identifierOf, parsePoint } from '../mpc/suite.js';
import { SecretShare } from '../mpc/keys/types.js';
import { ecc } from '../mpc/ecc.js';

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Engine {
  start(): Outbound[];
  receive(b: Uint8Array): { outbound: Outbound[] };
  complain(): Outbound[];
  finalise(): KeygenResult;
}

/** Runs a VSS-based protocol; returns total CPU ms (scaled when sampled) and the results of the measured members. */
function runProtocol(engines: Map<string, Engine>, receivers: string[], sampled: number | undefined) {
  const measured = sampled ? receivers.slice(0, sampled) : receivers;
  let t0 = cpuMs();
  const outs = [...engines].map(([k, e]) => [k, e.start()] as const);
  const dealCpu = cpuMs() - t0;
  t0 = cpuMs();
  for (const [src, out] of outs)
    for (const o of out) {
      const targets = o.channel === 'public' ? measured.filter((k) => k !== src) : measured.filter((k) => k === hex(o.to));
      for (const t of targets) engines.get(t)!.receive(o.envelope);
    }
  for (const k of measured) engines.get(k)!.complain();
  const results = new Map(measured.map((k) => [k, engines.get(k)!.finalise()]));
  const recvCpu = cpuMs() - t0;
  return { cpu: dealCpu + (sampled ? (recvCpu * receivers.length) / measured.length : recvCpu), results };
}

const RUNS = 5;
/** The run with the median CPU of `runs` fresh runs (its results are used downstream). */
function medianRun<T extends { cpu: number }>(runs: number, f: () => T): T {
  const xs = Array.from({ length: runs }, f).sort((a, b) => a.cpu - b.cpu);
  return xs[Math.floor(xs.length / 2)]!;
}

function committee(n: number, first = 1) {
  return Array.from({ length: n }, (_, i) => {
    const identity = IdentityKey.generate();
    return { identity, member: { index: first + i, identity: identity.publicKey } as Member };
  });
}

function median(f: () => void, reps: number): number {
  const xs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    f();
    xs.push(performance.now() - t);
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const rows: (string | number)[][] = [];
const signRows: (string | number)[][] = [];
const goals: string[] = [];

for (const n of [4, 10, 25, 50, 100]) {
  const t = thresholdFor(n);
  const sampled = n >= 50 ? 3 : undefined;
  const parties = committee(n);
  const members = parties.map((p) => p.member);
  // DKG (full, so every member has a share for the later steps when n <= 25; sampled otherwise)
  const allKeys = parties.map((p) => hex(p.identity.publicKey));
  // Other processes may share the CPU: protocol figures are the median of RUNS fresh runs.
  const dkg = medianRun(sampled ? 1 : RUNS, () =>
    runProtocol(new Map<string, Engine>(parties.map((p) => [hex(p.identity.publicKey), new DkgEngine({ keyId: 'bench', epoch: 0, members, identity: p.identity })])), allKeys, sampled),
  );
  const first = [...dkg.results.values()][0]!;
  rows.push([n, t, 'DKG total CPU', fmt(dkg.cpu), sampled ? `scaled from ${sampled} members` : 'all members']);
  if (n === 10) goals.push(`DKG n=10: ${fmt(dkg.cpu)} ms total CPU (goal < 300 ms): ${dkg.cpu < 300 ? 'met' : 'NOT met'}`);

  // Reshare and refresh need every old share; for sampled sizes we only have the measured members'
  // shares, so these two are measured for n <= 25 (reshare/refresh of 50/100 cost the same per
  // member as the DKG's receive phase; see notes).
  if (!sampled) {
    const shares = new Map([...dkg.results].map(([k, r]) => [k, r.secret!]));
    for (const [label, newParties] of [
      [`reshare ${n} -> ${n + 1}`, [...parties, ...committee(1, n + 1)]],
      [`reshare ${n} -> ${n - 1}`, parties.slice(0, n - 1)],
    ] as const) {
      const all = new Map([...parties, ...newParties].map((p) => [hex(p.identity.publicKey), p]));
      const r = medianRun(RUNS, () =>
        runProtocol(
          new Map<string, Engine>(
            [...all].map(([k, p]) => [k, new ReshareEngine({ old: first.public, newMembers: newParties.map((x) => x.member), newEpoch: 1, identity: p.identity, ...(shares.get(k) ? { oldShare: shares.get(k)! } : {}) })]),
          ),
          newParties.map((p) => hex(p.identity.publicKey)),
          undefined,
        ),
      );
      rows.push([n, t, label, fmt(r.cpu), 'all members']);
      if (n === 10 && label.endsWith('11')) goals.push(`reshare 10 -> 11: ${fmt(r.cpu)} ms total CPU (goal < 500 ms): ${r.cpu < 500 ? 'met' : 'NOT met'}`);
    }
    const r = medianRun(RUNS, () =>
      runProtocol(new Map<string, Engine>(parties.map((p) => [hex(p.identity.publicKey), new RefreshEngine({ current: first.public, share: shares.get(hex(p.identity.publicKey))!, newEpoch: 1, identity: p.identity })])), allKeys, undefined),
    );
    rows.push([n, t, 'refresh', fmt(r.cpu), 'all members']);
  }

  // Signing with t signers of the DKG key (for sampled sizes, the measured member's package and a
  // key share set obtained from a trusted dealer would differ; signing cost depends only on t).
  const key: KeyShare[] = sampled ? trusted(n, t) : [...dkg.results.values()].map((r) => ({ public: r.public, secret: r.secret! }));
  const signers = key.slice(0, t);
  const msg = randomBytes(32);
  const reps = n >= 50 ? 5 : 15;
  const r1 = median(() => commitNonces(signers[0]!.secret), reps);
  let rounds = signers.map((s) => commitNonces(s.secret));
  let list: SigningCommitment[] = rounds.map((r) => r.commitment);
  // Round 2 alone: each repetition needs unused nonces (signShare zeroes them), so the round-1
  // outputs are made before the clock starts; round 1 is the separate column above.
  const fresh = Array.from({ length: reps }, () => commitNonces(signers[0]!.secret));
  let rep = 0;
  const r2 = median(() => {
    const f = fresh[rep++]!;
    signShare(signers[0]!.public, signers[0]!.secret, f.nonces, [f.commitment, ...list.slice(1)], msg);
  }, reps);
  rounds = signers.map((s) => commitNonces(s.secret));
  list = rounds.map((r) => r.commitment);
  const zs = new Map(signers.map((s, i) => [s.secret.index, signShare(s.public, s.secret, rounds[i]!.nonces, list, msg)]));
  let sig: Uint8Array = new Uint8Array();
  const agg = median(() => {
    sig = aggregate(signers[0]!.public, list, msg, zs);
  }, reps);
  const ver = median(() => verifySignature(sig, msg, signers[0]!.public.groupKey), reps);
  // binding-commitment products of the group commitment: noble's MSM vs the backend in use (ecc.ts)
  const rho = bindingFactors(signers[0]!.public.groupKey, msg, list);
  const pts = list.map((c) => parsePoint(c.binding));
  const ecPts = list.map((c) => ecc.parse(c.binding));
  const scs = list.map((c) => rho.get(c.index)!);
  const nobleMsm = median(() => mulAddUnsafe(Point, pts, scs), reps);
  const eccMsm = median(() => ecc.msm(ecPts, scs), reps);
  const anchor = t === 7 ? 'ZF Rust 7-of-10: r2 0.48, agg 0.52' : t === 67 ? 'ZF Rust 67-of-100: r2 4.41, agg 3.82' : '';
  signRows.push([`${t}-of-${n}`, fmt(r1), fmt(r2), fmt(agg), fmt(ver), fmt(r2 + agg), `${fmt(nobleMsm)} / ${fmt(eccMsm)}`, anchor]);
  if (n === 10) goals.push(`7-of-10 round 2 + aggregate: ${fmt(r2 + agg)} ms (goal < 10 ms): ${r2 + agg < 10 ? 'met' : 'NOT met'}`);
  if (n === 100) goals.push(`67-of-100 round 2 + aggregate: ${fmt(r2 + agg)} ms (goal < 60 ms): ${r2 + agg < 60 ? 'met' : 'NOT met'}`);
  console.log(`n=${n} done`);
}

/** A trusted-dealer key of the same shape, for signing figures at sampled sizes (cost depends only on t). */
function trusted(n: number, t: number): KeyShare[] {
  const ids = Array.from({ length: n }, (_, i) => identifierOf(i + 1));
  const d = frost.trustedDealer({ min: t, max: n }, ids);
  const members = ids.map((_, i) => ({ index: i + 1, identity: IdentityKey.generate().publicKey }));
  const pub = {
    keyId: 'sign',
    epoch: 0,
    threshold: t,
    members,
    groupKey: d.public.commitments[0]!,
    commitments: d.public.commitments,
    verifyingShares: Object.fromEntries(ids.map((id, i) => [i + 1, d.public.verifyingShares[id]!])),
  };
  return ids.map((id, i) => ({ public: pub, secret: new SecretShare(i + 1, frost.utils.Fn.fromBytes(d.secretShares[id]!.signingShare)) }));
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, node ${process.version}`;
const md = [
  `Machine: ${machine}. Total CPU of all members in one process (ms), median of ${RUNS} fresh runs for n <= 25 (one run for the sampled sizes); signing figures are medians per operation (ms).`,
  '',
  markdownTable(['n', 't', 'protocol', 'CPU ms', 'measured'], rows),
  '',
  markdownTable(['t-of-n', 'round 1', 'round 2 / signer', 'aggregate', 'verify', 'r2 + agg', `binding MSM noble / ${ecc.name}`, 'anchor (ms)'], signRows),
  '',
  'Anchors: Zcash Foundation frost-secp256k1 (Rust) 7-of-10 round 2 0.48 ms, aggregate 0.52 ms; 67-of-100 4.41 ms and 3.82 ms. tss-lib GG18 ECDSA (Metis): about 4 s CPU per member per signature at 51-of-100, plus tens of seconds of Paillier key generation before keygen.',
  '',
  `Notes (profile: node --cpu-prof; backend: ${ecc.name}, SEQPOOL_MPC_ECC=noble forces the fallback). Other processes (tests, CI) may share this 2-core machine: protocol rows are the median of ${RUNS} fresh runs, signing columns medians of 5-15 repetitions. History: the first round of work took 7-of-10 r2 + agg from 13.1-13.9 ms to 10.8 ms, 67-of-100 from 73-79 to 73.4 ms, DKG n=10 from 561-591 to 486 ms, reshare 10 -> 11 from 511-515 to 409-561 ms (round 2 timed without round 1; RFC formulas with each commitment parsed once; each Feldman verdict decided once per session). This round (mpc/ecc.ts): point arithmetic through libsecp256k1's binding (secp256k1 v5) with noble as fallback. Micro-benchmark on this machine, noble vs native: variable-base multiply 0.9-1.5 ms vs ~45 us (tweakMul), base multiply ~0.7 ms vs ~28 us, compressed point read 78-175 us vs ~9 us, 67-point MSM ~21-25 ms vs ~3 ms (the column above), 67-point sum ~0.25 ms vs ~48 us (combine). Used for the group commitment, share, aggregate and signature checks, Feldman checks (one product per coefficient and one combine), proofs of knowledge, verifying shares, reshare constant terms, DKG commitments and round-1 commitments (constant time natively). Also: randomScalar no longer runs the base multiplication noble's frost.utils.randomScalar discards (~0.7 ms per coefficient), and envelope signatures are verified with libsecp256k1 via common/secp.ts (~65 us vs ~330 us OpenSSL). Remaining: OpenSSL ECDSA signing of envelopes (~0.37 ms each, the largest single cost of a DKG now; the identity key stays in a KeyObject), the hash-to-field of binding factors, and at n = 100 the Feldman checks and verifying shares (66 native products per check, ~3 ms). Reshare/refresh at n = 50/100 are not measured (they need every old share).`,
  '',
  'Goals:',
  ...goals.map((g) => `- ${g}`),
].join('\n');
console.log(md);
writeBenchSection('mpc', md);
