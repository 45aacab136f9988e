// Keeping this sidecar's peer binding on chain (decision 29). Other sidecars admit us on the MPC
// channel only by the peer id and addresses our validator bound, so the binding must match our
// channel at all times: at start, after each key epoch and whenever the committed record is missing
// (never bound, released) or differs (another key or addresses bound by hand, or a new peer key),
// the sidecar sends BindPeer again, with the proof only its peer key can make.
//
// When our record is in /validators (the active set, which the sidecar reads every height anyway) it
// is compared at every height, for free. Otherwise the sidecar reads /validator/{address} only when
// wantsRecord() says so: until the binding was seen current, while a sent BindPeer awaits its block,
// after a key epoch change and every RECHECK_HEIGHTS heights.
import type { Logger } from '../common/log.js';
import { peerProofMessage } from '../protocol/peer-proof.js';
import type { BroadcastResult } from '../protocol/comet-rpc.js';
import type { DecodedValidator } from './chain-view.js';
import type { Transport } from './transport.js';
import type { SidecarMsg } from './pool-tx-sender.js';

/** Heights a sent BindPeer gets to reach a block before it is sent again. */
export const CONFIRM_HEIGHTS = 5n;
/** Heights to wait after CheckTx refused a BindPeer (it names the reason in the log). */
export const RETRY_HEIGHTS = 10n;
/** Heights between reads of our record when it is not in /validators. */
const RECHECK_HEIGHTS = 20n;

const BIND_ADDR = /^\/(ip4|ip6|dns|dns4|dns6)\/[\x21-\x7e]{1,250}$/;

/** Addresses to bind on chain: without /p2p/ suffixes, no wildcard hosts, at most 8. */
export function bindableAddrs(addrs: string[]): string[] {
  const out: string[] = [];
  for (const a of addrs) {
    const s = a.replace(/\/p2p\/[^/]+$/, '');
    if (!BIND_ADDR.test(s) || /^\/ip4\/0\.0\.0\.0\//.test(s) || /^\/ip6\/::\//.test(s) || out.includes(s)) continue;
    out.push(s);
  }
  return out.slice(0, 8);
}

export interface PeerBinderOptions {
  transport: Pick<Transport, 'peerId' | 'addrs' | 'signAsPeer'>;
  /** Addresses to bind instead of the channel's listen addresses (sidecar.json "announce"). */
  announce?: string[];
  sender: { send(msg: SidecarMsg, what: string): Promise<BroadcastResult>; chainId(): Promise<string> };
  /** The validator's 20-byte address (what the proof binds the peer id to). */
  address: Uint8Array;
  logger: Logger;
}

export class PeerBinder {
  readonly #o: PeerBinderOptions;
  #current = false;
  #sentAt: bigint | undefined;
  #refusedAt: bigint | undefined;
  #checkedAt: bigint | undefined;
  #checkedEpoch: number | undefined;
  #noAddrsLogged = false;
  #inactiveLogged: string | undefined;
  #proof: Uint8Array | undefined;

  constructor(opts: PeerBinderOptions) {
    this.#o = opts;
  }

  /** Whether the committed binding was last seen equal to ours. */
  get bound(): boolean {
    return this.#current;
  }

  /** Whether the sidecar should read /validator/{address}, our record not being in /validators. */
  wantsRecord(height: bigint, keyEpoch: number | undefined): boolean {
    return !this.#current || this.#sentAt !== undefined || keyEpoch !== this.#checkedEpoch || this.#checkedAt === undefined || height >= this.#checkedAt + RECHECK_HEIGHTS;
  }

  /** Compares our committed record (undefined: not a sequencer, or not read) with the channel and re-binds when they differ. */
  async onHeight(height: bigint, me: DecodedValidator | undefined, keyEpoch: number | undefined): Promise<void> {
    if (!me) return;
    const log = this.#o.logger;
    const peerId = this.#o.transport.peerId;
    const addrs = bindableAddrs(this.#o.announce ?? this.#o.transport.addrs());
    if (addrs.length === 0) {
      if (!this.#noAddrsLogged) log.error({ addrs: this.#o.transport.addrs() }, 'no bindable channel address (wildcard listen?): set "announce" in sidecar.json');
      this.#noAddrsLogged = true;
      return;
    }
    this.#checkedAt = height;
    this.#checkedEpoch = keyEpoch;
    // The app takes BindPeer from active sequencers only; an unlocking or exited one keeps the
    // binding it has (its share serves until the reshare that removes it, decision 19).
    if (me.status !== 'active') {
      if (this.#inactiveLogged !== me.status) log.info({ status: me.status, onChain: me.peer }, 'validator is not active: its peer binding is left as it is');
      this.#inactiveLogged = me.status;
      return;
    }
    this.#inactiveLogged = undefined;
    if (me.peer && me.peer.peerId === peerId && JSON.stringify(me.peer.addrs) === JSON.stringify(addrs)) {
      if (!this.#current) log.info({ peerId, addrs, height: height.toString() }, 'peer binding on chain is current');
      this.#current = true;
      this.#sentAt = undefined;
      this.#refusedAt = undefined;
      return;
    }
    if (this.#current) log.warn({ peerId, addrs, onChain: me.peer, height: height.toString() }, me.peer ? 'peer binding on chain differs from our channel: re-binding' : 'peer binding on chain is gone: re-binding');
    this.#current = false;
    if (this.#sentAt !== undefined && height < this.#sentAt + CONFIRM_HEIGHTS) return; // ours is on its way
    if (this.#refusedAt !== undefined && height < this.#refusedAt + RETRY_HEIGHTS) return;
    // The proof depends on the chain id and our address only: made once.
    this.#proof ??= await this.#o.transport.signAsPeer(peerProofMessage(await this.#o.sender.chainId(), this.#o.address));
    const r = await this.#o.sender.send({ bindPeer: { peerId, addrs, peerProof: this.#proof } }, 'bind peer');
    if (r.code === 0) {
      this.#sentAt = height;
      this.#refusedAt = undefined;
      log.info({ peerId, addrs, tx: r.hash, height: height.toString() }, 'BindPeer sent');
    } else {
      this.#sentAt = undefined;
      this.#refusedAt = height;
      log.error({ peerId, code: r.code, reason: r.log, retryAt: (height + RETRY_HEIGHTS).toString() }, 'BindPeer refused: other sidecars will not admit this one until it is bound');
    }
  }
}
