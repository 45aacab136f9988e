// abci_query paths. Answers read the last committed state only. Responses are JSON (UTF-8) by
// default; with prove=true on a single-record path the value is the stored protobuf record and
// proofOps holds a Merkle proof of it against the app hash (see docs/queries.md).
import type { RequestQuery, ResponseQuery } from 'cosmjs-types/tendermint/abci/types';
import { fromHex, toHex, utf8 } from '../common/bytes.js';
import type { ValidatorSet } from '../proto/seqpool.js';
import { builderCovering, epochCovering } from './epochs.js';
import { mpcQuery } from './mpc-sessions.js';
import { readSession, sessionIds } from './mpc-state.js';
import type { DeepPartial } from '../abci/application.js';
import { CODESPACE, QueryCode } from '../protocol/codes.js';
import type { MerkleProof } from './merkle.js';
import { Keys, type State } from './state.js';
import {
  MAX_LIST,
  renderBatch,
  renderBatchData,
  renderBatchMeta,
  renderEpoch,
  renderMpcSessionSummary,
  renderObservation,
  renderParams,
  renderProducer,
  renderSequencer,
  renderSetEntry,
  renderSignRequest,
  renderStatus,
} from '../protocol/views/index.js';
import { totalPower } from './validator-set.js';
import { KEEP_BATCH_DATA } from './batches.js';

export const PROOF_OP_TYPE = 'seqpool:kv';

type Answer = DeepPartial<ResponseQuery>;

function json(value: unknown, height: bigint): Answer {
  return { code: QueryCode.OK, value: utf8(JSON.stringify(value)), height };
}
function error(code: number, log: string, height: bigint): Answer {
  return { code, log, codespace: CODESPACE, height };
}

function encodeProof(p: MerkleProof): Uint8Array {
  return utf8(JSON.stringify({ total: p.total, index: p.index, leafHash: toHex(p.leafHash), aunts: p.aunts.map(toHex) }));
}

export function decodeProof(data: Uint8Array): MerkleProof {
  const o = JSON.parse(new TextDecoder().decode(data)) as { total: number; index: number; leafHash: string; aunts: string[] };
  return { total: o.total, index: o.index, leafHash: fromHex(o.leafHash), aunts: o.aunts.map(fromHex) };
}

