// Four sidecars against the real SeqpoolApp in process: their lane-1 BindPeer and MpcPublic txs go
// through the app's CheckTx and FinalizeBlock, the app opens and finalises the genesis DKG from the
// committed transcript, and the election's commitEpoch request is threshold-signed and accepted by
// the app's SubmitSignature check.
import { startSidecar, type RunningSidecar } from '../../sidecar/sidecar.js';
import { MemoryHub } from '../../sidecar/transport.js';
import { FAST, FakeL2, LogCapture } from './helpers.js';
import { RealAppChain } from './real-app-chain.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('genesis DKG and a commitEpoch signature through the real app', async () => {
  const chain = await RealAppChain.create(4, { mpcPhaseBlocks: 5 });
  const hub = new MemoryHub();
  const logs = chain.pool.vals.map(() => new LogCapture());
  const dirs = chain.pool.vals.map(() => mkdtempSync(join(tmpdir(), 'seqpool-sidecar-app-')));
  const cars: RunningSidecar[] = [];
  const settle = () => new Promise((r) => setTimeout(r, 40));
  const block = async () => {
    const h = await chain.block();
    await Promise.all(cars.map((c) => c.waitForHeight(h)));
    await settle();
    return h;
  };
  try {
    await block(); // InitChain done; first committed block
    for (const [i, v] of chain.pool.vals.entries()) {
      cars.push(
        await startSidecar({
          privKey: v.privKey,
          dataDir: dirs[i]!,
          passphrase: 'pw',
          scrypt: FAST,
          chain,
          heights: chain.heightSource(),
          transport: hub.transport(v.pubKey),
          l2: new FakeL2(1000n),
          logger: logs[i]!.logger(`sidecar-${i}`),
          config: { roundTimeoutMs: 3000 },
        }),
      );
    }
    const key = async () => (await chain.query('/mpc/key'))?.value as { keyEpoch: number; members: unknown[]; groupKey: string } | undefined;
    for (let i = 0; i < 25 && !(await key()); i++) await block();
    const k = await key();
    expect(k?.members).toHaveLength(4);
    expect(chain.results.filter((r) => r.code !== 0)).toEqual([]);
    for (const v of chain.pool.vals) {
      const val = (await chain.query(`/validator/${Buffer.from(v.address).toString('hex')}`))!.value as { peer: { peerId: string } | null; sidecarNonce: string };
      expect(val.peer?.peerId).toMatch(/^12D3KooW/);
      expect(BigInt(val.sidecarNonce)).toBeGreaterThanOrEqual(3n); // BindPeer, dealing, Ready
    }
    await block();
    for (const l of logs) expect(l.find('finalised: key share stored')).toHaveLength(1);

    // The L2 head passes the election point of epoch 0: the app elects epoch 1 and asks for commitEpoch.
    chain.pool.setHead(9n);
    let signed: { status: string; purpose: string } | undefined;
    for (let i = 0; i < 25; i++) {
      await block();
      const r = (await chain.query('/sign/1'))?.value as { status: string; purpose: string } | undefined;
      if (r?.status === 'signed') {
        signed = r;
        break;
      }
    }
    expect(signed).toMatchObject({ purpose: 'commitEpoch', status: 'signed' });
    expect(chain.results.filter((r) => r.code !== 0)).toEqual([]);
    const agg = logs.flatMap((l) => l.find('signature aggregated'));
    expect(agg).toHaveLength(1);
    expect(agg[0]).toMatchObject({ requestId: '1', purpose: 'commitEpoch' });
  } finally {
    for (const c of cars) await c.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}, 60_000);
