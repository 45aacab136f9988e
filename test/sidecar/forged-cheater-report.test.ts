// A byzantine coordinator against honest sidecars and the real app (decision 24). The attacker is
// test code holding a validator's identity key (its own sidecar keeps running honestly): it asks two
// honest members to sign the pending commitEpoch request, sends them a package, collects the
// victim's share, then swaps its own commitment for another one it signs for the same attempt, signs
// that package and reports the victim with ReportSigningCheater. Against the swapped package the
// honest share really does fail; the app must still refuse the report (the share names the package
// it answered), jail nobody, create no slash request, and the request must still get signed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { TxCode } from '../../protocol/codes.js';
import { currentKey } from '../../app/mpc-sessions.js';
import { publicKeyPackage } from '../../app/sign-requests.js';
import { toHex } from '../../common/bytes.js';
import { equalBytes, open, seal } from '../../mpc/envelope.js';
import { IdentityKey } from '../../mpc/identity.js';
import { verifySignatureShare, type SigningCommitment } from '../../mpc/signing/frost.js';
import { signingSessionId } from '../../mpc/signing/session.js';
import { startSidecar, type RunningSidecar } from '../../sidecar/sidecar.js';
import { MemoryHub } from '../../sidecar/transport.js';
import { decodeEnvelope, encodeEnvelope } from '../../proto/mpc.js';
import { attemptRange } from '../../mpc/signing/session.js';
import { FAST, FakeL2, LogCapture } from './helpers.js';
import { RealAppChain } from './real-app-chain.js';

const point = () => secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true);

