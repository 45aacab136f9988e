import { keccak_256 } from '@noble/hashes/sha3.js';
import { encodeBatchData } from '../../protocol/batch-data.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { verifySignature } from '../../mpc/signing/frost.js';
import { LevelKeyStore } from '../../sidecar/store/key-store.js';
import { Cluster, FAST, batchPayload } from './helpers.js';

describe('sidecar: DKG then signing over a scripted chain and an in-memory channel', () => {
  const c = new Cluster(4);
  afterAll(() => c.close());

  test('4 sidecars bind peers, run the genesis DKG to DONE and store matching shares', async () => {
    for (let i = 0; i < 4; i++) await c.start(i);
    const s = c.chain.openDkg(3n);
    await c.until(() => c.chain.sessions.get(bytesToHex(s.id))!.status !== 'open', 15);
    expect(c.chain.sessions.get(bytesToHex(s.id))!.status).toBe('done');
    // Early finalisation: every dealer dealt and every receiver sent Ready, before the deal deadline passed.
    expect(c.chain.height).toBeLessThanOrEqual(s.dealDeadline);
    expect(c.chain.rejected).toEqual([]);
    expect([...c.chain.vals.values()].every((v) => v.peer !== null)).toBe(true);
    await c.block(); // sidecars see DONE and finalise
    const pub = c.chain.key!.result.public;
    for (const x of c.nodes) {
      expect(x.log.find('finalised: key share stored')).toHaveLength(1);
      expect(x.log.find('ready')).toHaveLength(1);
      expect(x.sidecar!.status().sessions).toEqual([]);
    }
    // No log line carries a share: the stored share's scalar never appears in any captured line.
    const text = JSON.stringify(c.nodes.flatMap((x) => x.log.lines));
    expect(text).not.toMatch(/"share":"[0-9a-f]{64}"/);
    expect(pub.members).toHaveLength(4);
  });

  test('the coordinator signs a commitEpoch request, submits it and logs the timing line', async () => {
    const r = c.chain.addRequest('commitEpoch', new Uint8Array(128).fill(1));
    await c.until(() => c.chain.requests.get(r.id)!.status === 'signed', 10);
    const req = c.chain.requests.get(r.id)!;
    expect(req.status).toBe('signed');
    expect(verifySignature(req.signature!, req.digest, c.chain.key!.result.public.groupKey)).toBe(true);
    const lines = c.nodes.flatMap((x) => x.log.find('signature aggregated'));
    expect(lines).toHaveLength(1); // only rank 0 coordinated: it finished within its 4 blocks
    expect(lines[0]).toMatchObject({ requestId: '1', purpose: 'commitEpoch', attempts: 1 });
    expect(typeof lines[0]!.ms).toBe('number');
    expect(typeof lines[0]!.networkMs).toBe('number');
    expect(lines[0]!.ms as number).toBeGreaterThanOrEqual(lines[0]!.networkMs as number);
  });

  test('appendBatch: signed when the batch data is our L2 byte for byte, refused by every sidecar (naming the first differing block) when it is not', async () => {
    const g = await c.l2.batch(0n, 1n, 5n);
    c.chain.batchData.set(0n, g.data);
    const good = c.chain.addRequest('appendBatch', g.payload);
    // Batch 1's data holds the right blocks, but block 8's second transaction is another one.
    const honest = await c.l2.content(6n, 9n);
    honest.blocks[2]!.transactions[1] = `0x02${'cd'.repeat(60)}`;
    const tampered = encodeBatchData(honest);
    c.chain.batchData.set(1n, tampered);
    const bad = c.chain.addRequest('appendBatch', batchPayload({ batchIndex: 1n, l2Start: 6n, l2End: 9n, dataHash: keccak_256(tampered) }));
    await c.until(() => c.chain.requests.get(good.id)!.status === 'signed', 10);
    expect(c.chain.requests.get(good.id)!.status).toBe('signed');
    // Give the bad one its rank-0 coordinator's full round timeout and more.
    for (let i = 0; i < 3; i++) await c.block(200);
    expect(c.chain.requests.get(bad.id)!.status).toBe('pending');
    const refusals = c.nodes.flatMap((x) => x.log.find('refusing to sign appendBatch: the batch data differs from the L2 blocks our own L2 RPC serves'));
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    expect(refusals.every((l) => l.requestId === bad.id.toString())).toBe(true);
    expect(refusals[0]).toMatchObject({ firstDifferingBlock: '8', field: 'transaction 1' });
  });

  test('after a crash and restart the nonce store refuses a second share for a replayed signing round', async () => {
    const { decodeBody, decodeEnvelope } = await import('../../proto/mpc.js');
    const payload = (e: Uint8Array) => decodeBody(decodeEnvelope(e).body).payload;
    const r = c.chain.addRequest('distributeRewards', new Uint8Array(96).fill(3));
    // Record every channel message, then pick a signer of the request that is not its coordinator.
    const traffic: { from: Uint8Array; to: Uint8Array; env: Uint8Array }[] = [];
    c.hub.filter = (from, to, env) => {
      traffic.push({ from, to, env });
      return true;
    };
    await c.until(() => c.chain.requests.get(r.id)!.status === 'signed', 10);
    expect(c.chain.requests.get(r.id)!.status).toBe('signed');
    const ti = c.nodes.findIndex((x) => traffic.some((m) => bytesToHex(m.to) === bytesToHex(x.pubKey) && payload(m.env) === 'signingPackage'));
    expect(ti).toBeGreaterThanOrEqual(0);
    const target = c.nodes[ti]!;
    const toTarget = traffic.filter((m) => bytesToHex(m.to) === bytesToHex(target.pubKey));
    const fromTarget = traffic.filter((m) => bytesToHex(m.from) === bytesToHex(target.pubKey)).map((m) => m.env);
    const reqMsg = toTarget.find((m) => payload(m.env) === 'signRequest')!;
    const pkgMsg = toTarget.find((m) => payload(m.env) === 'signingPackage')!;
    expect(reqMsg).toBeDefined();
    expect(pkgMsg).toBeDefined();
    expect(fromTarget.filter((e) => payload(e) === 'signatureShare')).toHaveLength(1);

    // Crash: stop and restart from the same data dir. The request is made pending again (as if the
    // SubmitSignature were lost), so approval passes and only the nonce store stands in the way.
    await c.stop(ti);
    c.chain.requests.get(r.id)!.status = 'pending';
    c.chain.requests.get(r.id)!.signature = null;
    await c.start(ti);
    c.hub.filter = () => false; // keep the other sidecars from re-signing while we replay
    await c.block();
    fromTarget.length = 0;
    c.hub.filter = (from, _to, env) => {
      if (bytesToHex(from) === bytesToHex(target.pubKey)) fromTarget.push(env);
      return true;
    };
    c.hub.inject(reqMsg.from, target.pubKey, reqMsg.env);
    c.hub.inject(pkgMsg.from, target.pubKey, pkgMsg.env);
    await new Promise((res) => setTimeout(res, 300));
    expect(fromTarget.filter((e) => payload(e) === 'signatureShare')).toHaveLength(0);
    expect(fromTarget.filter((e) => payload(e) === 'nonceCommitment')).toHaveLength(0);
    expect(target.log.lines.filter((l) => l.msg === 'not signing' && l.err === 'NONCE_REUSE').length).toBeGreaterThanOrEqual(1);
    c.hub.filter = undefined;
    c.chain.requests.get(r.id)!.status = 'signed';
  });

  test('the key store holds the share encrypted: the wrong passphrase does not open it', async () => {
    await c.stop(2);
    await expect(LevelKeyStore.open(`${c.nodes[2]!.dir}/keys`, 'wrong', FAST)).rejects.toThrow(/WRONG_PASSPHRASE/);
    const ks = await LevelKeyStore.open(`${c.nodes[2]!.dir}/keys`, 'test passphrase', FAST);
    const share = await ks.active('seqpool');
    await ks.close();
    expect(share?.public.epoch).toBe(0);
    expect(bytesToHex(share!.public.groupKey)).toBe(bytesToHex(c.chain.key!.result.public.groupKey));
  });
});
