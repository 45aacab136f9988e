// The pool's query views, one per record (docs/pool.md "Query paths", docs/queries.md, docs/api.md):
// what the app renders from committed state, what its gateway serves, and what PoolClient,
// SeqpoolClient, the bridge (bridge/pool-view.ts), the sidecar (sidecar/chain-view.ts) and the CLI
// read. Each record's file declares its shape once, with the field kinds of shape.ts, which give the
// parser, the JSON Schema of the gateway's OpenAPI document (node/openapi.ts) and the typed view
// (ViewOf<typeof SHAPE>) all three; the app's renderer of the record sits beside it.
// Integers arrive as decimal strings (or safe numbers) and become bigints; bytes stay hex strings as the
// app writes them. A parser throws PoolParseError naming the field when an answer does not have the
// documented shape, so a version mismatch is reported, not guessed past.
// Lenient where one of the readers this replaced was, and only there: a number whose 0 means "none /
// not yet" may be left out, as proto3 JSON leaves out zero values (u64Or0, countOr0), and an enum
// value may also be spelled as in the .proto (SIGN_STATUS_SIGNED, any case) or be its number.
// Nothing here imports more than shape.ts at run time: it loads anywhere (jest, browsers, L2 nodes).
export { DECIMAL, fieldError, PoolParseError, readInt, readString, type Answer, type JsonSchema, type RefFn } from './shape.js';
export * from './paths.js';
export * from './chain.js';
export * from './epochs.js';
export * from './mpc.js';
export * from './signing.js';
export * from './batches.js';
export * from './node.js';
export * from './forced.js';
