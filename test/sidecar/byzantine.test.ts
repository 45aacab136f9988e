import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { verifySignature } from '../../mpc/signing/frost.js';
import { Cluster } from './helpers.js';

const hex = bytesToHex;

test('bad-shares: the byzantine dealer is proven faulty by a complaint with evidence and left out of the key', async () => {
  const c = new Cluster(4);
  try {
    await c.start(0, 'bad-shares');
    for (let i = 1; i < 4; i++) await c.start(i);
    const s = c.chain.openDkg(3n);
    await c.until(() => c.chain.sessions.get(hex(s.id))!.status !== 'open', 15);
    const done = c.chain.sessions.get(hex(s.id))!;
    expect(done.status).toBe('done');
    const bad = c.chain.key!.result;
    const byzIndex = done.members.find((m) => hex(m.identity) === hex(c.nodes[0]!.pubKey))!.index;
    expect(bad.faults.map((f) => [f.dealer, f.reason])).toEqual([[byzIndex, 'bad-share']]);
    expect(bad.qualified).not.toContain(byzIndex);
    for (let i = 1; i < 4; i++) expect(c.nodes[i]!.log.find('complaints published')).toHaveLength(1);
    await c.block();
    for (let i = 1; i < 4; i++) expect(c.nodes[i]!.log.find('finalised: key share stored')).toHaveLength(1);
    expect(c.nodes[0]!.log.find('mpc session finalised; we are not a holder of the new key')).toHaveLength(1);
    // The three honest holders (t = 3) sign.
    const r = c.chain.addRequest('commitEpoch', new Uint8Array(32).fill(9));
    await c.until(() => c.chain.requests.get(r.id)!.status === 'signed', 10);
    expect(c.chain.requests.get(r.id)!.status).toBe('signed');
  } finally {
    await c.close();
  }
});

test('bad-signature-shares: the coordinator excludes the cheater, signs with the others and reports it on chain', async () => {
  const c = new Cluster(5); // t = 4: one cheater leaves exactly t honest members
  try {
    for (let i = 0; i < 5; i++) await c.start(i);
    const s = c.chain.openDkg(3n);
    await c.until(() => c.chain.sessions.get(hex(s.id))!.status !== 'open', 15);
    await c.block();
    const pub = c.chain.key!.result.public;
    expect(pub.members).toHaveLength(5);
    // Make a member that is in the first signer subset (indices 1..t) and not the coordinator of request 1 byzantine.
    const cheater = pub.members.find((m) => m.index === 2)!;
    const ci = c.nodes.findIndex((x) => hex(x.pubKey) === hex(cheater.identity));
    await c.stop(ci);
    await c.start(ci, 'bad-signature-shares');
    await c.block();
    const r = c.chain.addRequest('slash', new Uint8Array(96).fill(5));
    await c.until(() => c.chain.requests.get(r.id)!.status === 'signed', 10, 60);
    const req = c.chain.requests.get(r.id)!;
    expect(req.status).toBe('signed');
    expect(verifySignature(req.signature!, req.digest, pub.groupKey)).toBe(true);
    await c.block();
    expect(c.chain.cheaterReports).toEqual([{ requestId: r.id, signer: 2, from: expect.any(String) }]);
    const agg = c.nodes.flatMap((x) => x.log.find('signature aggregated'));
    expect(agg).toHaveLength(1);
    expect(agg[0]).toMatchObject({ attempts: 2, excluded: { '2': 'cheater' } });
  } finally {
    await c.close();
  }
});

test('a dealer that crashes mid-session never deals twice: after restart it goes on with the shares it saved, and gets its share', async () => {
  const c = new Cluster(4);
  try {
    for (let i = 0; i < 4; i++) await c.start(i);
    await c.block(); // BindPeer txs
    await c.block(); // bindings committed: the allowlists admit every peer, so shares go out at once
    const s = c.chain.openDkg(3n);
    // Next block: everyone deals (txs in the mempool, the dealt marker and the dealt shares on disk);
    // the settle time lets shares refused by peers that had not admitted us yet go out on the 250 ms
    // retry. Sidecar 0 crashes before its dealing is committed; sidecar 1 crashes after, and loses
    // its marker too (only the committed transcript can tell it).
    await c.block(600);
    await c.stop(0);
    await c.start(0);
    await c.block();
    await c.stop(1);
    rmSync(join(c.nodes[1]!.dir, 'sessions'), { recursive: true, force: true });
    await c.start(1);
    await c.until(() => c.chain.sessions.get(hex(s.id))!.status !== 'open', 15);
    expect(c.chain.sessions.get(hex(s.id))!.status).toBe('done');
    const goOn = 'we dealt in this session before a restart: not dealing again; going on with the shares saved before it';
    expect(c.nodes[0]!.log.find(goOn)).toHaveLength(1);
    // Sidecar 1 may come back before the session closed (goes on) or after (recovers its share).
    const recovered = 'recovering our share of the current key epoch from the shares saved before a restart';
    expect(c.nodes[1]!.log.find(goOn).length + c.nodes[1]!.log.find(recovered).length).toBe(1);
    expect(c.chain.height).toBeLessThan(s.finalHeight); // everyone Ready: finished early
    // No equivocation: exactly one dealing per dealer in the transcript, nothing rejected.
    expect(c.chain.sessions.get(hex(s.id))!.dealt.size).toBe(4);
    expect(c.chain.rejected).toEqual([]);
    expect(c.chain.key!.result.faults.map((f) => [f.dealer, f.reason])).toEqual([]);
    await c.block();
    for (const x of c.nodes) expect(x.log.find('finalised: key share stored')).toHaveLength(1);
    for (const x of c.nodes.slice(0, 2)) expect(x.log.find('dealt')).toHaveLength(1); // before the crash only
  } finally {
    await c.close();
  }
});
