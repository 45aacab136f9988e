// Point arithmetic on public and secret-scalar points for the MPC engines, through libsecp256k1 (the
// `secp256k1` package's prebuilt native binding, as common/secp.ts uses it) when it loads, through
// noble otherwise. Profiling put noble's bigint point arithmetic at most of the MPC CPU on the bench
// machine: a variable-base multiplication costs 0.9-1.5 ms in noble and ~45 us natively, reading a
// compressed point 78-175 us against ~9 us, a 67-point MSM ~21 ms against ~3.6 ms.
//
// libsecp256k1's API refuses the point at infinity and zero scalars (tweakMul by 0 throws, a combine
// summing to infinity throws). Both can occur in valid runs (a zero share, a zero Feldman term) or
// be forced by an adversary, so they are handled here before the binding sees them: zero scalars and
// infinite points are skipped, and a combine that throws is recomputed with noble additions (cheap,
// and exact), never surfacing as an exception. Scalars are reduced mod n and passed as 32-byte
// big-endian. Both backends are exported so tests can check they agree.
import { createRequire } from 'node:module';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { mulAddUnsafe } from '@noble/curves/abstract/curve.js';
import { asMalformed } from './errors.js';

type NoblePoint = ReturnType<typeof secp256k1.Point.fromBytes>;
const NP = secp256k1.Point;
const Fn = NP.Fn;
const EMPTY = new Uint8Array(0);

interface NativeSecp256k1 {
  publicKeyCreate(sk: Uint8Array, compressed: boolean): Uint8Array;
  publicKeyConvert(p: Uint8Array, compressed: boolean): Uint8Array;
  publicKeyTweakMul(p: Uint8Array, t: Uint8Array, compressed: boolean): Uint8Array;
  publicKeyCombine(ps: Uint8Array[], compressed: boolean): Uint8Array;
}
const binding: NativeSecp256k1 | undefined = (() => {
  try {
    return createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp256k1;
  } catch {
    return undefined;
  }
})();

/**
 * A curve point carrying whichever representations have been needed: the 65-byte uncompressed SEC1
 * encoding (what the native backend reads and writes: no square root to parse, canonical so equality
 * is a byte compare; empty for infinity) and/or a noble point. Each is derived from the other lazily.
 */
