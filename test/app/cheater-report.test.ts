// ReportSigningCheater judged by the app (decision 24): a signer's share is evidence only against the
// package whose hash it names, and only if every commitment in that package is its owner's for the
// request and attempt. A coordinator that collects an honest share and swaps its own commitment in
// the package afterwards must not get the honest signer jailed (and, with slashAmount > 0, slashed).
import { opaqueBatchData } from '../batch-fixture.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { TxCode } from '../../protocol/codes.js';
import { genesisProducer } from '../../app/election.js';
import { toHex, utf8 } from '../../common/bytes.js';
import { seal } from '../../mpc/envelope.js';
import { IdentityKey } from '../../mpc/identity.js';
import { commitNonces, signShare, type SigningCommitment } from '../../mpc/signing/frost.js';
import { signingPackageHash, signingSessionId } from '../../mpc/signing/session.js';
import { decodeEnvelope } from '../../proto/mpc.js';
import type { ReportSigningCheater } from '../../proto/seqpool.js';
import { CHAIN_ID } from './harness.js';
import { hexBytes, indexOf, POOL_PARAMS, poolChain, type PoolChain } from './pool-harness.js';

const ATTEMPT = 7;
const types = (r: Awaited<ReturnType<PoolChain['step']>>) => r.finalized.events!.map((e) => e!.type);

/** A pool chain with request 1 (an appendBatch) pending, and sealing helpers for the key's members. */
async function withRequest() {
  const c = await poolChain();
  const p = indexOf(c.vals, genesisProducer(c.appState, CHAIN_ID).address);
  await c.step();
  await c.step();
  c.setHead(5n);
  await c.step();
  const batch = { batchIndex: 0n, prevBatchHash: new Uint8Array(32), l2Start: 1n, l2End: 3n, ...opaqueBatchData('a') };
  expect((await c.step({ txs: [c.tx(p, { requestBatch: batch })] })).finalized.txResults![1]!.code).toBe(TxCode.OK);
  const digest = hexBytes((await c.query('/sign/1')).value.digest);
  const pub = c.shares![0]!.public;
  const session = signingSessionId(pub, '1');
  const member = (index: number) => pub.members.find((m) => m.index === index)!;
  const val = (index: number) => c.vals.find((v) => toHex(v.pubKey) === toHex(member(index).identity))!;
  const id = (index: number) => IdentityKey.fromSecretKey(val(index).privKey);
  const commitment = (c: SigningCommitment, attempt = ATTEMPT, signedBy = c.index) =>
    seal(id(signedBy), { session, nonceCommitment: { signer: c.index, attempt, hiding: c.hiding, binding: c.binding } });
  const pkg = (coordinator: number, envs: Uint8Array[], attempt = ATTEMPT) =>
    seal(id(coordinator), { session, signingPackage: { message: digest, attempt, commitments: envs.map(decodeEnvelope) } });
  const share = (index: number, value: Uint8Array, packageHash: Uint8Array, attempt = ATTEMPT) =>
    seal(id(index), { session, signatureShare: { signer: index, attempt, share: value, packageHash } });
  const report = (signer: number, p: Uint8Array, commitmentEnv: Uint8Array, shareEnv: Uint8Array): { reportCheater: ReportSigningCheater } => ({
    reportCheater: { requestId: 1n, signer, attempt: ATTEMPT, package: p, commitment: commitmentEnv, share: shareEnv },
  });
  // Every member's signing round: the first t members sign, member 1 coordinates.
  const t = pub.threshold;
  const rounds = c.shares!.slice(0, t).map((s) => ({ s, ...commitNonces(s.secret) }));
  const list = rounds.map((r) => r.commitment);
  const envs = list.map((x) => commitment(x));
  const hash = signingPackageHash(session, ATTEMPT, digest, list);
  const jailed = async (index: number) => (await c.query(`/validator/${toHex(val(index).address)}`)).value.jailed as boolean;
  const slashes = async () => (await c.query('/sign/pending')).value.requests.filter((x: { purpose: string }) => x.purpose === 'slash').length as number;
  /** The sidecar-lane tx of member `m` carrying `body`. */
  const tx = (m: number, body: { reportCheater: ReportSigningCheater }) => c.tx(c.vals.indexOf(val(m)), body, 1);
  const check = (m: number, body: { reportCheater: ReportSigningCheater }) => c.app.checkTx({ tx: tx(m, body), type: 0 });
  return { c, pub, session, digest, rounds, list, envs, hash, commitment, pkg, share, report, jailed, slashes, tx, check };
}

