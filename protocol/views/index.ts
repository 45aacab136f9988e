// The pool's query views, one per record (docs/pool.md "Query paths", docs/queries.md, docs/api.md):
// what the app renders from committed state, what its gateway serves, and what PoolClient,
// SeqpoolClient, the bridge (bridge/pool-view.ts), the sidecar (sidecar/chain-view.ts) and the CLI
// read. Each record's file holds its typed view, its shape and the app's renderer side by side; every
// shape is declared once with the field kinds of shape.ts, which give both the parser and the JSON
// Schema of the gateway's OpenAPI document (node/openapi.ts).
// Integers arrive as decimal strings (or safe numbers) and become bigints; bytes stay hex strings as the
// app writes them. A parser throws PoolParseError naming the field when an answer does not have the
// documented shape, so a version mismatch is reported, not guessed past.
// Lenient where one of the readers this replaced was, and only there: a number whose 0 means "none /
// not yet" may be left out, as proto3 JSON leaves out zero values (u64Or0, countOr0), and an enum
// value may also be spelled as in the .proto (SIGN_STATUS_SIGNED, any case) or be its number.
// Nothing here imports more than shape.ts at run time: it loads anywhere (jest, browsers, L2 nodes).
import type { Answer } from './shape.js';
import { OBSERVATION, PARAMS, STATUS, VALIDATOR, VALIDATORS } from './chain.js';
import { CURRENT_EPOCH, EPOCH, PRODUCER, RECENT_EPOCHS } from './epochs.js';
import { MPC_KEY, MPC_SESSION, MPC_SESSIONS } from './mpc.js';
import { PENDING_SIGN_REQUESTS, RECENT_SIGN_REQUESTS, SIGN_REQUEST } from './signing.js';
import { BATCH, BATCH_META, RECENT_BATCHES } from './batches.js';
import { BLOCK_TIMES, HEALTH, MISSED_VOTES, NODE_STATUS } from './node.js';

export { DECIMAL, fieldError, PoolParseError, readInt, readString, type Answer, type JsonSchema, type RefFn } from './shape.js';
export * from './paths.js';
export * from './chain.js';
export * from './epochs.js';
export * from './mpc.js';
export * from './signing.js';
export * from './batches.js';
export * from './node.js';

/** Every answer shape by name (the OpenAPI document's components). */
export const ANSWERS: readonly Answer<unknown>[] = [
  STATUS, PARAMS, VALIDATOR, VALIDATORS, EPOCH, CURRENT_EPOCH, RECENT_EPOCHS, PRODUCER, MPC_KEY, MPC_SESSION, MPC_SESSIONS,
  SIGN_REQUEST, PENDING_SIGN_REQUESTS, OBSERVATION, RECENT_SIGN_REQUESTS, BATCH, BATCH_META, RECENT_BATCHES, HEALTH, MISSED_VOTES, BLOCK_TIMES, NODE_STATUS,
] as Answer<unknown>[];
