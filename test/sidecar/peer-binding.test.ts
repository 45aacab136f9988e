// A sidecar keeps its peer binding (decision 29): a byzantine validator cannot take its peer id
// first (the app wants the peer key's proof), and when its committed binding goes missing or differs
// the sidecar binds again, with a proof the app accepts.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TxCode } from '../../protocol/codes.js';
import { peerProofProblem } from '../../protocol/peer-proof.js';
import { pubKeyToAddress } from '../../common/secp.js';
import { startSidecar, type RunningSidecar } from '../../sidecar/sidecar.js';
import { MemoryHub } from '../../sidecar/transport.js';
import { CONFIRM_HEIGHTS, PeerBinder, RETRY_HEIGHTS } from '../../sidecar/peer-binding.js';
import type { DecodedValidator } from '../../sidecar/chain-view.js';
import { silentLogger } from '../../common/log.js';
import { TxBodyCodec, TxCodec, type BindPeer } from '../../proto/seqpool.js';
import { bindPeerMsg } from '../app/peer-helper.js';
import { Cluster, FAST, FakeL2, LogCapture } from './helpers.js';
import { RealAppChain } from './real-app-chain.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('on a scripted chain: a binding that disappears or changes is bound again, each time with a valid proof', async () => {
  const c = new Cluster(2);
  // Every BindPeer the sidecars send, with the proof checked as the app checks it.
  const binds: { bind: BindPeer; problem: string | undefined }[] = [];
  const broadcast = c.chain.broadcastTx.bind(c.chain);
  c.chain.broadcastTx = async (raw) => {
    const body = TxBodyCodec.decode(TxCodec.decode(raw).body);
    if (body.bindPeer) binds.push({ bind: body.bindPeer, problem: peerProofProblem(body.bindPeer.peerId, body.bindPeer.peerProof, c.chain.chainId, pubKeyToAddress(body.signer)) });
    return broadcast(raw);
  };
  try {
    const car = await c.start(0);
    await c.start(1);
    const me = [...c.chain.vals.values()].find((v) => v.address === car.address)!;
    const peerOf = () => me.peer; // read through a call: the assignments below must not narrow it
    await c.until(() => peerOf() !== null && car.status().bound, 10);
    expect(peerOf()?.peerId).toBe(car.peerId);

    me.peer = null; // released (e.g. the validator exited and came back)
    await c.until(() => peerOf() !== null && car.status().bound, 10);
    expect(peerOf()?.peerId).toBe(car.peerId);
    expect(c.nodes[0]!.log.find('peer binding on chain is gone: re-binding')).toHaveLength(1);

    me.peer = { peerId: bindPeerMsg(new Uint8Array(20), 'stale', []).peerId, addrs: ['/ip4/10.9.9.9/tcp/1'] }; // bound by hand with another key
    await c.block();
    await c.until(() => peerOf()?.peerId === car.peerId && car.status().bound, 10);
    expect(peerOf()).toEqual({ peerId: car.peerId, addrs: ['/ip4/127.0.0.1/tcp/1'] });
    expect(c.nodes[0]!.log.find('peer binding on chain differs from our channel: re-binding')).toHaveLength(1);

    const mine = binds.filter((b) => b.bind.peerId === car.peerId);
    expect(mine).toHaveLength(3); // once per loss, not once per height
    expect(binds.map((b) => b.problem)).toEqual(binds.map(() => undefined));
  } finally {
    await c.close();
  }
});

