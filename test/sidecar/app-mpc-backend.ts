// The real app's MPC session code (app/mpc-sessions.ts, app/mpc-queries.ts) behind the FakeChain,
// through the app team's SimChain (test/app/mpc-harness.ts): session opening, tx judgement,
// Ready, finalisation and the /mpc/ query JSON are the app's own.
import { fromHex } from '../../common/bytes.js';
import { answerMpcQuery } from '../../app/mpc-queries.js';
import { currentKey } from '../../app/mpc-sessions.js';
import { SequencerStatus, type Params } from '../../proto/seqpool.js';
import { SimChain } from '../app/mpc-harness.js';
import type { MpcBackend } from './fake-chain.js';

export class AppMpcBackend implements MpcBackend {
  readonly sim: SimChain;
  constructor(validators: { address: string; pubKey: Uint8Array }[], params: Partial<Params> = {}) {
    this.sim = new SimChain(validators.map((v) => AppMpcBackend.sequencer(v)), params);
  }

  static sequencer(v: { address: string; pubKey: Uint8Array }) {
    return { address: fromHex(v.address), pubKey: v.pubKey, power: 10n, nonce: 0n, status: SequencerStatus.ACTIVE };
  }

  addSequencer(v: { address: string; pubKey: Uint8Array }): void {
    this.sim.addSequencer(AppMpcBackend.sequencer(v));
  }

  block(txs: { session: Uint8Array; envelope: Uint8Array; signer: string }[], boundary?: bigint): (string | undefined)[] {
    return this.sim.block(
      txs.map((t) => ({ msg: { session: t.session, envelope: t.envelope }, signer: fromHex(t.signer) })),
      boundary,
    );
  }

  query(path: string): unknown {
    const a = answerMpcQuery(this.sim.state, path);
    if (!a || a.code === 22) return undefined;
    if (a.code !== 0) throw new Error(`app query ${path}: ${a.log}`);
    return a.value;
  }

  groupKey(): Uint8Array | undefined {
    return currentKey(this.sim.state, 'committed')?.groupKey;
  }
}