test('a byzantine coordinator swaps a commitment after collecting an honest share and reports it: refused, nobody jailed, signing goes on', async () => {
  const chain = await RealAppChain.create(4, { mpcPhaseBlocks: 5 });
  const hub = new MemoryHub();
  const logs = chain.pool.vals.map(() => new LogCapture());
  const dirs = chain.pool.vals.map(() => mkdtempSync(join(tmpdir(), 'seqpool-sidecar-forged-')));
  const cars: RunningSidecar[] = [];
  const block = async () => {
    const h = await chain.block();
    await Promise.all(cars.map((c) => c.waitForHeight(h)));
    await new Promise((r) => setTimeout(r, 40));
    return h;
  };
  const request1 = async () => (await chain.query('/sign/1'))?.value as { status: string; digest: string } | undefined;
  try {
    await block();
    for (const [i, v] of chain.pool.vals.entries()) {
      const common = { privKey: v.privKey, dataDir: dirs[i]!, passphrase: 'pw', scrypt: FAST, chain, heights: chain.heightSource() };
      cars.push(await startSidecar({ ...common, transport: hub.transport(v.pubKey), l2: new FakeL2(1000n), logger: logs[i]!.logger(`sidecar-${i}`), config: { roundTimeoutMs: 3000 } }));
    }
    for (let i = 0; i < 25 && !(await chain.query('/mpc/key')); i++) await block();
    await block();
    const key = currentKey(chain.pool.app.state, 'committed')!;
    const pub = publicKeyPackage(key);
    expect([pub.members.length, pub.threshold]).toEqual([4, 3]);

    // The attacker: member `byz`; it signs with `victim` and `other`.
    const [byz, victim, other] = key.members;
    const byzVal = chain.pool.vals.findIndex((v) => equalBytes(v.pubKey, byz!.identity));
    const byzId = IdentityKey.fromSecretKey(chain.pool.vals[byzVal]!.privKey);
    const honest = [victim!, other!];
    // In the attacker's own range (participants refuse others), past what its honest sidecar's runs use.
    const ATTEMPT = attemptRange(byz!.index)[1];

    // The election's commitEpoch request becomes pending; the attack runs before the next block.
    chain.pool.setHead(9n);
    for (let i = 0; i < 25 && !(await request1()); i++) await block();
    expect((await request1())?.status).toBe('pending');
    const digest = Buffer.from((await request1())!.digest.replace(/^0x/, ''), 'hex');
    const session = signingSessionId(pub, '1');

    // Replies to the attacker's attempt are taken off the wire (its own sidecar never sees them).
    const captured: Uint8Array[] = [];
    hub.filter = (_from, to, env) => {
      if (!equalBytes(to, byz!.identity)) return true;
      const b = open(env).body;
      const attempt = 'nonceCommitment' in b ? b.nonceCommitment.attempt : 'signatureShare' in b ? b.signatureShare.attempt : undefined;
      if (!equalBytes(b.session, session) || attempt !== ATTEMPT) return true;
      captured.push(env);
      return false;
    };
    const from = (payload: 'nonceCommitment' | 'signatureShare', index: number) =>
      captured.find((e) => {
        const b = open(e).body;
        return b.payload === payload && ('nonceCommitment' in b ? b.nonceCommitment.signer : 'signatureShare' in b ? b.signatureShare.signer : -1) === index;
      });
    const waitFor = async <T>(what: string, get: () => T | undefined): Promise<T> => {
      for (let i = 0; i < 100; i++) {
        const v = get();
        if (v !== undefined) return v;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`the honest members never sent ${what}`);
    };
    const send = (env: Uint8Array) => honest.forEach((m) => hub.inject(byz!.identity, m.identity, env));
    const ownCommitment = () => seal(byzId, { session, nonceCommitment: { signer: byz!.index, attempt: ATTEMPT, hiding: point(), binding: point() } });
    const packageOf = (first: Uint8Array, rest: Uint8Array[]) => seal(byzId, { session, signingPackage: { message: digest, attempt: ATTEMPT, commitments: [first, ...rest].map(decodeEnvelope) } });
    const listOf = (p: Uint8Array): SigningCommitment[] => {
      const b = open(p).body;
      if (!('signingPackage' in b)) throw new Error('not a package');
      return b.signingPackage.commitments.map((e) => open(encodeEnvelope(e)).body).map((c) => ('nonceCommitment' in c ? { index: c.nonceCommitment.signer, hiding: c.nonceCommitment.hiding, binding: c.nonceCommitment.binding } : undefined)!);
    };

    send(seal(byzId, { session, signRequest: { message: digest, attempt: ATTEMPT, signers: [byz!.index, victim!.index, other!.index].sort((a, b) => a - b) } }));
    const commitments = await waitFor('their commitments', () => {
      const cs = honest.map((m) => from('nonceCommitment', m.index));
      return cs.every((c) => c) ? (cs as Uint8Array[]) : undefined;
    });
    const answered = packageOf(ownCommitment(), commitments);
    send(answered);
    const share = await waitFor('the victim\'s share', () => from('signatureShare', victim!.index));
    const value = (() => {
      const b = open(share).body;
      return 'signatureShare' in b ? b.signatureShare.share : new Uint8Array();
    })();
    // The swap: a second commitment of the attacker's own for the same attempt.
    const forged = packageOf(ownCommitment(), commitments);
    expect(verifySignatureShare(pub, listOf(answered), digest, victim!.index, value)).toBe(true);
    expect(verifySignatureShare(pub, listOf(forged), digest, victim!.index, value)).toBe(false); // what the old check jailed on

    // Reported from the attacker's node lane (its sidecar uses lane 1).
    const report = chain.pool.tx(byzVal, { reportCheater: { requestId: 1n, signer: victim!.index, attempt: ATTEMPT, package: forged, commitment: commitments[0]!, share } }, 0);
    const checked = await chain.broadcastTx(report);
    expect([checked.code, checked.log]).toEqual([TxCode.INVALID_MESSAGE, expect.stringMatching(new RegExp(`signer ${victim!.index}'s share answers another signing package`))]);
    chain.mempool.push(report); // a byzantine proposer includes it anyway: FinalizeBlock judges it too
    hub.filter = undefined;
    const before = chain.results.length;
    await block();
    expect(chain.results.slice(before).filter((r) => r.code !== 0)).toEqual([{ code: TxCode.INVALID_MESSAGE, log: expect.stringMatching(/answers another signing package/) }]);

    const jailed = async (address: Uint8Array) => ((await chain.query(`/validator/${toHex(address)}`))!.value as { jailed: boolean }).jailed;
    for (const m of key.members) expect({ index: m.index, jailed: await jailed(m.address) }).toEqual({ index: m.index, jailed: false });
    const pending = (await chain.query('/sign/pending'))!.value as { requests: { purpose: string }[] };
    expect(pending.requests.filter((r) => r.purpose === 'slash')).toEqual([]);
    // Signing goes on: the honest coordinators' signature for request 1 is accepted.
    for (let i = 0; i < 10 && (await request1())?.status !== 'signed'; i++) await block();
    expect((await request1())?.status).toBe('signed');
    expect(logs.flatMap((l) => l.find('signature aggregated')).map((l) => l.requestId)).toContain('1');
  } finally {
    hub.filter = undefined;
    for (const c of cars) await c.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}, 60_000);
