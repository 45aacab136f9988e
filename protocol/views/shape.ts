// The field kinds every query answer is declared with (protocol/views/*.ts). Each field says both how
// the parsers read it (lenient where the app may leave a zero value out, strict elsewhere, errors
// naming the field) and what the gateway writes for it (a JSON Schema, for the OpenAPI document of
// node/openapi.ts), so the documented shape and the parsed one cannot drift apart: a key the schema
// calls required is exactly a key the parser refuses to do without. The schemas say what the app
// writes (decimal strings, enum names); the parsers also take what an older app or proto3 JSON may
// write (numbers, .proto enum spellings), as protocol/views/index.ts says.
// Imports nothing at run time: this must load anywhere (jest, browsers, L2 nodes).

export type JsonSchema = { [k: string]: unknown };
type Json = Record<string, unknown>;

export class PoolParseError extends Error {
  constructor(readonly what: string, message: string) {
    super(`unexpected ${what} answer: ${message}`);
    this.name = 'PoolParseError';
  }
}

/** A uint as the app writes it: decimal, no sign, no leading zeros. */
export const DECIMAL = /^(0|[1-9][0-9]*)$/;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v;
}

/** The error for field `field` of a `what` answer; exported so re-shaping readers report alike. */
export function fieldError(what: string, field: string, expected: string, got: unknown): PoolParseError {
  return new PoolParseError(what, `field ${field}: expected ${expected}, got ${describe(got)}`);
}

export function asObject(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PoolParseError(what, `expected an object, got ${describe(v)}`);
  return v as Json;
}

/** How a named shape appears inside another schema: inline, or a $ref the OpenAPI generator registers. */
export type RefFn = (s: Answer<unknown>) => JsonSchema;
export const inline: RefFn = (s) => s.schema(inline);

/** A whole answer (an object, a list, a map): its parser and its schema. */
export interface Answer<T> {
  /** Components name in the OpenAPI document; unnamed answers are inlined. */
  readonly name?: string;
  readonly what: string;
  parse(v: unknown, what?: string): T;
  schema(ref: RefFn): JsonSchema;
}

/** One field of an object answer. */
export interface Field<T> {
  /** Reads o[k]; `what` names the answer in errors. Returning undefined leaves the key out. */
  read(o: Json, k: string, what: string): T;
  schema(ref: RefFn): JsonSchema;
  /** The parser refuses an answer without this key (or with it null). */
  required: boolean;
}

const absent = (o: Json, k: string): boolean => o[k] === undefined || o[k] === null;
const field = <T>(required: boolean, schema: JsonSchema | ((ref: RefFn) => JsonSchema), read: (o: Json, k: string, what: string) => T): Field<T> => ({
  read,
  required,
  schema: typeof schema === 'function' ? schema : () => schema,
});
/** A field whose absence (undefined or null) reads as `none` instead of failing. */
const orElse = <T, N>(f: Field<T>, none: N): Field<T | N> => field(false, f.schema, (o, k, w) => (absent(o, k) ? none : f.read(o, k, w)));
/** The same for a list: a fresh empty one each time, so no caller can change another's. */
const orEmpty = <T>(f: Field<T[]>): Field<T[]> => field(false, f.schema, (o, k, w) => (absent(o, k) ? [] : f.read(o, k, w)));

// ---- scalars ------------------------------------------------------------------------------------

const U64_SCHEMA: JsonSchema = { type: 'string', pattern: DECIMAL.source, description: 'unsigned integer as a decimal string' };

function readBig(o: Json, k: string, what: string): bigint {
  const v = o[k];
  if (typeof v === 'string' && DECIMAL.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^-[1-9][0-9]*$/.test(v)) return BigInt(v); // int64 heights may be negative in principle
  throw fieldError(what, k, 'a decimal integer string', v);
}
function readNum(o: Json, k: string, what: string): number {
  const n = readBig(o, k, what);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new PoolParseError(what, `field ${k}: ${n} is too large`);
  return Number(n);
}
function readStr(o: Json, k: string, what: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw fieldError(what, k, 'a string', v);
  return v;
}
function readBool(o: Json, k: string, what: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') throw fieldError(what, k, 'true or false', v);
  return v;
}
function readArr(o: Json, k: string, what: string): unknown[] {
  const v = o[k];
  if (!Array.isArray(v)) throw fieldError(what, k, 'an array', v);
  return v;
}

/** An integer (height, id, amount) the app writes as a decimal string; a safe number also reads. */
export const u64: Field<bigint> = field(true, U64_SCHEMA, readBig);
/** A counter or height whose 0 means "none / not yet": the app may leave it out at 0. */
export const u64Or0: Field<bigint> = orElse(u64, 0n);
/** An integer the answer may leave out: absent stays absent. */
export const u64Opt: Field<bigint | undefined> = orElse(u64, undefined);
/** A small count or index the app writes as a JSON number. */
export const count: Field<number> = field(true, { type: 'integer', minimum: 0 }, readNum);
export const countOr0: Field<number> = orElse(count, 0);

