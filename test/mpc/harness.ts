// In-memory transport for the MPC engines: public messages go to every other party (the chain),
// private ones to their addressee (the peer channel). Hooks let tests drop or rewrite messages.
import { bytesToHex } from '@noble/hashes/utils.js';
import { IdentityKey } from '../../mpc/identity.js';
import type { Member } from '../../mpc/keys/types.js';
import type { Outbound } from '../../mpc/keys/vss-session.js';

export interface Party {
  identity: IdentityKey;
  member: Member;
}

export function makeParties(n: number, firstIndex = 1): Party[] {
  return Array.from({ length: n }, (_, i) => {
    const identity = IdentityKey.generate();
    return { identity, member: { index: firstIndex + i, identity: identity.publicKey } };
  });
}

export interface Engine {
  receive(b: Uint8Array): { outbound: Outbound[] };
  complain(): Outbound[];
}

export interface Net {
  /** Return undefined to drop, or other bytes to substitute. */
  filter?: (from: string, o: Outbound) => Uint8Array | undefined;
  errors: { to: string; code: string }[];
}

/** Delivers `out` from `from` and everything it triggers, breadth first. */
export function deliver(engines: Map<string, Engine>, from: string, out: Outbound[], net: Net): void {
  const queue: [string, Outbound][] = out.map((o) => [from, o]);
  while (queue.length) {
    const [src, o] = queue.shift()!;
    const bytes = net.filter ? net.filter(src, o) : o.envelope;
    if (!bytes) continue;
    const targets = o.channel === 'public' ? [...engines.keys()].filter((k) => k !== src) : [bytesToHex(o.to)];
    for (const t of targets) {
      const e = engines.get(t);
      if (!e) continue;
      try {
        for (const next of e.receive(bytes).outbound) queue.push([t, next]);
      } catch (err) {
        net.errors.push({ to: t, code: (err as { code?: string }).code ?? String(err) });
      }
    }
  }
}

/** Runs start (dealing), complaint and justification phases over the in-memory network. */
export function runPhases(engines: Map<string, Engine & { start(): Outbound[] }>, net: Net = { errors: [] }, dealers?: Set<string>): Net {
  const starts = [...engines].map(([k, e]) => [k, dealers && !dealers.has(k) ? [] : e.start()] as const);
  for (const [k, out] of starts) deliver(engines, k, out, net);
  for (const [k, e] of engines) deliver(engines, k, e.complain(), net);
  return net;
}

export const hex = bytesToHex;

/** Deterministic PRNG for property tests (xorshift32), so failures reproduce from the seed. */
export function prng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

export function sample<T>(rnd: (n: number) => number, xs: readonly T[], k: number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rnd(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
}
