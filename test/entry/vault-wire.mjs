// The line-delimited JSON of test/sidecar/process-vault.ts and its child (vault-process.mjs): one
// request {id, op, args} or answer {id, result} | {id, error} per line. Values JSON cannot carry are
// tagged: bytes {$b: hex}, bigint {$n: hex}, Map {$m: [[k, v]...]}, Set {$s: [...]}.
export function encode(v) {
  if (v instanceof Uint8Array) return { $b: Buffer.from(v).toString('hex') };
  if (typeof v === 'bigint') return { $n: v.toString(16) };
  if (v instanceof Map) return { $m: [...v].map(([k, x]) => [encode(k), encode(x)]) };
  if (v instanceof Set) return { $s: [...v].map(encode) };
  if (Array.isArray(v)) return v.map(encode);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
  return v;
}

export function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (!v || typeof v !== 'object') return v;
  if (typeof v.$b === 'string') return new Uint8Array(Buffer.from(v.$b, 'hex'));
  if (typeof v.$n === 'string') return BigInt(`0x${v.$n}`);
  if (Array.isArray(v.$m)) return new Map(v.$m.map(([k, x]) => [decode(k), decode(x)]));
  if (Array.isArray(v.$s)) return new Set(v.$s.map(decode));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
}
