// Key sessions that cannot finish on the fast path (every dealer dealt, every receiver Ready) must
// still finish well before their final height: the real sidecars against the real app's session code.
// - an exiting holder whose sidecar is gone deals nothing: the others Ready after the deal deadline
//   without it and the reshare closes then;
// - a private share lost on the way: its receiver complains, the dealer justifies publicly, and the
//   published share counts for the receiver's Ready.
import { equalBytes } from '@noble/curves/utils.js';
import { toHex } from '../../common/bytes.js';
import { pubKeyToAddress } from '../../common/secp.js';
import { open } from '../../mpc/envelope.js';
import { SequencerStatus } from '../../proto/seqpool.js';
import { AppMpcBackend } from './app-mpc-backend.js';
import { Cluster } from './helpers.js';

interface SessionJson {
  id: string;
  kind: string;
  status: string;
  dealDeadline: string;
  complaintDeadline: string;
  finalHeight: string;
  closedHeight: string;
  ready: number[];
  faults: { index: number; reason: string }[];
}
type KeyJson = { keyEpoch: number; groupKey: string; members: { identity: string }[] };

async function genesis(n: number, params: Record<string, number>) {
  const c = new Cluster(n);
  const backend = new AppMpcBackend([...c.chain.vals.values()], { mpcPhaseBlocks: 4, ...params });
  c.chain.backend = backend;
  for (let i = 0; i < n; i++) await c.start(i);
  const key = () => backend.query('/mpc/key') as KeyJson | undefined;
  await c.until(() => key() !== undefined, 20);
  expect(key()!.keyEpoch).toBe(0);
  return { c, backend, key };
}

test('an exiting holder whose sidecar is gone: the reshare closes right after the deal deadline, not at its final height', async () => {
  const { c, backend, key } = await genesis(5, {});
  try {
    const k0 = key()!;
    const leaving = c.nodes[4]!;
    await c.stop(4);
    const address = toHex(pubKeyToAddress(leaving.pubKey)).toUpperCase();
    backend.sim.addSequencer({ ...AppMpcBackend.sequencer({ address, pubKey: leaving.pubKey }), status: SequencerStatus.UNLOCKING, power: 0n });
    c.chain.boundary = 1n;
    await c.block();
    const opened = backend.query('/mpc/session/current') as SessionJson;
    expect(opened).toMatchObject({ kind: 'reshare', status: 'open' });
    await c.until(() => key()!.keyEpoch === 1, 20);
    const closed = backend.query(`/mpc/session/${opened.id}`) as SessionJson;
    expect(closed.status).toBe('done');
    expect(BigInt(closed.closedHeight)).toBeGreaterThan(BigInt(closed.dealDeadline));
    expect(BigInt(closed.closedHeight)).toBeLessThanOrEqual(BigInt(closed.dealDeadline) + 3n);
    expect(closed.faults.map((f) => f.reason)).toEqual(['silent']);
    const k1 = key()!;
    expect(k1.groupKey).toBe(k0.groupKey);
    expect(k1.members.map((m) => m.identity)).not.toContain(toHex(leaving.pubKey));
    expect(k1.members).toHaveLength(4);
    await c.block();
    for (const x of c.nodes.slice(0, 4)) expect(x.log.find('finalised: key share stored').at(-1)).toMatchObject({ keyEpoch: 1 });
  } finally {
    await c.close();
  }
}, 60_000);

test('a private share lost on the way: complaint, public justification, and the receiver is Ready with the published share', async () => {
  const { c, backend, key } = await genesis(4, { refreshEveryEpochs: 1 });
  try {
    const [dealer, receiver] = [c.nodes[0]!, c.nodes[1]!];
    let dropped = 0;
    c.hub.filter = (from, to, envelope) => {
      if (!equalBytes(from, dealer.pubKey) || !equalBytes(to, receiver.pubKey)) return true;
      if (open(envelope).body.payload !== 'share') return true;
      dropped++;
      return false;
    };
    c.chain.boundary = 1n;
    await c.block();
    const opened = backend.query('/mpc/session/current') as SessionJson;
    expect(opened).toMatchObject({ kind: 'refresh', status: 'open' });
    await c.until(() => key()!.keyEpoch === 1, 20);
    expect(dropped).toBe(1);
    const closed = backend.query(`/mpc/session/${opened.id}`) as SessionJson;
    expect(closed.status).toBe('done');
    expect(BigInt(closed.closedHeight)).toBeLessThan(BigInt(closed.finalHeight));
    expect(closed.ready).toEqual([1, 2, 3, 4]);
    expect(closed.faults).toEqual([]);
    expect(receiver.log.find('complaints published')).toHaveLength(1);
    await c.block();
    for (const x of c.nodes) expect(x.log.find('finalised: key share stored').at(-1)).toMatchObject({ keyEpoch: 1 });
  } finally {
    await c.close();
  }
}, 60_000);
