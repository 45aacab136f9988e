// A simulated chain (State + StateStore + the app's MPC hooks, one call sequence per block) and
// simulated sidecars running the real engines against it: public messages travel as MpcPublic txs
// through deliverMpcPublic, private shares go straight to the addressee's engine.
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../../common/bytes.js';
import { silentLogger } from '../../common/log.js';
import { equalBytes, seal } from '../../mpc/envelope.js';
import { IdentityKey } from '../../mpc/identity.js';
import { DkgEngine, type KeygenResult } from '../../mpc/keys/dkg.js';
import { RefreshEngine } from '../../mpc/keys/refresh.js';
import { ReshareEngine } from '../../mpc/keys/reshare.js';
import type { SecretShare } from '../../mpc/keys/types.js';
import type { Outbound } from '../../mpc/keys/vss-session.js';
import { decodeBody, decodeEnvelope } from '../../proto/mpc.js';
import { MpcKind, MpcSessionStatus, SequencerStatus, type MpcPublic, type MpcSession, type Params, type Sequencer } from '../../proto/seqpool.js';
import { DEFAULT_PARAMS } from '../../app/params.js';
import { State } from '../../app/state.js';
import { StateStore } from '../../app/store.js';
import { committeeOf, packageOf, readSession, toMember } from '../../app/mpc-state.js';
import { currentKey, deliverMpcPublic, endBlockMpc, onEpochBoundary, type AppEvent, type MpcBlockContext } from '../../app/mpc-sessions.js';

export interface Tx {
  msg: MpcPublic;
  signer: Uint8Array; // address
}

export function makeSequencer(identity: IdentityKey): Sequencer {
  // Bound to an MPC peer like a running sidecar's validator (the genesis DKG waits for that).
  return { address: sha256(identity.publicKey).slice(0, 20), pubKey: identity.publicKey, power: 10n, nonce: 0n, status: SequencerStatus.ACTIVE, peer: { peerId: `peer-${toHex(identity.publicKey).slice(0, 16)}`, addrs: ['/ip4/127.0.0.1/tcp/1'], height: 0n } };
}

export class SimChain {
  readonly store = new StateStore();
  readonly state = new State(this.store);
  height = 0n;
  readonly jails: { address: string; reason: string }[] = [];
  readonly events: AppEvent[] = [];
  readonly blocks: { txs: Tx[]; boundary?: bigint }[] = [];
  /** Store root after each block's commit. */
  readonly roots: string[] = [];

  constructor(seqs: Sequencer[], params: Partial<Params> = {}) {
    this.state.setParams({ ...DEFAULT_PARAMS, mpcPhaseBlocks: 3, ...params });
    for (const s of seqs) this.state.setSequencer(s);
    this.store.commit();
  }

  ctx(): MpcBlockContext {
    return {
      height: this.height,
      time: 1_700_000_000n + this.height,
      params: this.state.params(),
      log: silentLogger(),
      jail: (address, reason) => {
        const s = this.state.sequencer(address)!;
        this.state.setSequencer({ ...s, jailed: true, jailReason: reason });
        this.jails.push({ address: toHex(address), reason });
      },
      events: this.events,
    };
  }

  /** One block: the txs, an optional epoch boundary, endBlockMpc, commit. Returns each tx's rejection. */
  block(txs: Tx[], boundary?: bigint): (string | undefined)[] {
    this.height++;
    this.blocks.push({ txs, ...(boundary !== undefined ? { boundary } : {}) });
    const ctx = this.ctx();
    const results = txs.map((t) => deliverMpcPublic(this.state, t.msg, this.state.sequencer(t.signer)!, ctx));
    if (boundary !== undefined) onEpochBoundary(this.state, committeeOf(this.state.sequencers()), boundary, ctx);
    endBlockMpc(this.state, ctx);
    this.roots.push(toHex(this.store.workingRoot()));
    this.store.commit();
    return results;
  }

  addSequencer(s: Sequencer): void {
    this.state.setSequencer(s);
    this.store.commit();
  }

  session(id: string): MpcSession | undefined {
    return readSession(this.state, id, 'committed');
  }
}

type Engine = DkgEngine | ReshareEngine | RefreshEngine;

export interface Behaviour {
  silent?: boolean;
  /** Rewrite a private share before it leaves (the dealer signs whatever this returns). */
  tamperShare?: (recipient: number, value: Uint8Array) => Uint8Array | undefined;
  /** Never send the private share to this recipient index. */
  dropShareTo?: number;
}

/** A sidecar: follows committed state, runs the engine of the open session, publishes via txs. */
export class Sidecar {
  readonly seq: Sequencer;
  engine?: Engine;
  sessionHex?: string;
  session?: MpcSession;
  seen = 0;
  /** The committed height last synced to. */
  height = 0n;
  dealt = false;
  readySent = false;
  secret: SecretShare | undefined = undefined;
  results = new Map<string, KeygenResult>();
  pending: Uint8Array[] = [];
  /** Private share envelopes received (kept to forge false complaints in tests). */
  received: Uint8Array[] = [];
  errors: string[] = [];

  constructor(
    readonly identity: IdentityKey,
    public behaviour: Behaviour = {},
  ) {
    this.seq = makeSequencer(identity);
  }

  get hex(): string {
    return toHex(this.identity.publicKey);
  }

