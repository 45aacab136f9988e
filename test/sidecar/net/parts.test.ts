// The MPC channel's parts on their own: framing, acknowledgements, rate limiter, allowlist, peer key.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdentityKey } from '../../../mpc/identity.js';
import { AckDecoder, encodeAck, encodeFrame, FrameDecoder, type FrameEvent } from '../../../sidecar/net/framing.js';
import { Allowlist, admitPeers } from '../../../sidecar/net/admission.js';
import { PeerRateLimiter } from '../../../sidecar/net/rate-limit.js';
import { loadOrCreatePeerKey } from '../../../sidecar/net/peer-key.js';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';

const PEER_A = '12D3KooWCMvCbRmYtwxCuszTexV7xbojsbMs93yVodADnsLtCbX6';
const PEER_B = '12D3KooWRm8J3iL796zPFi2EtGGtUJn58AG67gcqzMFHZnnsTzqD';

describe('FrameDecoder', () => {
  const collect = (dec: FrameDecoder, chunks: Uint8Array[]) => {
    const out: FrameEvent[] = [];
    for (const c of chunks) dec.push(c, (e) => out.push(e));
    return out;
  };

  test('reassembles frames split at every byte and several frames in one chunk', () => {
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array(300).fill(9);
    const wire = new Uint8Array([...encodeFrame(a), ...encodeFrame(b), ...encodeFrame(a)]);
    const byteByByte = collect(new FrameDecoder(1000), [...wire].map((x) => new Uint8Array([x])));
    const whole = collect(new FrameDecoder(1000), [wire]);
    for (const evs of [byteByByte, whole]) {
      expect(evs.map((e) => e.kind)).toEqual(['frame', 'frame', 'frame']);
      expect(evs.map((e) => (e.kind === 'frame' ? e.bytes.length : -1))).toEqual([3, 300, 3]);
      expect((evs[1] as { bytes: Uint8Array }).bytes.every((x) => x === 9)).toBe(true);
    }
  });

  test('an oversize header is reported at once and its body skipped without buffering', () => {
    const dec = new FrameDecoder(100);
    const big = encodeFrame(new Uint8Array(5000));
    const evs = collect(dec, [big.subarray(0, 4)]);
    expect(evs).toEqual([{ kind: 'oversize', length: 5000 }]);
    evs.push(...collect(dec, [big.subarray(4, 2000)]));
    expect(dec.buffered).toBe(0);
    evs.push(...collect(dec, [new Uint8Array([...big.subarray(2000), ...encodeFrame(new Uint8Array([7]))])]));
    expect(evs.map((e) => e.kind)).toEqual(['oversize', 'frame']);
  });

  test('an empty frame is reported as such', () => {
    expect(collect(new FrameDecoder(10), [new Uint8Array(4)])).toEqual([{ kind: 'empty' }]);
  });

  test('acknowledgements decode across chunk boundaries', () => {
    const dec = new AckDecoder();
    const wire = new Uint8Array([...encodeAck(1), ...encodeAck(70000), ...encodeAck(2 ** 32 - 1)]);
    expect([...dec.push(wire.subarray(0, 6)), ...dec.push(wire.subarray(6, 7)), ...dec.push(wire.subarray(7))]).toEqual([1, 70000, 2 ** 32 - 1]);
  });
});

describe('PeerRateLimiter', () => {
  test('burst, refill and flood threshold', () => {
    let now = 0;
    const rl = new PeerRateLimiter({ messagesPerSecond: 10, burst: 3 }, 4, () => now);
    expect([rl.take('p'), rl.take('p'), rl.take('p')]).toEqual(['ok', 'ok', 'ok']);
    expect(rl.take('p')).toBe('drop');
    expect(rl.take('q')).toBe('ok'); // buckets are per peer
    now += 100; // one token back
    expect(rl.take('p')).toBe('ok');
    expect([rl.take('p'), rl.take('p'), rl.take('p')]).toEqual(['drop', 'drop', 'flood']); // 4th refusal in total
    expect(rl.take('p')).toBe('drop'); // counter restarts after a flood report
    now += 10_000;
    expect([rl.take('p'), rl.take('p'), rl.take('p'), rl.take('p')]).toEqual(['ok', 'ok', 'ok', 'drop']); // capped at burst
  });

  test('refuses nonsense limits', () => {
    expect(() => new PeerRateLimiter({ messagesPerSecond: 0, burst: 1 }, 1)).toThrow(/invalid MPC rate limit/);
    expect(() => new PeerRateLimiter({ messagesPerSecond: 1, burst: 0 }, 1)).toThrow(/invalid MPC rate limit/);
  });
});