export function answerQuery(req: RequestQuery, state: State, lastHeight: bigint): Answer {
  if (req.height !== 0n && req.height !== lastHeight) {
    return error(QueryCode.HEIGHT_UNAVAILABLE, `only the latest height ${lastHeight} can be queried (asked ${req.height}); use height 0`, lastHeight);
  }
  const chain = state.chain('committed');
  if (!chain) return error(QueryCode.NOT_FOUND, 'no state yet: the chain has not committed its first block', lastHeight);
  // Generic ABCI tools (abci-cli, kvstore-style clients) send path "/store" with the key in data;
  // for them, data is the path.
  const path = req.path === '/store' && req.data.length > 0 ? new TextDecoder().decode(req.data) : req.path;
  const [root, ...rest] = path.replace(/^\/+/, '').split('/');
  const arg = rest.join('/');

  // A single stored record, proven when asked.
  const record = (key: string, render: () => unknown): Answer => {
    if (!req.prove) return json(render(), lastHeight);
    const proven = state.store.proveCommitted(key);
    if (!proven) return error(QueryCode.NOT_FOUND, `no record at ${key}`, lastHeight);
    return {
      code: QueryCode.OK,
      key: utf8(key),
      value: proven.value,
      height: lastHeight,
      proofOps: { ops: [{ type: PROOF_OP_TYPE, key: utf8(key), data: encodeProof(proven.proof) }] },
    };
  };

  // A list of the newest records (/epoch/recent/{n} and the like): n in 1..MAX_LIST, so one query
  // reads a bounded number of records.
  const limit = (path: string): number | Answer =>
    /^[1-9][0-9]{0,2}$/.test(rest[1] ?? '') && rest.length === 2 && Number(rest[1]) <= MAX_LIST
      ? Number(rest[1])
      : error(QueryCode.BAD_REQUEST, `expected ${path}/{n} with n from 1 to ${MAX_LIST}, got ${JSON.stringify(arg.slice(0, 80))}`, lastHeight);
  const newest = (next: bigint, n: number): bigint[] => {
    const out: bigint[] = [];
    for (let i = next > BigInt(n) ? next - BigInt(n) : 0n; i < next; i++) out.push(i);
    return out;
  };

  const id = (what: string): bigint | Answer => (/^[0-9]{1,20}$/.test(arg) && BigInt(arg) < 2n ** 64n ? BigInt(arg) : error(QueryCode.BAD_REQUEST, `expected /${root}/{${what}}: a decimal integer, got ${JSON.stringify(arg.slice(0, 80))}`, lastHeight));

  switch (root) {
    case 'mpc': {
      if (rest[0] === 'sessions' && rest[1] === 'recent') {
        const n = /^[1-9][0-9]{0,2}$/.test(rest[2] ?? '') && rest.length === 3 && Number(rest[2]) <= MAX_LIST ? Number(rest[2]) : undefined;
        if (n === undefined) return error(QueryCode.BAD_REQUEST, `expected /mpc/sessions/recent/{n} with n from 1 to ${MAX_LIST}, got ${JSON.stringify(arg.slice(0, 80))}`, lastHeight);
        // Session ids are hashes: the newest are found by reading every session (there are a few per key epoch).
        const all = sessionIds(state, 'committed').map((sid) => readSession(state, sid, 'committed')!);
        all.sort((a, b) => (a.openedHeight === b.openedHeight ? (a.closedHeight < b.closedHeight ? -1 : 1) : a.openedHeight < b.openedHeight ? -1 : 1));
        return json({ sessions: all.slice(-n).map(renderMpcSessionSummary) }, lastHeight);
      }
      const a = mpcQuery(state, path.startsWith('/') ? path : `/${path}`);
      if (!a) break;
      return a.code === QueryCode.OK ? json(a.value, lastHeight) : error(a.code, a.log ?? 'MPC query failed', lastHeight);
    }
    case 'epoch': {
      const meta = state.epochMeta('committed');
      if (arg === 'current') {
        const e = state.epoch(meta.current, 'committed');
        if (!e) return error(QueryCode.NOT_FOUND, 'no epochs: this chain began before epochs existed', lastHeight);
        return json({ ...renderEpoch(e), l2Head: meta.l2Head.toString(), l2HeadTime: meta.l2HeadTime.toString() }, lastHeight);
      }
      if (rest[0] === 'recent') {
        const n = limit('/epoch/recent');
        if (typeof n !== 'number') return n;
        const epochs = newest(meta.latest + 1n, n).flatMap((i) => state.epoch(i, 'committed') ?? []);
        return json({ current: meta.current.toString(), latest: meta.latest.toString(), epochs: epochs.map(renderEpoch) }, lastHeight);
      }
      const n = id('id|current');
      if (typeof n !== 'bigint') return n;
      const e = state.epoch(n, 'committed');
      if (!e) return error(QueryCode.NOT_FOUND, `no epoch ${n} (latest is ${meta.latest})`, lastHeight);
      return record(Keys.epoch(n), () => renderEpoch(e));
    }
    case 'producer': {
      const n = id('l2Height');
      if (typeof n !== 'bigint') return n;
      const e = builderCovering(state, n, 'committed');
      if (!e) return error(QueryCode.NOT_FOUND, `no epoch covers L2 block ${n} yet (latest epoch ${state.epochMeta('committed').latest})`, lastHeight);
      return json(renderProducer(n, e), lastHeight);
    }
    case 'batcher': {
      // Who batches L2 block n: after a re-span, the blocks below its first built block keep their
      // builder (/producer) but are batched by the re-span's producer.
      const n = id('l2Height');
      if (typeof n !== 'bigint') return n;
      const e = epochCovering(state, n, 'committed');
      if (!e) return error(QueryCode.NOT_FOUND, `no epoch covers L2 block ${n} yet (latest epoch ${state.epochMeta('committed').latest})`, lastHeight);
      return json({ ...renderProducer(n, e), mustRecommit: false }, lastHeight);
    }
    case 'sign': {
      if (rest[0] === 'recent') {
        const n = limit('/sign/recent');
        if (typeof n !== 'number') return n;
        const next = state.signMeta('committed').nextId;
        return json({ nextId: next.toString(), requests: newest(next, n).flatMap((i) => state.signRequest(i, 'committed') ?? []).map(renderSignRequest) }, lastHeight);
      }
      if (arg === 'pending') return json({ requests: state.pendingSignIds('committed').map((i) => renderSignRequest(state.signRequest(i, 'committed')!)) }, lastHeight);
      const n = id('id|pending');
      if (typeof n !== 'bigint') return n;
      const r = state.signRequest(n, 'committed');
      if (!r) return error(QueryCode.NOT_FOUND, `no sign request ${n}`, lastHeight);
      return record(Keys.signRequest(n), () => renderSignRequest(r));
    }
    case 'batch': {
      if (rest[0] === 'recent') {
        const n = limit('/batch/recent');
        if (typeof n !== 'number') return n;
        const m = state.batchMeta('committed');
        return json({ nextIndex: m.nextIndex.toString(), finalized: m.finalized.toString(), batches: newest(m.nextIndex, n).flatMap((i) => state.batch(i, 'committed') ?? []).map(renderBatch) }, lastHeight);
      }
      if (arg === 'meta') return record(Keys.batchMeta, () => renderBatchMeta(state.batchMeta('committed')));
      if (rest.length === 2 && rest[1] === 'data' && /^[0-9]{1,20}$/.test(rest[0]!) && BigInt(rest[0]!) < 2n ** 64n) {
        const i = BigInt(rest[0]!);
        const b = state.batch(i, 'committed');
        const data = state.batchData(i, 'committed');
        if (!b || !data) return error(QueryCode.NOT_FOUND, b ? `the pool no longer keeps batch ${i}'s data (it keeps the unfinalized batches and the last ${KEEP_BATCH_DATA} final ones); L1 has it, or re-derive it from L2` : `no batch ${i}`, lastHeight);
        return record(Keys.batchData(i), () => renderBatchData(b, data));
      }
      const n = id('index|meta');
      if (typeof n !== 'bigint') return n;
      const b = state.batch(n, 'committed');
      if (!b) return error(QueryCode.NOT_FOUND, `no batch ${n}`, lastHeight);
      return record(Keys.batch(n), () => renderBatch(b));
    }
    case 'status': {
      if (rest.length) break;
      const set = state.validatorSetAt(lastHeight + 1n, 'committed');
      return json(
        renderStatus({
          chainId: chain.chainId,
          height: lastHeight,
          appHash: state.store.committedRoot(),
          validators: set.validators.length,
          totalPower: totalPower(set.validators),
          voteExtensionsEnableHeight: chain.voteExtensionsEnableHeight,
        }),
        lastHeight,
      );
    }
    case 'params':
      if (rest.length) break;
      return record(Keys.params, () => renderParams(state.params('committed')));
    case 'validators': {
      if (rest.length) break;
      const set: ValidatorSet = state.validatorSetAt(lastHeight + 1n, 'committed');
      // A key rotated out may still sign the next block (updates apply two heights later): then
      // only the set's own entry is known.
      const rows = set.validators.map((v) => {
        const s = state.sequencer(v.address, 'committed');
        return s ? { ...renderSequencer(s), power: v.power.toString() } : renderSetEntry(v);
      });
      return json(rows, lastHeight);
    }
    case 'validator': {
      if (!/^(0x)?[0-9a-fA-F]{40}$/.test(arg)) return error(QueryCode.BAD_REQUEST, `expected /validator/{address}: a 20-byte hex address, got ${JSON.stringify(arg.slice(0, 80))}`, lastHeight);
      const address = fromHex(arg);
      const s = state.sequencer(address, 'committed');
      if (!s) return error(QueryCode.NOT_FOUND, `no sequencer with address ${arg.toUpperCase()}`, lastHeight);
      return record(state.sequencerKey(address, 'committed')!, () => renderSequencer(s)); // seq/ or exited/
    }
    case 'sequencer': {
      if (!/^[1-9][0-9]{0,19}$/.test(arg)) return error(QueryCode.BAD_REQUEST, `expected /sequencer/{id}: a LockingPool sequencer id, got ${JSON.stringify(arg.slice(0, 80))}`, lastHeight);
      const s = state.sequencerById(BigInt(arg), 'committed');
      if (!s) return error(QueryCode.NOT_FOUND, `no sequencer with id ${arg}`, lastHeight);
      return record(state.sequencerKeyById(BigInt(arg), 'committed')!, () => renderSequencer(s)); // a key record, or a keyless one
    }
    case 'observation': {
      if (!/^[0-9a-fA-F]{64}$/.test(arg)) return error(QueryCode.BAD_REQUEST, `expected /observation/{digest}: 32-byte hex, got ${JSON.stringify(arg.slice(0, 80))}`, lastHeight);
      const o = state.observation(fromHex(arg), 'committed');
      if (!o) return error(QueryCode.NOT_FOUND, `observation ${arg} has not been applied`, lastHeight);
      return record(Keys.observation(o.digest), () => renderObservation(o));
    }
  }
  return error(QueryCode.UNKNOWN_PATH, `unknown query path ${JSON.stringify(path.slice(0, 120))}; known: /status, /params, /validators, /validator/{address}, /sequencer/{id}, /observation/{digest}, /epoch/current, /epoch/{id}, /epoch/recent/{n}, /producer/{l2Height}, /batcher/{l2Height}, /sign/{id}, /sign/pending, /sign/recent/{n}, /batch/{index}, /batch/{index}/data, /batch/meta, /batch/recent/{n}, /mpc/...`, lastHeight);
}