/** A string; `pattern` (e.g. hex) is documentation of what the app writes, not checked by the parser. */
export const text = (pattern?: RegExp, description?: string): Field<string> =>
  field(true, { type: 'string', ...(pattern ? { pattern: pattern.source } : {}), ...(description ? { description } : {}) }, readStr);
/** A string the app may leave out; absent reads as ''. */
export const textOrEmpty = (pattern?: RegExp): Field<string> => orElse(text(pattern), '');
/** A string the app writes as null (or empty) when there is none yet. */
export const textOrNull = (pattern?: RegExp): Field<string | null> =>
  field(false, { type: ['string', 'null'], ...(pattern ? { pattern: pattern.source } : {}) }, (o, k, w) => {
    const v = o[k];
    return v === null || v === undefined || v === '' || v === '0x' ? null : readStr(o, k, w);
  });
/** Free text the app always writes, read as '' when it is anything but a string. */
export const note: Field<string> = field(false, { type: 'string' }, (o, k) => (typeof o[k] === 'string' ? (o[k] as string) : ''));

export const flag: Field<boolean> = field(true, { type: 'boolean' }, readBool);
export const flagOrFalse: Field<boolean> = orElse(flag, false);

/** A list of hex strings (how the app writes byte arrays). */
export const hexList: Field<string[]> = field(true, { type: 'array', items: { type: 'string' } }, (o, k, w) =>
  readArr(o, k, w).map((s, i) => {
    if (typeof s !== 'string') throw fieldError(w, `${k}[${i}]`, 'a hex string', s);
    return s;
  }),
);
/** A list the app may leave out while it is empty. */
export const hexListOrEmpty: Field<string[]> = orEmpty(hexList);
/** A list of strings, each read with String() (a peer's multiaddrs). */
export const stringList: Field<string[]> = field(true, { type: 'array', items: { type: 'string' } }, (o, k, w) => readArr(o, k, w).map(String));
/** A list of member indices, left out while empty. */
export const indexListOrEmpty: Field<number[]> = field(false, { type: 'array', items: { type: 'integer', minimum: 0 } }, (o, k, w) =>
  absent(o, k)
    ? []
    : readArr(o, k, w).map((r, i) => {
        if (typeof r === 'number' && Number.isSafeInteger(r) && r >= 0) return r;
        throw fieldError(w, `${k}[${i}]`, 'a member index', r);
      }),
);

// ---- enums --------------------------------------------------------------------------------------

/** An enum: its names as the app writes them, in .proto order (so a number indexes them), and the prefix of its .proto value names. */
export interface EnumSpec<T extends string> {
  readonly names: readonly T[];
  readonly protoPrefix: string;
}

/** The app's name of an enum value written as the app does, as its .proto name in any case, or as its number. */
function enumName<T extends string>(v: unknown, e: EnumSpec<T>): T | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? e.names[v] : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.toLowerCase();
  const bare = s.startsWith(e.protoPrefix) ? s.slice(e.protoPrefix.length) : s;
  return e.names.find((n) => n === bare);
}
export const oneOf = <T extends string>(e: EnumSpec<T>): Field<T> =>
  field(true, { type: 'string', enum: [...e.names] }, (o, k, w) => {
    const name = enumName(o[k], e);
    if (name === undefined) throw fieldError(w, k, `one of ${e.names.join(', ')}`, o[k]);
    return name;
  });
/** An enum typed as a string for forward compatibility: known spellings become the app's name, other strings pass. */
export const enumOrString = (e: EnumSpec<string>): Field<string> =>
  field(true, { type: 'string', enum: [...e.names] }, (o, k, w) => enumName(o[k], e) ?? readStr(o, k, w));

// ---- nesting ------------------------------------------------------------------------------------

/** An optional key: left out when the answer leaves it out (undefined), read by `f` otherwise. */
export const optional = <T>(f: Field<T>): Field<T | undefined> => field(false, f.schema, (o, k, w) => (o[k] === undefined ? undefined : f.read(o, k, w)));
/** null reads as null. */
export const nullable = <T>(f: Field<T>): Field<T | null> =>
  field(f.required, (ref) => ({ anyOf: [f.schema(ref), { type: 'null' }] }), (o, k, w) => (o[k] === null ? null : f.read(o, k, w)));
/** An object; errors name it `<what> <key>`. */
export const nested = <T>(s: Answer<T>): Field<T> => field(true, (ref) => ref(s as Answer<unknown>), (o, k, w) => s.parse(o[k], `${w} ${k}`));
/** A list of objects; errors name them `<what> <key>[i]`. */
export const listOf = <T>(s: Answer<T>): Field<T[]> =>
  field(true, (ref) => ({ type: 'array', items: ref(s as Answer<unknown>) }), (o, k, w) => readArr(o, k, w).map((x, i) => s.parse(x, `${w} ${k}[${i}]`)));
