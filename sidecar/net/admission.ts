// Who may talk on the MPC channel: the committee as bound on chain (BindPeer: validator identity ->
// libp2p peer id + addresses). The allowlist feeds libp2p's connection gater, so a connection with
// any other peer id is refused right after the noise handshake, in both directions, and the
// channel checks it again when a stream opens. A peer disconnected for flooding is also refused
// for a short cool-down.
import type { ConnectionGater, PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { bytesToHex } from '@noble/hashes/utils.js';

export interface ChannelPeer {
  peerId: string;
  addrs: string[];
  identity: Uint8Array; // 33-byte validator identity key
}

export interface AdmittedPeer {
  peerId: PeerId;
  peerIdStr: string;
  identity: Uint8Array;
  identityHex: string;
  /** Dial targets, each ending in /p2p/<peerId>. */
  dialAddrs: Multiaddr[];
}

export interface AllowlistChange {
  added: AdmittedPeer[];
  removed: AdmittedPeer[];
  /** Same peer id, new identity or addresses. */
  changed: { peer: AdmittedPeer; identityChanged: boolean }[];
}

/** Validates and normalises a committee list; throws a descriptive error on the first bad entry. */
export function admitPeers(peers: readonly ChannelPeer[]): AdmittedPeer[] {
  const byPeer = new Set<string>();
  const byIdentity = new Set<string>();
  return peers.map((p, i) => {
    let peerId: PeerId;
    try {
      peerId = peerIdFromString(p.peerId);
    } catch (e) {
      throw new Error(`MPC peer #${i}: invalid peer id ${JSON.stringify(p.peerId)}: ${(e as Error).message}`);
    }
    if (!(p.identity instanceof Uint8Array) || p.identity.length !== 33) throw new Error(`MPC peer ${p.peerId}: identity must be a 33-byte key`);
    const identityHex = bytesToHex(p.identity);
    const peerIdStr = peerId.toString();
    if (byPeer.has(peerIdStr)) throw new Error(`MPC peer ${peerIdStr} listed twice`);
    if (byIdentity.has(identityHex)) throw new Error(`MPC identity ${identityHex} bound to two peer ids`);
    byPeer.add(peerIdStr);
    byIdentity.add(identityHex);
    const dialAddrs = p.addrs.map((a) => {
      let ma: Multiaddr;
      try {
        ma = multiaddr(a);
      } catch (e) {
        throw new Error(`MPC peer ${peerIdStr}: invalid multiaddr ${JSON.stringify(a)}: ${(e as Error).message}`);
      }
      const tail = ma.getComponents().find((c) => c.name === 'p2p');
      if (tail) {
        if (tail.value !== peerIdStr) throw new Error(`MPC peer ${peerIdStr}: address ${a} names another peer id`);
        return ma;
      }
      return ma.encapsulate(`/p2p/${peerIdStr}`);
    });
    return { peerId, peerIdStr, identity: new Uint8Array(p.identity), identityHex, dialAddrs };
  });
}

export class Allowlist {
  #byPeer = new Map<string, AdmittedPeer>();
  #byIdentity = new Map<string, AdmittedPeer>();
  readonly #bannedUntil = new Map<string, number>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** Replaces the list; returns what changed so the channel can hang up on removed peers. */
  replace(peers: readonly ChannelPeer[]): AllowlistChange {
    const next = admitPeers(peers);
    const nextByPeer = new Map(next.map((p) => [p.peerIdStr, p]));
    const removed = [...this.#byPeer.values()].filter((p) => !nextByPeer.has(p.peerIdStr));
    const added = next.filter((p) => !this.#byPeer.has(p.peerIdStr));
    const changed: AllowlistChange['changed'] = [];
    for (const p of next) {
      const old = this.#byPeer.get(p.peerIdStr);
      if (old === undefined) continue;
      const identityChanged = old.identityHex !== p.identityHex;
      if (identityChanged || old.dialAddrs.map(String).join() !== p.dialAddrs.map(String).join()) changed.push({ peer: p, identityChanged });
    }
    this.#byPeer = nextByPeer;
    this.#byIdentity = new Map(next.map((p) => [p.identityHex, p]));
    for (const p of removed) this.#bannedUntil.delete(p.peerIdStr);
    return { added, removed, changed };
  }

  get size(): number {
    return this.#byPeer.size;
  }

  peers(): AdmittedPeer[] {
    return [...this.#byPeer.values()];
  }

  byPeerId(peerId: string): AdmittedPeer | undefined {
    return this.#byPeer.get(peerId);
  }

  byIdentity(identityHex: string): AdmittedPeer | undefined {
    return this.#byIdentity.get(identityHex);
  }

  ban(peerId: string, ms: number): void {
    if (ms > 0) this.#bannedUntil.set(peerId, this.now() + ms);
  }

  isBanned(peerId: string): boolean {
    const until = this.#bannedUntil.get(peerId);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.#bannedUntil.delete(peerId);
    return false;
  }

  /** Admitted now: on the list and not cooling down after a flood. */
  admits(peerId: string): boolean {
    return this.#byPeer.has(peerId) && !this.isBanned(peerId);
  }

  /** A libp2p connection gater enforcing this list; `onDeny` sees every refusal. */
  gater(onDeny: (peerId: string, where: string) => void): ConnectionGater {
    const deny = (where: string) => (peer: PeerId) => {
      const id = peer.toString();
      if (this.admits(id)) return false;
      onDeny(id, where);
      return true;
    };
    return {
      denyDialPeer: deny('dial'),
      denyInboundEncryptedConnection: deny('inbound'),
      denyOutboundEncryptedConnection: deny('outbound'),
    };
  }
}
