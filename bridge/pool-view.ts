// The bridge's read side of committed pool state (docs/pool.md "Query paths"): typed answers over a
// query function that returns abci_query results. The node passes its app's in-process query; tests
// pass a fake. The JSON is read by the shared parsers (protocol/views/); this file only checks
// and normalises hex the way the bridge compares it: 0x lower hex, except a CometBFT address (an
// epoch's or L2 height's producer), which is upper hex without 0x as the app writes it.
import { fromHex } from '../common/bytes.js';
import { QueryCode } from '../protocol/codes.js';
import {
  fieldError,
  parseBatch,
  parseBatchData,
  parseBatchMeta,
  parseCurrentEpoch,
  parseEpoch,
  parsePendingSignRequests,
  parseProducer,
  parseSignRequest,
  readInt,
  readString,
  type BatchMetaView,
  type BatchView,
  type CurrentEpoch,
  type Epoch,
  type ProducerAnswer,
  type SignRequestView,
} from '../protocol/views/index.js';

import type { QueryFn } from '../common/app-query.js';
export { appQuery, type QueryAnswer } from '../common/app-query.js';
export type PoolQuery = QueryFn;

export interface PoolParams {
  maxBatchBlocks: bigint;
  maxBatchBytes: number;
  batchMaxAgeSeconds: bigint;
  epochLength: bigint;
  signingTimeoutSeconds: bigint;
  /** A forced entry mined this long before a block's timestamp must be consumed by then (decision 46). */
  forcedDueSeconds: bigint;
}
// The client's views, with hex normalised as above.
export type PoolEpoch = Epoch;
export type PoolBatchMeta = BatchMetaView;
export type PoolBatch = BatchView;
export type PoolSignRequest = SignRequestView;
type Json = Record<string, unknown>;

/** The answer was not OK (other than NOT_FOUND, which readers get as undefined). */
export class PoolQueryError extends Error {
  override readonly name = 'PoolQueryError';
  constructor(readonly path: string, readonly code: number, log: string | undefined) {
    super(`query ${path} failed with code ${code}: ${log ?? '(no log)'}`);
  }
}

export class PoolView {
  constructor(private readonly q: PoolQuery) {}

  /** The JSON answer at `path`, or undefined on NOT_FOUND (no state yet, no such record). */
  async json(path: string): Promise<Json | undefined> {
    const a = await this.q(path);
    if (a.code === QueryCode.NOT_FOUND) return undefined;
    if (a.code !== QueryCode.OK) throw new PoolQueryError(path, a.code, a.log);
    return JSON.parse(new TextDecoder().decode(a.value)) as Json;
  }

  async status(): Promise<{ chainId: string; height: bigint } | undefined> {
    const j = await this.json('/status');
    return j && { chainId: readString(j, 'chainId', 'status'), height: readInt(j, 'height', 'status') };
  }

  async params(): Promise<PoolParams | undefined> {
    const j = await this.json('/params');
    return (
      j && {
        maxBatchBlocks: readInt(j, 'maxBatchBlocks', 'params'),
        maxBatchBytes: Number(readInt(j, 'maxBatchBytes', 'params')),
        batchMaxAgeSeconds: readInt(j, 'batchMaxAgeSeconds', 'params'),
        epochLength: readInt(j, 'epochLength', 'params'),
        signingTimeoutSeconds: readInt(j, 'signingTimeoutSeconds', 'params'),
        forcedDueSeconds: j.forcedDueSeconds === undefined ? 0n : readInt(j, 'forcedDueSeconds', 'params'),
      }
    );
  }

  /** Lane-0 nonce last used by the validator with this CometBFT address (upper hex), or undefined. */
  async laneZeroNonce(address: string): Promise<bigint | undefined> {
    const j = await this.json(`/validator/${address}`);
    return j && readInt(j, 'nonce', 'validator');
  }

  async currentEpoch(): Promise<CurrentEpoch | undefined> {
    const j = await this.json('/epoch/current');
    return j && epoch(parseCurrentEpoch(j), 'current epoch');
  }

  async epoch(id: bigint): Promise<PoolEpoch | undefined> {
    const j = await this.json(`/epoch/${id}`);
    return j && epoch(parseEpoch(j), 'epoch');
  }

  /** The producer that builds `l2Height` (app/epochs.ts builderCovering). */
  producer(l2Height: bigint): Promise<ProducerAnswer | undefined> {
    return this.producerAt('producer', l2Height);
  }

  /** The producer that batches `l2Height` (app/epochs.ts epochCovering). */
  batcher(l2Height: bigint): Promise<ProducerAnswer | undefined> {
    return this.producerAt('batcher', l2Height);
  }

  private async producerAt(what: 'producer' | 'batcher', l2Height: bigint): Promise<ProducerAnswer | undefined> {
    const j = await this.json(`/${what}/${l2Height}`);
    const p = j && parseProducer(j);
    return p && { ...p, producer: upper(p.producer, what, 'producer'), signer: hex(p.signer, what, 'signer') };
  }

  async batchMeta(): Promise<PoolBatchMeta | undefined> {
    const j = await this.json('/batch/meta');
    const m = j && parseBatchMeta(j);
    return m && { ...m, lastHash: hex(m.lastHash, 'batch meta', 'lastHash') };
  }

  async batch(index: bigint): Promise<PoolBatch | undefined> {
    const j = await this.json(`/batch/${index}`);
    return j && batch(parseBatch(j));
  }

  /** Batch `index`'s data (protocol/batch-data.ts) while the pool keeps it; undefined after. */
  async batchData(index: bigint): Promise<Uint8Array | undefined> {
    const j = await this.json(`/batch/${index}/data`);
    return j && fromHex(hex(parseBatchData(j).data, 'batch data', 'data').slice(2));
  }

  async signRequest(id: bigint): Promise<PoolSignRequest | undefined> {
    const j = await this.json(`/sign/${id}`);
    return j && signRequest(parseSignRequest(j));
  }

  async pendingSignRequests(): Promise<PoolSignRequest[]> {
    const j = await this.json('/sign/pending');
    return j ? parsePendingSignRequests(j).map(signRequest) : [];
  }
}

/** 0x lower hex of a hex string the parser passed; `what`/`field` name it if it is not hex. */
function hex(v: string, what: string, field: string): string {
  if (!/^(0x)?[0-9a-fA-F]*$/.test(v)) throw fieldError(what, field, 'hex', v);
  return `0x${v.replace(/^0x/, '').toLowerCase()}`;
}
/** A CometBFT address: upper hex without 0x. */
const upper = (v: string, what: string, field: string): string => hex(v, what, field).slice(2).toUpperCase();

function epoch<E extends Epoch>(e: E, what: string): E {
  return { ...e, producer: upper(e.producer, what, 'producer'), signer: hex(e.signer, what, 'signer') };
}

function batch(b: BatchView): PoolBatch {
  const h = (field: 'prevHash' | 'dataHash' | 'producer' | 'hash') => hex(b[field], 'batch', field);
  return { ...b, prevHash: h('prevHash'), dataHash: h('dataHash'), producer: h('producer'), hash: h('hash'), l1TxHash: b.l1TxHash === null ? null : hex(b.l1TxHash, 'batch', 'l1TxHash') };
}

function signRequest(r: SignRequestView): PoolSignRequest {
  const h = (field: 'verifier' | 'payload' | 'digest') => hex(r[field], 'sign request', field);
  return { ...r, verifier: h('verifier'), payload: h('payload'), digest: h('digest'), signature: r.signature === null ? null : hex(r.signature, 'sign request', 'signature') };
}