test('a coordinator that swaps its own commitment after collecting an honest share cannot get the signer jailed; a real cheater still is', async () => {
  const x = await withRequest();
  const [coord, victim, cheater] = x.rounds.map((r) => r.s.secret.index) as [number, number, number];
  expect(BigInt(POOL_PARAMS.slashAmount)).toBeGreaterThan(0n); // jailing also creates a slash request
  // The victim answers the package it was sent, honestly: its share names that package's hash.
  const honestPkg = x.pkg(coord, x.envs);
  const value = signShare(x.pub, x.rounds[1]!.s.secret, x.rounds[1]!.nonces, x.list, x.digest);
  const victimShare = x.share(victim, value, x.hash);
  const honest = await x.check(coord, x.report(victim, honestPkg, x.envs[1]!, victimShare));
  expect([honest.code, honest.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(/share verifies against the package it answered/)]);

  // The coordinator signs a second commitment of its own for the same attempt, swaps it in and
  // signs the new package: against it the honest share fails (that was enough before decision 24).
  const swapped = commitNonces(x.rounds[0]!.s.secret).commitment;
  const forged = x.pkg(coord, [x.commitment(swapped), ...x.envs.slice(1)]);
  const body = x.report(victim, forged, x.envs[1]!, victimShare);
  const refused = await x.check(coord, body);
  expect([refused.code, refused.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(new RegExp(`signer ${victim}'s share answers another signing package`))]);
  // A byzantine proposer may put it in a block anyway: FinalizeBlock refuses it too.
  const r = await x.c.step({ txs: [x.tx(coord, body)] });
  expect([r.finalized.txResults![1]!.code, r.finalized.txResults![1]!.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(/answers another signing package/)]);
  expect(types(r)).not.toContain('jailed');
  expect(await x.jailed(victim)).toBe(false);
  expect(await x.slashes()).toBe(0);

  // A share that fails against the very package its signer named is still proven: jailed, slashed.
  const bad = x.share(cheater, keccak_256(utf8('not a share')), x.hash);
  const proven = await x.c.step({ txs: [x.tx(victim, x.report(cheater, honestPkg, x.envs[2]!, bad))] });
  expect(proven.finalized.txResults![1]!.code).toBe(TxCode.OK);
  expect(types(proven)).toContain('jailed');
  expect(await x.jailed(cheater)).toBe(true);
  expect(await x.jailed(victim)).toBe(false);
  expect(await x.slashes()).toBe(1);
});

test('cheater evidence counts only if every commitment in the package is its owner\'s for the request and attempt', async () => {
  const x = await withRequest();
  const [coord, accused, third] = x.rounds.map((r) => r.s.secret.index) as [number, number, number];
  const junk = keccak_256(utf8('not a share'));
  // Each case: a package breaking one rule, and a share (signed by the accused) that names exactly
  // that package's hash, so that the rule alone refuses it.
  const cases: [string, SigningCommitment[], Uint8Array[], RegExp][] = [
    ['another attempt', x.list, [x.envs[0]!, x.envs[1]!, x.commitment(x.list[2]!, ATTEMPT + 1)], new RegExp(`signer ${third}'s commitment in the package is of another session or attempt`)],
    ['not its owner\'s', x.list, [x.envs[0]!, x.envs[1]!, x.commitment(x.list[2]!, ATTEMPT, coord)], new RegExp(`signer ${third}\\) is not signed by its signer`)],
    ['a signer twice', [...x.list, x.list[2]!], [...x.envs, x.envs[2]!], new RegExp(`signer ${third} has two commitments`)],
    ['too few', x.list.slice(0, 2), x.envs.slice(0, 2), /fewer than the threshold/],
  ];
  for (const [name, list, envs, why] of cases) {
    const share = x.share(accused, junk, signingPackageHash(x.session, ATTEMPT, x.digest, list));
    const r = await x.check(coord, x.report(accused, x.pkg(coord, envs), x.envs[1]!, share));
    expect({ name, code: r.code, log: r.log }).toEqual({ name, code: TxCode.INVALID_MESSAGE, log: expect.stringMatching(why) });
  }
  const good = x.pkg(coord, x.envs);
  const share = x.share(accused, junk, x.hash);
  // The reported commitment must be the accused's one in the package; the share of the same attempt.
  const other = await x.check(coord, x.report(accused, good, x.commitment(commitNonces(x.rounds[1]!.s.secret).commitment), share));
  expect([other.code, other.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(/reported commitment is not signer/)]);
  const late = await x.check(coord, x.report(accused, good, x.envs[1]!, x.share(accused, junk, x.hash, ATTEMPT + 1)));
  expect([late.code, late.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(/another session or attempt than the package/)]);
  const unbound = await x.check(coord, x.report(accused, good, x.envs[1]!, x.share(accused, junk, new Uint8Array(0))));
  expect([unbound.code, unbound.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(/answers another signing package \(share names none/)]);
  // All rules met: proven.
  expect((await x.check(coord, x.report(accused, good, x.envs[1]!, share))).code).toBe(TxCode.OK);
});
