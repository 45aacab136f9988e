import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SigningCoordinator, isProvenCheater } from '../../mpc/signing/coordinator.js';
import { cheaterEvidenceProblem } from '../../mpc/signing/evidence.js';
import { attemptRange, MAX_NONCES_PER_COORDINATOR, signingPackageHash, signingSessionId } from '../../mpc/signing/session.js';
import { SigningParticipant } from '../../mpc/signing/participant.js';
import { LevelNonceStore } from '../../sidecar/store/nonce-store.js';
import { LevelKeyStore } from '../../sidecar/store/key-store.js';
import { loadPassphrase, type ScryptParams } from '../../sidecar/store/secret-box.js';
import { encodeL1GroupKey, encodeL1Signature, isL1CompatibleGroupKey, l1Digest, verifyL1 } from '../../mpc/l1.js';
import { commitNonces, verifySignature } from '../../mpc/signing/frost.js';
import { seal } from '../../mpc/envelope.js';
import { decodeBody, decodeEnvelope } from '../../proto/mpc.js';
import { Point } from '../../mpc/suite.js';
import type { IdentityKey } from '../../mpc/identity.js';
import { hex, makeParties } from './harness.js';
import { runDkg } from './helpers.js';
import type { KeyShare } from '../../mpc/keys/types.js';

const FAST: ScryptParams = { N: 1 << 10, r: 8, p: 1 };
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'seqpool-mpc-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function setup(n: number) {
  const parties = makeParties(n);
  const res = runDkg(parties);
  const shares = new Map<number, { party: (typeof parties)[0]; key: KeyShare; store: LevelNonceStore; path: string }>();
  for (const p of parties) {
    const r = res.get(hex(p.identity.publicKey))!;
    const path = tmp();
    shares.set(p.member.index, { party: p, key: { public: r.public, secret: r.secret! }, store: await LevelNonceStore.open(path, 'pw', FAST), path });
  }
  const pkg = [...res.values()][0]!.public;
  return { parties, shares, pkg };
}

type Behaviour = 'honest' | 'silent' | 'cheat' | 'no-share' | 'other-package';

/** Drives `coord` to the end; returns the codes of the replies it refused. */
async function runSession(coord: SigningCoordinator, participants: Map<number, { p: SigningParticipant; b: Behaviour; id: Uint8Array; identity: IdentityKey }>, clock: { t: number }): Promise<string[]> {
  const refused: string[] = [];
  let out = coord.start();
  for (let round = 0; round < 50 && coord.phase !== 'done' && coord.phase !== 'failed'; round++) {
    const next = [];
    const replies: Uint8Array[] = [];
    for (const o of out) {
      const x = [...participants.values()].find((v) => hex(v.id) === hex(o.to))!;
      if (x.b === 'silent') continue;
      const body = decodeBody(decodeEnvelope(o.envelope).body);
      if (body.payload === 'signRequest') replies.push(await x.p.onRequest(o.envelope));
      else if (x.b !== 'no-share') {
        let share = await x.p.onPackage(o.envelope);
        if (x.b === 'cheat') {
          const b = decodeBody(decodeEnvelope(share).body);
          if ('signatureShare' in b) share = seal(x.identity, { session: b.session, signatureShare: { ...b.signatureShare, share: randomBytes(32) } });
        }
        if (x.b === 'other-package') {
          const b = decodeBody(decodeEnvelope(share).body);
          if ('signatureShare' in b) share = seal(x.identity, { session: b.session, signatureShare: { ...b.signatureShare, packageHash: randomBytes(32) } });
        }
        replies.push(share);
      }
    }
    for (const r of replies) {
      try {
        next.push(...coord.receive(r));
      } catch (e) {
        refused.push((e as { code: string }).code);
      }
    }
    if (next.length === 0 && (coord.phase as string) !== 'done') {
      clock.t += 1000;
      next.push(...coord.tick());
    }
    out = next;
  }
  return refused;
}

