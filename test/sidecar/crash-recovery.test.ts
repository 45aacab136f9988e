// A sidecar that crashes during a key session loses nothing: the shares dealt to it (its own to
// itself included) are saved encrypted in its key store as they arrive, so
// - killed between sending Ready and seeing the session DONE, it rebuilds its share on restart from
//   the saved shares and the committed transcript;
// - killed right after dealing, before its shares reached anyone (at genesis the peers' bindings are
//   not committed yet), it never deals twice but delivers the saved shares late, goes on as a
//   receiver, and the session still finishes early with nobody faulted.
import { bytesToHex } from '@noble/hashes/utils.js';
import { open } from '../../mpc/envelope.js';
import { Cluster } from './helpers.js';

const mempoolCount = (c: Cluster, payload: string, sender?: Uint8Array) =>
  c.chain.mempool.filter((t) => {
    if (!t.body.mpcPublic) return false;
    const b = open(t.body.mpcPublic.envelope).body;
    return b.payload === payload && (!sender || bytesToHex(b.sender) === bytesToHex(sender));
  }).length;

test('killed after its Ready, before the session closed: on restart it rebuilds and stores its share, and signs with it', async () => {
  const c = new Cluster(4);
  try {
    for (let i = 0; i < 4; i++) await c.start(i);
    const s = c.chain.openDkg(3n);
    const session = () => c.chain.sessions.get(bytesToHex(s.id))!;
    const victim = 2;
    let stopped = false;
    for (let i = 0; i < 15 && session().status === 'open'; i++) {
      // Every Ready is in (committed or about to be): the next block closes the session. Crash now.
      if (!stopped && session().ready.length + mempoolCount(c, 'ready') === 4) {
        await c.stop(victim);
        stopped = true;
      }
      await c.block();
    }
    expect(stopped).toBe(true);
    expect(session().status).toBe('done');
    expect(c.nodes[victim]!.log.find('finalised: key share stored')).toHaveLength(0);
    await c.start(victim);
    await c.block();
    const log = c.nodes[victim]!.log;
    expect(log.find('recovering our share of the current key epoch from the shares saved before a restart')).toHaveLength(1);
    expect(log.find('finalised: key share stored')).toHaveLength(1);
    // Its share works: with another member down, the three left (the victim among them) sign.
    await c.stop((victim + 1) % 4);
    await c.signsCommitEpoch(5, 60, 150);
  } finally {
    await c.close();
  }
}, 60_000);

test('killed right after dealing: on restart it does not deal again, delivers its saved shares, is Ready, and the session finishes early', async () => {
  const c = new Cluster(4);
  try {
    for (let i = 0; i < 4; i++) await c.start(i);
    const s = c.chain.openDkg(4n);
    const session = () => c.chain.sessions.get(bytesToHex(s.id))!;
    const victim = 1;
    const me = c.nodes[victim]!.pubKey;
    let stopped = false;
    for (let i = 0; i < 10 && !stopped; i++) {
      if (mempoolCount(c, 'dealing', me) === 1 || session().transcript.some((e) => open(e).body.payload === 'dealing' && bytesToHex(open(e).body.sender) === bytesToHex(me))) {
        await c.stop(victim);
        stopped = true;
      } else await c.block();
    }
    expect(stopped).toBe(true);
    await c.block();
    await c.start(victim);
    await c.until(() => session().status !== 'open', 20);
    expect(session().status).toBe('done');
    expect(c.chain.height).toBeLessThan(s.finalHeight);
    const log = c.nodes[victim]!.log;
    expect(log.find('we dealt in this session before a restart: not dealing again; going on with the shares saved before it')).toHaveLength(1);
    expect(log.find('dealt')).toHaveLength(1); // before the crash only
    await c.block();
    expect(log.find('finalised: key share stored')).toHaveLength(1);
    expect(c.chain.rejected).toEqual([]);
    expect(c.chain.key!.result.public.members).toHaveLength(4); // the victim's dealing counted: nobody disqualified
  } finally {
    await c.close();
  }
}, 60_000);