export const listOfOrEmpty = <T>(s: Answer<T>): Field<T[]> => orEmpty(listOf(s));

// ---- answers ------------------------------------------------------------------------------------

type Fields = Record<string, Field<unknown>>;
type ValueOf<F> = F extends Field<infer T> ? T : never;
type Flat<T> = { [K in keyof T]: T[K] };
/** The parsed object: a field that may read undefined is an optional key. */
export type Parsed<F extends Fields> = Flat<
  { [K in keyof F as undefined extends ValueOf<F[K]> ? never : K]: ValueOf<F[K]> } & {
    [K in keyof F as undefined extends ValueOf<F[K]> ? K : never]?: Exclude<ValueOf<F[K]>, undefined>;
  }
>;

/** The typed view an answer parses to: each record's view type is its shape's, declared once. */
export type ViewOf<A> = A extends Answer<infer T> ? T : never;

export interface ObjectAnswer<F extends Fields> extends Answer<Parsed<F>> {
  readonly fields: F;
  /** Keys other than the fields are kept as they are (and allowed by the schema). */
  readonly open: boolean;
}

/**
 * An object answer. The schema is closed (`additionalProperties: false`) unless `open`: an answer
 * with a key the shape does not declare fails the OpenAPI test, so a new field of the app must be
 * declared here, which documents and parses it in one place.
 */
export function object<F extends Fields>(what: string, fields: F, opts: { name?: string; open?: boolean; description?: string } = {}): ObjectAnswer<F> {
  const open = opts.open ?? false;
  return {
    ...(opts.name ? { name: opts.name } : {}),
    what,
    fields,
    open,
    parse(v: unknown, as = what): Parsed<F> {
      const o = asObject(v, as);
      const out: Json = open ? { ...o } : {};
      for (const [k, f] of Object.entries(fields)) {
        const value = f.read(o, k, as);
        if (value !== undefined) out[k] = value;
        else delete out[k];
      }
      return out as Parsed<F>;
    },
    schema(ref: RefFn): JsonSchema {
      const entries = Object.entries(fields);
      return {
        type: 'object',
        ...(opts.description ? { description: opts.description } : {}),
        properties: Object.fromEntries(entries.map(([k, f]) => [k, f.schema(ref)])),
        required: entries.filter(([, f]) => f.required).map(([k]) => k),
        additionalProperties: open,
      };
    },
  };
}

/** The same fields plus more (CurrentEpoch = Epoch + the attested L2 head). */
export function extend<F extends Fields, G extends Fields>(base: ObjectAnswer<F>, what: string, more: G, opts: { name?: string } = {}): ObjectAnswer<F & G> {
  return object(what, { ...base.fields, ...more } as F & G, { ...opts, open: base.open });
}

/** A top-level list (e.g. /validators). */
export function arrayOf<T>(what: string, item: Answer<T>, opts: { name?: string } = {}): Answer<T[]> {
  return {
    ...(opts.name ? { name: opts.name } : {}),
    what,
    parse(v: unknown): T[] {
      if (!Array.isArray(v)) throw new PoolParseError(what, `expected an array, got ${describe(v)}`);
      return v.map((x) => item.parse(x));
    },
    schema: (ref) => ({ type: 'array', items: ref(item as Answer<unknown>) }),
  };
}

/** An object of scalar values under any keys (pool parameters). */
export function scalarMap(what: string, opts: { name?: string } = {}): Answer<Record<string, string | number>> {
  return {
    ...(opts.name ? { name: opts.name } : {}),
    what,
    parse(v: unknown): Record<string, string | number> {
      const o = asObject(v, what);
      for (const [k, x] of Object.entries(o)) if (typeof x !== 'string' && typeof x !== 'number') throw fieldError(what, k, 'a string or a number', x);
      return o as Record<string, string | number>;
    },
    schema: () => ({ type: 'object', additionalProperties: { type: ['string', 'integer'] } }),
  };
}

export { readBig as readInt, readStr as readString };

// ---- what the app writes -------------------------------------------------------------------------
// Patterns for the schemas' documentation (the parsers take any string), and the hex the renderers
// write with: Node's Buffer when there is one, a table elsewhere, the same lower-case hex either way.

export const ADDRESS = /^[0-9A-F]{40}$/; // a CometBFT address: upper-case hex, no 0x
export const ETH_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
export const HEX = /^[0-9a-f]*$/;
export const HEX0X = /^0x[0-9a-f]*$/;

const DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Lower-case hex of `b`, no 0x. */
export function hex(b: Uint8Array): string {
  if (typeof Buffer === 'function') return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  let s = '';
  for (const x of b) s += DIGITS[x];
  return s;
}
/** 0x lower-case hex. */
export const hex0x = (b: Uint8Array): string => `0x${hex(b)}`;
/** A CometBFT address as the app writes it: upper-case hex, no 0x. */
export const upperHex = (b: Uint8Array): string => hex(b).toUpperCase();