test('signing session: a cheater is identified with checkable evidence, a silent signer excluded, retry succeeds; L1 encoding verifies', async () => {
  const { parties, shares, pkg } = await setup(7); // t = 5
  const clock = { t: 0 };
  const behaviours: Record<number, Behaviour> = { 2: 'cheat', 4: 'silent' };
  const participants = new Map(
    [...shares].map(([i, s]) => [
      i,
      { p: new SigningParticipant({ identity: s.party.identity, key: s.key, nonces: s.store, approve: () => true }), b: behaviours[i] ?? 'honest', id: s.party.identity.publicKey, identity: s.party.identity },
    ]),
  );
  const digest = l1Digest({ chainId: 1n, verifier: randomBytes(20), purpose: 'commitEpoch', payload: randomBytes(64) });
  const coord = new SigningCoordinator({ identity: parties[0]!.identity, pkg, requestId: 'req-1', message: digest, now: () => clock.t, roundTimeoutMs: 500, expiresAt: 60_000 });
  await runSession(coord, participants, clock);
  expect(coord.phase).toBe('done');
  expect(coord.excluded.get(2)).toBe('cheater');
  expect(coord.excluded.get(4)).toBe('no-response');
  expect(coord.signers).not.toContain(2);
  expect(coord.evidence).toHaveLength(1);
  expect(isProvenCheater(pkg, coord.evidence[0]!)).toBe(true);
  const sig = coord.signature!;
  expect(verifySignature(sig, digest, pkg.groupKey)).toBe(true);
  if (isL1CompatibleGroupKey(pkg.groupKey)) expect(verifyL1(encodeL1Signature(sig), encodeL1GroupKey(pkg.groupKey), digest)).toBe(true);
  for (const s of shares.values()) await s.store.close();
});

