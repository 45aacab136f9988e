// The chain takes one Ready per receiver and one justification per missing-share complaint
// (decision 28). A sidecar restarted in the middle of a session replays the committed transcript
// into a fresh engine, which answers the complaints against it again and would be Ready again: it
// must publish neither a second time (the chain would refuse them).
import { bytesToHex } from '@noble/hashes/utils.js';
import { equalBytes, open } from '../../mpc/envelope.js';
import { Cluster } from './helpers.js';

const from = (envs: Uint8Array[], payload: string, sender: Uint8Array) => envs.filter((e) => open(e).body.payload === payload && equalBytes(open(e).body.sender, sender)).length;

test('restarted after its justification and Ready are on chain, while the session is open: publishes neither again', async () => {
  const c = new Cluster(4);
  try {
    for (let i = 0; i < 4; i++) await c.start(i);
    const [D, R] = [0, 1];
    const [dKey, rKey] = [c.nodes[D]!.pubKey, c.nodes[R]!.pubKey];
    // D's share to R never arrives: R complains after the deal deadline, D answers publicly
    c.hub.filter = (f, to, env) => !(equalBytes(f, dKey) && equalBytes(to, rKey) && open(env).body.payload === 'share');
    const s = c.chain.openDkg(3n);
    const session = () => c.chain.sessions.get(bytesToHex(s.id))!;
    const dIndex = s.members.find((m) => equalBytes(m.identity, dKey))!.index;
    await c.until(() => from(session().transcript, 'justification', dKey) === 1, 20);
    expect(session().status).toBe('open'); // R's Ready (answering the justification) is still to come
    expect(session().ready).toContain(dIndex);

    await c.stop(D);
    await c.start(D);
    await c.nodes[D]!.sidecar!.waitForHeight(c.chain.height);
    await new Promise((r) => setTimeout(r, 100));
    const pending = c.chain.mempool.flatMap((t) => (t.body.mpcPublic ? [t.body.mpcPublic.envelope] : []));
    expect(from(pending, 'justification', dKey)).toBe(0);
    expect(from(pending, 'ready', dKey)).toBe(0);

    await c.until(() => session().status !== 'open', 10);
    expect(session().status).toBe('done');
    expect(c.chain.rejected).toEqual([]);
    expect(from(session().transcript, 'justification', dKey)).toBe(1);
    expect(from(session().transcript, 'ready', dKey)).toBe(1);
  } finally {
    await c.close();
  }
}, 60_000);
