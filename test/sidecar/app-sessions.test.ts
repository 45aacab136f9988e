// The sidecars against the real app's MPC session code: the genesis DKG the app opens by itself,
// Ready/early finalisation, the app's /mpc/key and /mpc/session JSON, then a reshare 4 -> 5 at an
// epoch boundary (same group key, new member gets a share) and signing with the new key epoch.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../common/bytes.js';
import { pubKeyToAddress } from '../../common/secp.js';
import { verifySignature } from '../../mpc/signing/frost.js';
import { AppMpcBackend } from './app-mpc-backend.js';
import { Cluster, LogCapture } from './helpers.js';

test('genesis DKG opened by the app, a reshare 4 -> 5 and a refresh keep the group key; every key epoch signs', async () => {
  const c = new Cluster(4);
  const backend = new AppMpcBackend([...c.chain.vals.values()], { mpcPhaseBlocks: 4, refreshEveryEpochs: 1 });
  c.chain.backend = backend;
  try {
    for (let i = 0; i < 4; i++) await c.start(i);
    const key = () => backend.query('/mpc/key') as { keyEpoch: number; groupKey: string; members: { index: number; identity: string; verifyingShare: string }[] } | undefined;
    await c.until(() => key() !== undefined, 20);
    const k0 = key()!;
    expect(k0.keyEpoch).toBe(0);
    expect(k0.members).toHaveLength(4);
    expect(c.chain.rejected).toEqual([]);
    const dkg = backend.query('/mpc/session/current') as { status: string; ready: number[]; closedHeight: string; dealDeadline: string };
    expect(dkg.status).toBe('done');
    expect(dkg.ready).toHaveLength(4); // finalised early on Ready, before the deal deadline
    expect(BigInt(dkg.closedHeight)).toBeLessThanOrEqual(BigInt(dkg.dealDeadline));
    await c.block();
    for (const x of c.nodes) expect(x.log.find('finalised: key share stored')).toHaveLength(1);

    const r1 = c.chain.addRequest('commitEpoch', new Uint8Array(128).fill(1));
    await c.until(() => c.chain.requests.get(r1.id)!.status === 'signed', 10);
    expect(c.chain.requests.get(r1.id)!.status).toBe('signed');

    // A fifth validator joins; at the epoch boundary the app opens a reshare to the 5.
    const priv = secp256k1.utils.randomSecretKey();
    const pub = secp256k1.getPublicKey(priv, true);
    c.nodes.push({ privKey: priv, pubKey: pub, dir: mkdtempSync(join(tmpdir(), 'seqpool-sidecar-')), sidecar: undefined, log: new LogCapture() });
    c.chain.addValidator(pub);
    backend.addSequencer({ address: toHex(pubKeyToAddress(pub)).toUpperCase(), pubKey: pub });
    await c.start(4);
    await c.block(); // its BindPeer
    c.chain.boundary = 1n;
    await c.block();
    const rs = backend.query('/mpc/session/current') as { kind: string; status: string; receivers: unknown[] };
    expect(rs).toMatchObject({ kind: 'reshare', status: 'open' });
    expect(rs.receivers).toHaveLength(5);
    await c.until(() => key()!.keyEpoch === 1, 20);
    const k1 = key()!;
    expect(k1.groupKey).toBe(k0.groupKey);
    expect(k1.members).toHaveLength(5);
    expect(c.chain.rejected).toEqual([]);
    await c.block();
    for (const x of c.nodes) expect(x.log.find('finalised: key share stored')).toHaveLength(x === c.nodes[4] ? 1 : 2);
    expect(c.nodes[4]!.log.find('finalised: key share stored')[0]).toMatchObject({ keyEpoch: 1 });

    const r2 = c.chain.addRequest('distributeRewards', new Uint8Array(160).fill(2));
    await c.until(() => c.chain.requests.get(r2.id)!.status === 'signed', 10);
    const req = c.chain.requests.get(r2.id)!;
    expect(req.status).toBe('signed');
    expect(verifySignature(req.signature!, req.digest, Buffer.from(k0.groupKey, 'hex'))).toBe(true);

    // Next boundary, same committee: a refresh (new shares, same group key).
    c.chain.boundary = 2n;
    await c.block();
    expect(backend.query('/mpc/session/current')).toMatchObject({ kind: 'refresh', status: 'open' });
    await c.until(() => key()!.keyEpoch === 2, 20);
    const k2 = key()!;
    expect(k2.groupKey).toBe(k0.groupKey);
    expect(k2.members.map((m) => m.verifyingShare)).not.toEqual(k1.members.map((m) => m.verifyingShare));
    await c.block();
    for (const x of c.nodes) expect(x.log.find('finalised: key share stored').at(-1)).toMatchObject({ keyEpoch: 2 });
    const r3 = c.chain.addRequest('slash', new Uint8Array(96).fill(3));
    await c.until(() => c.chain.requests.get(r3.id)!.status === 'signed', 10);
    expect(c.chain.requests.get(r3.id)!.status).toBe('signed');
    expect(c.chain.rejected).toEqual([]);
  } finally {
    await c.close();
  }
}, 60_000);