test('a share is evidence only against the package it answered: a commitment swapped afterwards proves nothing (decision 24)', async () => {
  const { parties, shares, pkg } = await setup(4); // t = 3
  const msg = randomBytes(32);
  const byz = parties[0]!; // index 1: a key holder coordinating by hand
  const part = (i: number) => new SigningParticipant({ identity: shares.get(i)!.party.identity, key: shares.get(i)!.key, nonces: shares.get(i)!.store, approve: () => true });
  const session = signingSessionId(pkg, 'frame');
  const attempt = attemptRange(1)[0]; // coordinator index 1's range
  const request = seal(byz.identity, { session, signRequest: { message: msg, attempt, signers: [1, 2, 3] } });
  const own = (c: ReturnType<typeof commitNonces>['commitment']) => seal(byz.identity, { session, nonceCommitment: { signer: 1, attempt, hiding: c.hiding, binding: c.binding } });
  const mine = commitNonces(shares.get(1)!.key.secret).commitment;
  const [c2, c3] = [await part(2).onRequest(request), await part(3).onRequest(request)];
  const packageOf = (first: Uint8Array) => seal(byz.identity, { session, signingPackage: { message: msg, attempt, commitments: [first, c2, c3].map(decodeEnvelope) } });
  const honestPkg = packageOf(own(mine));
  const share2 = await part(2).onPackage(honestPkg);
  // The share names the hash of the package it answered.
  const listOf = (envs: Uint8Array[]) => envs.map((e) => decodeBody(decodeEnvelope(e).body)).map((b) => ('nonceCommitment' in b ? { index: b.nonceCommitment.signer, hiding: b.nonceCommitment.hiding, binding: b.nonceCommitment.binding } : undefined)!);
  const body = decodeBody(decodeEnvelope(share2).body);
  expect('signatureShare' in body && hex(body.signatureShare.packageHash)).toBe(hex(signingPackageHash(session, attempt, msg, listOf([own(mine), c2, c3]))));
  // The coordinator swaps in a second commitment of its own: the honest share fails against that
  // package, but it never answered it.
  const forged = packageOf(own(commitNonces(shares.get(1)!.key.secret).commitment));
  const evidence = (p: Uint8Array) => ({ signer: 2, attempt, package: p, commitment: decodeEnvelope(c2), share: decodeEnvelope(share2) });
  expect(cheaterEvidenceProblem(pkg, evidence(forged))).toMatch(/signer 2's share answers another signing package/);
  expect(isProvenCheater(pkg, evidence(forged))).toBe(false);
  expect(cheaterEvidenceProblem(pkg, evidence(honestPkg))).toMatch(/verifies against the package it answered/);
  for (const s of shares.values()) await s.store.close();
});

test('the coordinator does not count a share naming another package: that signer times out, no evidence, the retry signs', async () => {
  const { parties, shares, pkg } = await setup(5); // t = 4
  const clock = { t: 0 };
  const participants = new Map(
    [...shares].map(([i, s]) => [i, { p: new SigningParticipant({ identity: s.party.identity, key: s.key, nonces: s.store, approve: () => true }), b: (i === 2 ? 'other-package' : 'honest') as Behaviour, id: s.party.identity.publicKey, identity: s.party.identity }]),
  );
  const msg = randomBytes(32);
  const coord = new SigningCoordinator({ identity: parties[0]!.identity, pkg, requestId: 'o', message: msg, now: () => clock.t, roundTimeoutMs: 500, expiresAt: 60_000 });
  expect(await runSession(coord, participants, clock)).toEqual(['WRONG_SESSION']);
  expect(coord.phase).toBe('done');
  expect(Object.fromEntries(coord.excluded)).toEqual({ 2: 'no-response' });
  expect(coord.evidence).toEqual([]);
  expect(verifySignature(coord.signature!, msg, pkg.groupKey)).toBe(true);
  for (const s of shares.values()) await s.store.close();
});

test('signing fails cleanly when fewer than t honest signers remain, and on expiry', async () => {
  const { parties, shares, pkg } = await setup(4); // t = 3
  const clock = { t: 0 };
  const participants = new Map(
    [...shares].map(([i, s]) => [i, { p: new SigningParticipant({ identity: s.party.identity, key: s.key, nonces: s.store, approve: () => true }), b: (i <= 2 ? 'silent' : 'honest') as Behaviour, id: s.party.identity.publicKey, identity: s.party.identity }]),
  );
  const coord = new SigningCoordinator({ identity: parties[0]!.identity, pkg, requestId: 'r', message: randomBytes(32), now: () => clock.t, roundTimeoutMs: 500, expiresAt: 60_000 });
  await runSession(coord, participants, clock);
  expect(coord.phase).toBe('failed');
  expect(coord.error?.code).toBe('NOT_ENOUGH_PARTICIPANTS');
  const c2 = new SigningCoordinator({ identity: parties[0]!.identity, pkg, requestId: 'r2', message: randomBytes(32), now: () => clock.t, roundTimeoutMs: 500, expiresAt: clock.t + 10 });
  c2.start();
  clock.t += 20;
  c2.tick();
  expect(c2.error?.code).toBe('EXPIRED');
  for (const s of shares.values()) await s.store.close();
});

test('suspected members are picked last: only when too few others remain', async () => {
  const { parties, pkg } = await setup(5); // t = 4
  const signersOf = (suspects: number[], rotate = 0) =>
    new SigningCoordinator({ identity: parties[0]!.identity, pkg, requestId: 's', message: randomBytes(32), now: () => 0, roundTimeoutMs: 500, expiresAt: 60_000, rotate, suspects }).start().map((o) => pkg.members.find((m) => Buffer.from(m.identity).equals(Buffer.from(o.to)))!.index);
  expect(signersOf([])).toEqual([1, 2, 3, 4]);
  expect(signersOf([2])).toEqual([1, 3, 4, 5]);
  expect(signersOf([2], 3)).toEqual([1, 3, 4, 5]);
  expect(signersOf([1, 2])).toEqual([1, 3, 4, 5]); // one suspect is needed to reach t: the first in rotated order
  expect(signersOf([1, 2], 1)).toEqual([2, 3, 4, 5]);
});

test('a signer that commits and then withholds its share is excluded after the round timeout; the retry signs without it', async () => {
  const { parties, shares, pkg } = await setup(5); // t = 4
  const clock = { t: 0 };
  const participants = new Map(
    [...shares].map(([i, s]) => [i, { p: new SigningParticipant({ identity: s.party.identity, key: s.key, nonces: s.store, approve: () => true }), b: (i === 3 ? 'no-share' : 'honest') as Behaviour, id: s.party.identity.publicKey, identity: s.party.identity }]),
  );
  const msg = randomBytes(32);
  const coord = new SigningCoordinator({ identity: parties[0]!.identity, pkg, requestId: 'w', message: msg, now: () => clock.t, roundTimeoutMs: 500, expiresAt: 60_000 });
  await runSession(coord, participants, clock);
  expect(coord.phase).toBe('done');
  expect(coord.attempt).toBe(attemptRange(1)[0] + 1); // its second attempt
  expect(Object.fromEntries(coord.excluded)).toEqual({ 3: 'no-response' });
  expect(coord.signers).toEqual([1, 2, 4, 5]);
  expect(verifySignature(coord.signature!, msg, pkg.groupKey)).toBe(true);
  for (const s of shares.values()) await s.store.close();
});

test('nonce safety: persisted before the commitment, recovered after a crash, reuse refused; unapproved refused', async () => {
  const { parties, shares, pkg } = await setup(3); // t = 3
  const msg = randomBytes(32);
  const coord = new SigningCoordinator({ identity: parties[0]!.identity, pkg, requestId: 'x', message: msg, now: () => 0, roundTimeoutMs: 1000, expiresAt: 10_000 });
  const reqs = coord.start();
  let pkgOut: { to: Uint8Array; envelope: Uint8Array }[] = [];
  for (const [i, s] of shares) {
    const p = new SigningParticipant({ identity: s.party.identity, key: s.key, nonces: s.store, approve: () => true });
    const r = reqs.find((o) => hex(o.to) === hex(s.party.identity.publicKey))!;
    const c = await p.onRequest(r.envelope);
    const commitmentOf = (b: Uint8Array) => JSON.stringify(decodeBody(decodeEnvelope(b).body));
    expect(commitmentOf(await p.onRequest(r.envelope))).toBe(commitmentOf(c)); // idempotent: the same stored commitment
    void i;
    const out = coord.receive(c);
    if (out.length) pkgOut = out;
  }
  // crash of signer 1: close and reopen its store, new process object
  const s1 = shares.get(1)!;
  await s1.store.close();
  s1.store = await LevelNonceStore.open(s1.path, 'pw', FAST);
  const revived = new SigningParticipant({ identity: s1.party.identity, key: s1.key, nonces: s1.store, approve: () => true });
  const env1 = pkgOut.find((o) => hex(o.to) === hex(s1.party.identity.publicKey))!.envelope;
  const share1 = await revived.onPackage(env1);
  await expect(revived.onPackage(env1)).rejects.toMatchObject({ code: 'NONCE_REUSE' });
  await s1.store.close();
  s1.store = await LevelNonceStore.open(s1.path, 'pw', FAST);
  const again = new SigningParticipant({ identity: s1.party.identity, key: s1.key, nonces: s1.store, approve: () => true });
  await expect(again.onPackage(env1)).rejects.toMatchObject({ code: 'NONCE_REUSE' });
  const other = new SigningCoordinator({ identity: parties[0]!.identity, pkg, requestId: 'z', message: msg, now: () => 0, roundTimeoutMs: 1000, expiresAt: 10_000 });
  await expect(again.onRequest(other.start()[0]!.envelope)).resolves.toBeInstanceOf(Uint8Array); // another request gets a fresh nonce
  for (const [i, s] of shares) {
    if (i === 1) continue;
    const p = new SigningParticipant({ identity: s.party.identity, key: s.key, nonces: s.store, approve: () => true });
    coord.receive(await p.onPackage(pkgOut.find((o) => hex(o.to) === hex(s.party.identity.publicKey))!.envelope));
  }
  coord.receive(share1);
  expect(coord.phase as string).toBe('done');
  expect(verifySignature(coord.signature!, msg, pkg.groupKey)).toBe(true);
  // unapproved payloads are refused before any nonce is created
  const s2 = shares.get(2)!;
  const refuse = new SigningParticipant({ identity: s2.party.identity, key: s2.key, nonces: s2.store, approve: () => false });
  const c3 = new SigningCoordinator({ identity: parties[0]!.identity, pkg, requestId: 'y', message: msg, now: () => 0, roundTimeoutMs: 1000, expiresAt: 10_000 });
  const req = c3.start().find((o) => hex(o.to) === hex(s2.party.identity.publicKey))!;
  await expect(refuse.onRequest(req.envelope)).rejects.toMatchObject({ code: 'NOT_APPROVED' });
  expect(await s2.store.get(c3.session, 1)).toBeUndefined();
  for (const s of shares.values()) await s.store.close();
});

test('key store: encrypted at rest, epochs kept until confirmed, wrong passphrase and corruption detected', async () => {
  const parties = makeParties(3);
  const res = runDkg(parties, { keyId: 'pool' });
  const r = [...res.values()][0]!;
  const share: KeyShare = { public: r.public, secret: r.secret! };
  const path = tmp();
  const ks = await LevelKeyStore.open(path, 'correct horse', FAST);
  await ks.put(share);
  await expect(ks.put(share)).rejects.toMatchObject({ code: 'CONFLICT' });
  await ks.confirm('pool', 0);
  const next: KeyShare = { public: { ...share.public, epoch: 1 }, secret: share.secret };
  await ks.put(next);
  expect((await ks.active('pool'))!.public.epoch).toBe(0); // not switched until confirmed
  await ks.confirm('pool', 1);
  expect((await ks.active('pool'))!.secret.reveal()).toBe(share.secret.reveal());
  expect(await ks.epochs('pool')).toEqual([0, 1]);
  await expect(ks.delete('pool', 1)).rejects.toMatchObject({ code: 'CONFLICT' });
  await ks.delete('pool', 0);
  expect(JSON.stringify(share.secret)).not.toContain(share.secret.reveal().toString(16));
  await ks.close();
  // nothing readable on disk: neither the share (hex or raw) nor the group key
  const shareHex = share.secret.reveal().toString(16).padStart(64, '0');
  const raw = Buffer.from(shareHex, 'hex');
  for (const f of readdirSync(path)) {
    const bytes = readFileSync(join(path, f));
    expect(bytes.includes(raw)).toBe(false);
    expect(bytes.toString('latin1').includes(shareHex)).toBe(false);
    expect(bytes.toString('latin1').includes(hex(share.public.groupKey))).toBe(false);
  }
  await expect(LevelKeyStore.open(path, 'wrong', FAST)).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });
  // corrupt the record: flip a ciphertext byte through the level API
  const { Level } = await import('level');
  const db = new Level<string, Uint8Array>(path, { valueEncoding: 'view' });
  const k = 'share/pool/000000000001';
  const v = (await db.get(k))!.slice();
  v[v.length - 1]! ^= 1;
  await db.put(k, v);
  await db.put('share/pool/000000000002', (await db.get(k))!); // moved record (AAD mismatch)
  await db.close();
  const ks2 = await LevelKeyStore.open(path, 'correct horse', FAST);
  await expect(ks2.get('pool', 1)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
  await expect(ks2.get('pool', 2)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
  await ks2.close();
  process.env.SEQPOOL_TEST_PASS = 'from-env';
  expect(loadPassphrase({ env: 'SEQPOOL_TEST_PASS' })).toBe('from-env');
  expect(() => loadPassphrase({ env: 'SEQPOOL_NOPE_NOT_SET' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
});

test('key store: session material is encrypted at rest, replaced as it grows, deleted, and bound to its session id', async () => {
  const path = tmp();
  const ks = await LevelKeyStore.open(path, 'correct horse', FAST);
  const sid = 'ab'.repeat(32);
  const secret = Buffer.from('a share dealt to us: 0123456789abcdef0123456789abcdef');
  expect(await ks.getSession(sid)).toBeUndefined();
  await ks.putSession(sid, Buffer.from('first'));
  await ks.putSession(sid, secret);
  expect(Buffer.from((await ks.getSession(sid))!).equals(secret)).toBe(true);
  await expect(ks.putSession('not-hex', secret)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  await ks.close();
  for (const f of readdirSync(path)) expect(readFileSync(join(path, f)).includes(secret)).toBe(false);
  // a record moved to another session id does not open (the id is the AAD)
  const { Level } = await import('level');
  const db = new Level<string, Uint8Array>(path, { valueEncoding: 'view' });
  await db.put(`session/${'cd'.repeat(32)}`, (await db.get(`session/${sid}`))!);
  await db.close();
  const ks2 = await LevelKeyStore.open(path, 'correct horse', FAST);
  await expect(ks2.getSession('cd'.repeat(32))).rejects.toThrow();
  await ks2.deleteSession(sid);
  expect(await ks2.getSession(sid)).toBeUndefined();
  await ks2.close();
});

test('L1 encoding: domain-separated digest changes with every field; keys with x >= n are rejected', () => {
  const base = { chainId: 1n, verifier: new Uint8Array(20).fill(1), purpose: 'commitEpoch', payload: new Uint8Array([1, 2]) };
  const d = hex(l1Digest(base));
  expect(hex(l1Digest({ ...base, chainId: 2n }))).not.toBe(d);
  expect(hex(l1Digest({ ...base, purpose: 'recommitEpoch' }))).not.toBe(d);
  expect(hex(l1Digest({ ...base, verifier: new Uint8Array(20).fill(2) }))).not.toBe(d);
  expect(l1Digest(base)).toHaveLength(32);
  // find a valid point whose x is in [n, p)
  const n = Point.Fn.ORDER;
  let x = n;
  let P;
  for (;;) {
    try {
      P = Point.fromBytes(Uint8Array.from([2, ...Buffer.from(x.toString(16).padStart(64, '0'), 'hex')]));
      break;
    } catch {
      x++;
    }
  }
  expect(isL1CompatibleGroupKey(P.toBytes(true))).toBe(false);
  expect(() => encodeL1GroupKey(P.toBytes(true))).toThrow(expect.objectContaining({ code: 'GROUP_KEY_UNUSABLE' }));
});

test('a coordinator can make a participant store at most MAX_NONCES_PER_COORDINATOR nonces per request, and only in its own attempt range', async () => {
  const { parties, shares, pkg } = await setup(4);
  const msg = randomBytes(32);
  const p2 = new SigningParticipant({ identity: shares.get(2)!.party.identity, key: shares.get(2)!.key, nonces: shares.get(2)!.store, approve: () => true });
  const session = signingSessionId(pkg, 'flood');
  const ask = (from: number, attempt: number) => p2.onRequest(seal(parties[from - 1]!.identity, { session, signRequest: { message: msg, attempt, signers: [1, 2, 3] } }));
  // Coordinator 1 asking with coordinator 3's attempt numbers is refused.
  await expect(ask(1, attemptRange(3)[0])).rejects.toMatchObject({ code: 'WRONG_ATTEMPT' });
  const [lo] = attemptRange(1);
  for (let a = 0; a < MAX_NONCES_PER_COORDINATOR; a++) await ask(1, lo + a);
  await expect(ask(1, lo + MAX_NONCES_PER_COORDINATOR)).rejects.toMatchObject({ code: 'QUOTA' });
  await ask(1, lo); // an attempt already committed is answered again (same commitment)
  // Another coordinator's quota is its own: coordinator 3 still gets answers for the same request.
  await ask(3, attemptRange(3)[0]);
  expect(await shares.get(2)!.store.count(session, lo, attemptRange(1)[1])).toBe(MAX_NONCES_PER_COORDINATOR);
  for (const s of shares.values()) await s.store.close();
}, 60_000);
