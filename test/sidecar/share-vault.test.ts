// LevelShareVault on its own: what its operations return carries no share, the nonce rules hold
// through it (same commitment for a replayed round 1, one share per nonce, across a reopen, the
// per-coordinator quota), a reshare dealing is consistent with the held share, and a refresh delta
// that does not land on the verifying share stores nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ecc, parsePt } from '../../mpc/ecc.js';
import { shareMatches } from '../../mpc/keys/vss.js';
import { aggregate, verifySignature, type SigningCommitment } from '../../mpc/signing/frost.js';
import { LevelShareVault } from '../../sidecar/store/share-vault.js';
import { hex, makeParties } from '../mpc/harness.js';
import { runDkg } from '../mpc/helpers.js';
import { FAST } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const open = (d: string) => LevelShareVault.open({ keys: join(d, 'keys'), nonces: join(d, 'nonces') }, 'pw', FAST);
const quota = { coordinator: 1, from: 0, to: 999, max: 4 };

async function setup() {
  const parties = makeParties(3);
  const res = [...runDkg(parties).values()];
  const vaults = [];
  for (const r of res) {
    const d = mkdtempSync(join(tmpdir(), 'seqpool-vault-'));
    dirs.push(d);
    const v = await open(d);
    await v.storeShare(r.public, r.secret!);
    await v.confirm('k', 0);
    vaults.push({ v, d, secret: r.secret! });
  }
  return { pkg: res[0]!.public, vaults };
}

test('held, commitments and signature shares carry no share; a nonce signs once, also after a reopen', async () => {
  const { pkg, vaults } = await setup();
  const ref = { keyId: 'k', epoch: 0 };
  const session = new Uint8Array(32).fill(7);
  const msg = new Uint8Array(32).fill(9);
  const signers = vaults; // 3 of 3: the threshold of 3
  const list: SigningCommitment[] = [];
  for (const s of signers) {
    const held = await s.v.held('k', 0);
    expect(Object.keys(held!).sort()).toEqual(['index', 'public']);
    const c = await s.v.commitNonces(ref, session, 3, quota);
    expect(await s.v.commitNonces(ref, session, 3, quota)).toEqual(c); // replayed round 1: same commitment
    list.push(c);
  }
  const shares = new Map<number, Uint8Array>();
  for (const s of signers) shares.set(s.secret.index, await s.v.signPackage(ref, session, 3, list, msg));
  expect(verifySignature(aggregate(pkg, list, msg, shares), msg, pkg.groupKey)).toBe(true);
  const returned = JSON.stringify([...shares.values(), ...list].map((b) => (b instanceof Uint8Array ? bytesToHex(b) : [bytesToHex(b.hiding), bytesToHex(b.binding)])));
  for (const s of vaults) expect(returned).not.toContain(s.secret.reveal().toString(16).padStart(64, '0'));

  const first = signers[0]!;
  await expect(first.v.signPackage(ref, session, 3, list, msg)).rejects.toMatchObject({ code: 'NONCE_REUSE' });
  await first.v.close();
  first.v = await open(first.d);
  await expect(first.v.commitNonces(ref, session, 3, quota)).rejects.toMatchObject({ code: 'NONCE_REUSE' });
  await expect(first.v.signPackage(ref, session, 3, list, msg)).rejects.toMatchObject({ code: 'NONCE_REUSE' });
  await expect(first.v.signPackage(ref, session, 4, list, msg)).rejects.toMatchObject({ code: 'NONCE_MISSING' });
  // The coordinator's allowance counts the used nonce too.
  await expect(first.v.commitNonces(ref, session, 5, { ...quota, max: 1 })).rejects.toMatchObject({ code: 'QUOTA', details: { culprit: 1 } });
  expect([...(await first.v.nonceSessions())]).toEqual([bytesToHex(session)]);
  await first.v.forgetNonces(bytesToHex(session));
  expect((await first.v.nonceSessions()).size).toBe(0);
  for (const s of vaults) await s.v.close();
});

test('a reshare dealing matches lambda * Y_i; a refresh delta off the verifying share stores nothing', async () => {
  const { pkg, vaults } = await setup();
  const s = vaults[1]!;
  const weight = 5n;
  const d = await s.v.dealReshare({ keyId: 'k', epoch: 0 }, { weight, threshold: 2, receivers: [1, 2, 3, 4] });
  const cs = d.commitments.map((c) => parsePt(c));
  expect(cs).toHaveLength(2);
  expect(cs[0]!.equals(ecc.mul(parsePt(pkg.verifyingShares[s.secret.index]!), weight))).toBe(true);
  for (const r of [1, 2, 3, 4]) expect(shareMatches(cs, r, d.values.get(r)!)).toBe(true);
  await expect(s.v.dealReshare({ keyId: 'k', epoch: 9 }, { weight, threshold: 2, receivers: [1] })).rejects.toMatchObject({ code: 'NOT_FOUND' });

  await expect(s.v.storeRefreshed({ keyId: 'k', epoch: 0 }, { ...pkg, epoch: 1 }, 1n)).rejects.toMatchObject({ code: 'MISSING_SHARE' });
  expect(await s.v.epochs('k')).toEqual([0]);
  // Delta 0 against the same verifying shares is a valid (trivial) refresh: stored under epoch 1.
  await s.v.storeRefreshed({ keyId: 'k', epoch: 0 }, { ...pkg, epoch: 1 }, 0n);
  expect(await s.v.epochs('k')).toEqual([0, 1]);
  expect(hex((await s.v.held('k', 1))!.public.groupKey)).toBe(hex(pkg.groupKey));
  for (const x of vaults) await x.v.close();
});
