// The sidecar over the real MPC channel (sidecar/net, libp2p on 127.0.0.1): peer ids and addresses
// bound on the scripted chain through BindPeer, the genesis DKG and one signature.
import { bytesToHex } from '@noble/hashes/utils.js';
import { startSidecar } from '../../sidecar/sidecar.js';
import { Cluster, FAST } from './helpers.js';
import { loopbackMultiaddr } from '../ports.js';

test('4 sidecars on libp2p: bind peers, DKG, sign', async () => {
  const c = new Cluster(4);
  try {
    for (const x of c.nodes) {
      x.sidecar = await startSidecar({
        privKey: x.privKey,
        dataDir: x.dir,
        passphrase: 'pw',
        scrypt: FAST,
        chain: c.chain,
        heights: c.chain.heightSource(),
        l2: c.l2,
        logger: x.log.logger('sidecar'),
        config: { listen: [await loopbackMultiaddr()], roundTimeoutMs: 2000 },
      });
    }
    await c.block(100); // BindPeer txs in
    await c.block(100); // bindings committed
    for (const [i, x] of c.nodes.entries()) {
      const v = [...c.chain.vals.values()].find((y) => bytesToHex(y.pubKey) === bytesToHex(x.pubKey))!;
      expect(v.peer?.peerId).toBe(c.nodes[i]!.sidecar!.peerId);
      expect(v.peer?.addrs[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/);
    }
    const s = c.chain.openDkg(3n);
    await c.until(() => c.chain.sessions.get(bytesToHex(s.id))!.status !== 'open', 15, 300);
    expect(c.chain.sessions.get(bytesToHex(s.id))!.status).toBe('done');
    expect(c.chain.key!.result.faults).toHaveLength(0);
    await c.block(100);
    for (const x of c.nodes) expect(x.log.find('finalised: key share stored')).toHaveLength(1);
    await c.signsCommitEpoch(4, 10, 300);
  } finally {
    await c.close();
  }
}, 60_000);