export class EcPoint {
  #raw: Uint8Array | undefined;
  #noble: NoblePoint | undefined;
  private constructor(raw: Uint8Array | undefined, noble: NoblePoint | undefined) {
    this.#raw = raw;
    this.#noble = noble;
  }
  static readonly ZERO = new EcPoint(EMPTY, NP.ZERO);
  /** From a validated 65-byte uncompressed encoding (internal: no checks). */
  static fromRaw(raw: Uint8Array): EcPoint {
    return new EcPoint(raw, undefined);
  }
  static fromNoble(p: NoblePoint): EcPoint {
    return p.is0() ? EcPoint.ZERO : new EcPoint(undefined, p);
  }
  get raw(): Uint8Array {
    this.#raw ??= this.#noble!.toBytes(false);
    return this.#raw;
  }
  get noble(): NoblePoint {
    this.#noble ??= NP.fromBytes(this.#raw!);
    return this.#noble;
  }
  is0(): boolean {
    return this.#raw ? this.#raw.length === 0 : this.#noble!.is0();
  }
  equals(o: EcPoint): boolean {
    if (this.#raw && o.#raw) return bytesEqual(this.#raw, o.#raw);
    return this.noble.equals(o.noble);
  }
  /** SEC1 encoding (compressed by default); throws for infinity, as noble does. */
  toBytes(compressed = true): Uint8Array {
    if (this.is0()) throw new Error('point at infinity has no encoding');
    if (!compressed) return this.raw.slice();
    if (!this.#raw) return this.#noble!.toBytes(true);
    const out = new Uint8Array(33);
    out[0] = 2 + (this.#raw[64]! & 1);
    out.set(this.#raw.subarray(1, 33), 1);
    return out;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface EccBackend {
  readonly name: 'libsecp256k1' | 'noble';
  /** Parses SEC1 compressed (02/03) or uncompressed (04); throws on anything else or off-curve. */
  parse(bytes: Uint8Array): EcPoint;
  /** k G; constant time in k on both backends (it is used with secret scalars). */
  mulBase(k: bigint): EcPoint;
  /** k P, public P and k (variable time). */
  mul(p: EcPoint, k: bigint): EcPoint;
  sum(ps: readonly EcPoint[]): EcPoint;
  /** sum k_i P_i over public points and scalars. */
  msm(ps: readonly EcPoint[], ks: readonly bigint[]): EcPoint;
  /** Feldman evaluation sum_k C_k x^k at a committee index x. */
  evalAt(cs: readonly EcPoint[], x: number): EcPoint;
}

function sec1Shape(b: Uint8Array): boolean {
  return (b.length === 33 && (b[0] === 2 || b[0] === 3)) || (b.length === 65 && b[0] === 4);
}

/** Double-and-add by a small public scalar (a committee index): a handful of noble additions. */
function mulSmall(p: NoblePoint, k: number): NoblePoint {
  let acc = NP.ZERO;
  for (let bit = 31 - Math.clz32(k); bit >= 0; bit--) {
    acc = acc.double();
    if ((k >>> bit) & 1) acc = acc.add(p);
  }
  return acc;
}

export const nobleBackend: EccBackend = {
  name: 'noble',
  parse(bytes) {
    if (!sec1Shape(bytes)) throw new Error('not a SEC1 point encoding');
    const p = NP.fromBytes(bytes);
    p.assertValidity();
    return EcPoint.fromNoble(p);
  },
  mulBase(k) {
    const s = Fn.create(k);
    return s === 0n ? EcPoint.ZERO : EcPoint.fromNoble(NP.BASE.multiply(s));
  },
  mul(p, k) {
    const s = Fn.create(k);
    return s === 0n || p.is0() ? EcPoint.ZERO : EcPoint.fromNoble(p.noble.multiplyUnsafe(s));
  },
  sum(ps) {
    let acc = NP.ZERO;
    for (const p of ps) if (!p.is0()) acc = acc.add(p.noble);
    return EcPoint.fromNoble(acc);
  },
  msm(ps, ks) {
    const pts: NoblePoint[] = [];
    const scs: bigint[] = [];
    ps.forEach((p, i) => {
      const s = Fn.create(ks[i]!);
      if (s !== 0n && !p.is0()) {
        pts.push(p.noble);
        scs.push(s);
      }
    });
    return pts.length === 0 ? EcPoint.ZERO : EcPoint.fromNoble(mulAddUnsafe(NP, pts, scs));
  },
  evalAt(cs, x) {
    // Horner with small-scalar steps: in noble this beats t full multiplications.
    let acc = NP.ZERO;
    for (let k = cs.length - 1; k >= 0; k--) acc = mulSmall(acc, x).add(cs[k]!.is0() ? NP.ZERO : cs[k]!.noble);
    return EcPoint.fromNoble(acc);
  },
};

function makeNative(lib: NativeSecp256k1): EccBackend {
  const sum = (ps: readonly EcPoint[]): EcPoint => {
    const nz = ps.filter((p) => !p.is0());
    if (nz.length === 0) return EcPoint.ZERO;
    if (nz.length === 1) return nz[0]!;
    try {
      return EcPoint.fromRaw(lib.publicKeyCombine(nz.map((p) => p.raw), false));
    } catch {
      // Inputs are valid by construction, so the only failure is a sum at infinity: recompute it
      // exactly in JS (additions only) rather than guess from the error.
      return nobleBackend.sum(nz);
    }
  };
  const mul = (p: EcPoint, k: bigint): EcPoint => {
    const s = Fn.create(k);
    if (s === 0n || p.is0()) return EcPoint.ZERO;
    if (s === 1n) return p;
    return EcPoint.fromRaw(lib.publicKeyTweakMul(p.raw, Fn.toBytes(s), false));
  };
  return {
    name: 'libsecp256k1',
    parse(bytes) {
      if (!sec1Shape(bytes)) throw new Error('not a SEC1 point encoding');
      return EcPoint.fromRaw(lib.publicKeyConvert(bytes, false));
    },
    mulBase(k) {
      const s = Fn.create(k);
      if (s === 0n) return EcPoint.ZERO;
      const b = Fn.toBytes(s);
      try {
        return EcPoint.fromRaw(lib.publicKeyCreate(b, false));
      } finally {
        b.fill(0); // k may be a secret coefficient or nonce
      }
    },
    mul,
    sum,
    msm(ps, ks) {
      return sum(ps.map((p, i) => mul(p, ks[i]!)));
    },
    evalAt(cs, x) {
      // One product per coefficient and a single combine: fewer native calls than Horner, and
      // libsecp256k1's multiplication costs the same whatever the scalar's size.
      const X = BigInt(x);
      let pw = 1n;
      const terms: EcPoint[] = [];
      for (const c of cs) {
        terms.push(mul(c, pw));
        pw = Fn.mul(pw, X);
      }
      return sum(terms);
    },
  };
}

export const nativeBackend: EccBackend | undefined = binding ? makeNative(binding) : undefined;

/** The backend in use: libsecp256k1 unless it failed to load or SEQPOOL_MPC_ECC=noble forces noble. */
export const ecc: EccBackend = process.env['SEQPOOL_MPC_ECC'] === 'noble' || !nativeBackend ? nobleBackend : nativeBackend;

/** Parses a point with the active backend, rejecting identity and off-curve encodings (MALFORMED). */
export function parsePt(bytes: Uint8Array, what = 'point'): EcPoint {
  return asMalformed(what, () => ecc.parse(bytes));
}

/** Accepts a noble point too, for callers of the exported engine helpers that still hold one. */
export function toPt(p: EcPoint | NoblePoint): EcPoint {
  return p instanceof EcPoint ? p : EcPoint.fromNoble(p);
}