test("against the real app: a byzantine validator cannot bind the victim's peer id first; the victim's sidecar binds it and re-binds after a change", async () => {
  const chain = await RealAppChain.create(4, { mpcPhaseBlocks: 5 });
  const hub = new MemoryHub();
  const vals = chain.pool.vals;
  const logs = vals.map(() => new LogCapture());
  const dirs = vals.map(() => mkdtempSync(join(tmpdir(), 'seqpool-peer-binding-')));
  const transports = vals.map((v) => hub.transport(v.pubKey));
  const victim = transports[0]!;
  const cars: RunningSidecar[] = [];
  const block = async () => {
    const h = await chain.block();
    await Promise.all(cars.map((c) => c.waitForHeight(h)));
    await new Promise((r) => setTimeout(r, 30));
    return h;
  };
  const committedPeer = async (i: number) => ((await chain.query(`/validator/${hex(vals[i]!.address)}`))!.value as { peer: { peerId: string } | null }).peer;
  try {
    await block();
    // The attack: validator 1 binds the victim's peer id before the victim's sidecar starts, with a
    // proof it cannot have made. CheckTx refuses it, and so does FinalizeBlock when a byzantine
    // proposer puts it in a block anyway.
    const steal = chain.pool.tx(1, { bindPeer: { peerId: victim.peerId, addrs: ['/ip4/6.6.6.6/tcp/1'], peerProof: randomBytes(64) } });
    const checked = await chain.broadcastTx(steal);
    expect(checked.code).toBe(TxCode.INVALID_MESSAGE);
    expect(checked.log).toContain('peer_proof does not verify');
    chain.mempool.push(steal);
    await block();
    expect(chain.results.at(-1)).toMatchObject({ code: TxCode.INVALID_MESSAGE });
    expect(await committedPeer(1)).toBeNull();

    for (const [i, v] of vals.entries())
      cars.push(
        await startSidecar({
          privKey: v.privKey,
          dataDir: dirs[i]!,
          passphrase: 'pw',
          scrypt: FAST,
          chain,
          heights: chain.heightSource(),
          transport: transports[i]!,
          l2: new FakeL2(1000n),
          logger: logs[i]!.logger(`sidecar-${i}`),
          config: { roundTimeoutMs: 3000 },
        }),
      );
    for (let i = 0; i < 6 && !cars.every((c) => c.status().bound); i++) await block();
    for (const [i, car] of cars.entries()) expect((await committedPeer(i))?.peerId).toBe(car.peerId);

    // The victim's node binds another key by hand (a stale key file): the sidecar binds its own again.
    const stale = chain.pool.tx(0, { bindPeer: bindPeerMsg(vals[0]!.address, 'stale', ['/ip4/10.9.9.9/tcp/1']) });
    expect((await chain.broadcastTx(stale)).code).toBe(TxCode.OK);
    await block();
    expect((await committedPeer(0))?.peerId).not.toBe(victim.peerId);
    for (let i = 0; i < 6 && (await committedPeer(0))?.peerId !== victim.peerId; i++) await block();
    expect((await committedPeer(0))?.peerId).toBe(victim.peerId);
    expect(logs[0]!.find('peer binding on chain differs from our channel: re-binding')).toHaveLength(1);
    expect(logs.flatMap((l) => l.find('BindPeer refused: other sidecars will not admit this one until it is bound'))).toEqual([]);
  } finally {
    for (const c of cars) await c.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

test('the binder waits for a sent BindPeer, backs off after a refusal, and leaves an inactive validator alone', async () => {
  const transport = new MemoryHub().transport(new Uint8Array(33).fill(2));
  const address = new Uint8Array(20).fill(1);
  const sent: BindPeer[] = [];
  let answer = { code: 0, log: '', hash: 'AB' };
  const binder = new PeerBinder({ transport, address, logger: silentLogger(), sender: { chainId: async () => 'c', send: async (m) => (sent.push(m.bindPeer!), answer) } });
  const me = (status: string, peer: DecodedValidator['peer'] = null): DecodedValidator => ({ address: 'AA', pubKey: new Uint8Array(33), power: 1n, sidecarNonce: 0n, peer, status });

  await binder.onHeight(1n, me('unlocking'), 0);
  await binder.onHeight(2n, me('exited'), 0);
  expect(sent).toHaveLength(0); // the app refuses BindPeer from them: nothing is sent

  await binder.onHeight(3n, me('active'), 0);
  expect(sent).toHaveLength(1);
  expect(peerProofProblem(sent[0]!.peerId, sent[0]!.peerProof, 'c', address)).toBeUndefined();
  for (let h = 4n; h < 3n + CONFIRM_HEIGHTS; h++) await binder.onHeight(h, me('active'), 0);
  expect(sent).toHaveLength(1); // in flight: not sent again every height
  answer = { code: TxCode.INVALID_MESSAGE, log: 'refused', hash: '' };
  await binder.onHeight(3n + CONFIRM_HEIGHTS, me('active'), 0); // never landed: sent again, refused
  expect(sent).toHaveLength(2);
  for (let h = 4n + CONFIRM_HEIGHTS; h < 3n + CONFIRM_HEIGHTS + RETRY_HEIGHTS; h++) await binder.onHeight(h, me('active'), 0);
  expect(sent).toHaveLength(2);
  answer = { code: 0, log: '', hash: 'CD' };
  await binder.onHeight(3n + CONFIRM_HEIGHTS + RETRY_HEIGHTS, me('active'), 0);
  expect(sent).toHaveLength(3);
  await binder.onHeight(20n, me('active', { peerId: transport.peerId, addrs: transport.addrs() }), 0);
  expect(binder.bound).toBe(true);
  expect(binder.wantsRecord(21n, 0)).toBe(false);
  expect(binder.wantsRecord(21n, 1)).toBe(true); // a new key epoch: read it again
  expect(binder.wantsRecord(40n, 0)).toBe(true); // and every RECHECK_HEIGHTS
});