describe('Allowlist', () => {
  const idA = IdentityKey.generate().publicKey;
  const idB = IdentityKey.generate().publicKey;

  test('normalises addresses to end in /p2p/<peer id> and rejects bad entries', () => {
    const [p] = admitPeers([{ peerId: PEER_A, addrs: ['/ip4/127.0.0.1/tcp/1', `/ip4/127.0.0.1/tcp/2/p2p/${PEER_A}`], identity: idA }]);
    expect(p!.dialAddrs.map(String)).toEqual([`/ip4/127.0.0.1/tcp/1/p2p/${PEER_A}`, `/ip4/127.0.0.1/tcp/2/p2p/${PEER_A}`]);
    expect(() => admitPeers([{ peerId: 'nope', addrs: [], identity: idA }])).toThrow(/invalid peer id/);
    expect(() => admitPeers([{ peerId: PEER_A, addrs: [], identity: idA.subarray(1) }])).toThrow(/33-byte/);
    expect(() => admitPeers([{ peerId: PEER_A, addrs: [`/ip4/127.0.0.1/tcp/2/p2p/${PEER_B}`], identity: idA }])).toThrow(/names another peer id/);
    expect(() => admitPeers([{ peerId: PEER_A, addrs: ['garbage'], identity: idA }])).toThrow(/invalid multiaddr/);
    expect(() => admitPeers([{ peerId: PEER_A, addrs: [], identity: idA }, { peerId: PEER_A, addrs: [], identity: idB }])).toThrow(/listed twice/);
    expect(() => admitPeers([{ peerId: PEER_A, addrs: [], identity: idA }, { peerId: PEER_B, addrs: [], identity: idA }])).toThrow(/two peer ids/);
  });

  test('replace reports changes; a bad list leaves the old one in force; bans expire', () => {
    let now = 0;
    const al = new Allowlist(() => now);
    expect(al.replace([{ peerId: PEER_A, addrs: [], identity: idA }]).added).toHaveLength(1);
    expect(() => al.replace([{ peerId: 'bad', addrs: [], identity: idB }])).toThrow();
    expect(al.admits(PEER_A)).toBe(true);
    const ch = al.replace([{ peerId: PEER_A, addrs: [], identity: idB }, { peerId: PEER_B, addrs: [], identity: idA }]);
    expect(ch.added.map((p) => p.peerIdStr)).toEqual([PEER_B]);
    expect(ch.changed).toEqual([expect.objectContaining({ identityChanged: true })]);
    expect(al.byIdentity(Buffer.from(idB).toString('hex'))?.peerIdStr).toBe(PEER_A);
    al.ban(PEER_B, 1000);
    expect(al.admits(PEER_B)).toBe(false);
    now = 1001;
    expect(al.admits(PEER_B)).toBe(true);
    const removed = al.replace([]).removed.map((p) => p.peerIdStr).sort();
    expect(removed).toEqual([PEER_A, PEER_B].sort());
    expect(al.admits(PEER_A)).toBe(false);
  });

  test('the gater refuses unlisted peers in every direction and reports it', async () => {
    const al = new Allowlist();
    al.replace([{ peerId: PEER_A, addrs: [], identity: idA }]);
    const refused: string[] = [];
    const g = al.gater((p, where) => refused.push(`${p}:${where}`));
    const { peerIdFromString } = await import('@libp2p/peer-id');
    const a = peerIdFromString(PEER_A);
    const b = peerIdFromString(PEER_B);
    const conn = {} as never;
    expect([await g.denyInboundEncryptedConnection!(a, conn), await g.denyOutboundEncryptedConnection!(a, conn), await g.denyDialPeer!(a)]).toEqual([false, false, false]);
    expect([await g.denyInboundEncryptedConnection!(b, conn), await g.denyOutboundEncryptedConnection!(b, conn), await g.denyDialPeer!(b)]).toEqual([true, true, true]);
    expect(refused).toEqual([`${PEER_B}:inbound`, `${PEER_B}:outbound`, `${PEER_B}:dial`]);
  });
});

describe('peer key file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'seqpool-peerkey-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('created 0600 on first use (with missing directories), the same key after', async () => {
    const file = join(dir, 'sub', 'mpc-peer.key');
    const first = await loadOrCreatePeerKey(file);
    expect(first.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = await loadOrCreatePeerKey(file);
    expect(second.created).toBe(false);
    expect(peerIdFromPrivateKey(second.key).toString()).toBe(peerIdFromPrivateKey(first.key).toString());
    expect(readFileSync(file, 'utf8').trim()).toMatch(/^[A-Za-z0-9+/=]+$/);
  });

  test('a garbage file is an error, never silently replaced', async () => {
    const file = join(dir, 'k');
    writeFileSync(file, 'not a key\n', { mode: 0o600 });
    await expect(loadOrCreatePeerKey(file)).rejects.toThrow(/does not hold a libp2p private key/);
    expect(readFileSync(file, 'utf8')).toBe('not a key\n');
  });

  test('a group-readable file is used but warned about', async () => {
    const file = join(dir, 'k');
    await loadOrCreatePeerKey(file);
    chmodSync(file, 0o644);
    const warnings: unknown[] = [];
    const logger = { warn: (o: unknown) => warnings.push(o) } as never;
    await loadOrCreatePeerKey(file, logger);
    expect(warnings).toHaveLength(1);
  });
});