  /** Reads committed state: closes a finished session, joins a new one, absorbs new public messages. */
  sync(chain: SimChain): void {
    this.height = chain.height;
    if (this.sessionHex) {
      const s = chain.session(this.sessionHex)!;
      if (s.status !== MpcSessionStatus.OPEN) {
        this.absorb(s);
        if (s.status === MpcSessionStatus.DONE && this.engine) {
          const r = this.engine.finalise();
          this.results.set(this.sessionHex, r);
          this.secret = r.secret; // undefined when we hold no share of the new sharing
        }
        this.engine = undefined;
        this.sessionHex = undefined;
      }
    }
    const openHex = chain.store.getCommitted('mpc/open');
    const hex = openHex && new TextDecoder().decode(openHex);
    if (hex && hex !== this.sessionHex) this.join(chain, chain.session(hex)!);
    if (this.sessionHex) this.absorb(chain.session(this.sessionHex)!);
  }

  private join(chain: SimChain, s: MpcSession): void {
    this.sessionHex = toHex(s.id);
    this.session = s;
    this.seen = 0;
    this.dealt = false;
    this.readySent = false;
    const identity = this.identity;
    const key = currentKey(chain.state, 'committed');
    if (s.kind === MpcKind.DKG) {
      this.engine = new DkgEngine({ keyId: 'seqpool', epoch: s.keyEpoch, attempt: s.attempt, members: s.receivers.map(toMember), threshold: s.threshold, identity });
    } else if (s.kind === MpcKind.RESHARE) {
      this.engine = new ReshareEngine({
        old: packageOf(key!),
        dealers: s.dealers.map((d) => d.index),
        newMembers: s.receivers.map(toMember),
        newThreshold: s.threshold,
        newEpoch: s.keyEpoch,
        attempt: s.attempt,
        identity,
        ...(this.secret ? { oldShare: this.secret } : {}),
      });
    } else {
      this.engine = this.secret ? new RefreshEngine({ current: packageOf(key!), share: this.secret, newEpoch: s.keyEpoch, attempt: s.attempt, identity }) : undefined;
    }
    if (this.engine && !equalBytes(this.engine.session, s.id)) throw new Error('sidecar computes another session id than the chain');
  }

  private absorb(s: MpcSession): void {
    for (; this.seen < s.transcript.length; this.seen++) {
      const e = s.transcript[this.seen]!;
      if (!this.engine) continue;
      const body = decodeSender(e);
      if (equalBytes(body.sender, this.identity.publicKey) || body.payload === 'ready') continue;
      try {
        for (const o of this.engine.receive(e).outbound) if (o.channel === 'public') this.pending.push(o.envelope);
      } catch (err) {
        this.errors.push((err as Error).message);
      }
    }
  }

  /** This block's public messages; private shares are handed to `peers` directly. */
  act(peers: Sidecar[]): Uint8Array[] {
    const out = this.pending;
    this.pending = [];
    const s = this.session;
    if (!this.engine || !s || this.behaviour.silent) return out;
    const me = this.identity.publicKey;
    const dealer = s.dealers.find((m) => equalBytes(m.identity, me));
    const receiver = s.receivers.find((m) => equalBytes(m.identity, me));
    if (dealer && !this.dealt) {
      this.dealt = true;
      for (const o of this.engine.start()) this.route(o, dealer.index, peers, out);
      return out;
    }
    if (receiver && !this.readySent) {
      const st = this.engine.status();
      // Like the real sidecar: every dealer's dealing before the deal deadline, the ones that landed after it.
      if (this.height <= s.dealDeadline && !s.dealers.every((d) => st.dealings.includes(d.index))) return out;
      if (st.dealings.length === 0) return out;
      const complaints = this.engine.complain();
      if (complaints.length > 0) {
        for (const c of complaints) out.push(c.envelope);
        return out;
      }
      const faulty = new Set(this.engine.status().faults.map((f) => f.dealer));
      out.push(seal(this.identity, { session: s.id, ready: { recipient: receiver.index, dealers: st.dealings.filter((d) => !faulty.has(d)) } }));
      this.readySent = true;
    }
    return out;
  }

  private route(o: Outbound, dealer: number, peers: Sidecar[], out: Uint8Array[]): void {
    if (o.channel === 'public') return void out.push(o.envelope);
    let env = o.envelope;
    if (this.behaviour.tamperShare || this.behaviour.dropShareTo !== undefined) {
      const b = decodeSender(env) as unknown as { share: { recipient: number; value: Uint8Array } };
      if (b.share.recipient === this.behaviour.dropShareTo) return;
      const v = this.behaviour.tamperShare?.(b.share.recipient, b.share.value);
      if (v) env = seal(this.identity, { session: this.session!.id, share: { dealer, recipient: b.share.recipient, value: v } });
    }
    const peer = peers.find((p) => equalBytes(p.identity.publicKey, o.to));
    if (!peer?.engine) return;
    peer.received.push(env);
    try {
      peer.engine.receive(env);
    } catch (err) {
      peer.errors.push((err as Error).message);
    }
  }
}

function decodeSender(e: Uint8Array) {
  return decodeBody(decodeEnvelope(e).body);
}

/** Runs blocks until no session is open (or `max` blocks); every sidecar syncs and acts per block. */
export function runUntilClosed(chain: SimChain, cars: Sidecar[], max = 30): void {
  for (let i = 0; i < max; i++) {
    for (const c of cars) c.sync(chain);
    if (!chain.store.getCommitted('mpc/open')) return;
    const txs: Tx[] = [];
    for (const c of cars) for (const env of c.act(cars)) txs.push({ msg: { session: c.session!.id, envelope: env }, signer: c.seq.address });
    const res = chain.block(txs);
    const bad = res.filter((r) => r !== undefined);
    if (bad.length) throw new Error(`honest txs rejected: ${bad.join('; ')}`);
  }
  throw new Error('session did not close');
}

export function makeSidecars(n: number): Sidecar[] {
  return Array.from({ length: n }, () => new Sidecar(IdentityKey.generate()));
}
