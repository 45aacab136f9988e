// The bridge's read side of committed pool state (docs/pool.md "Query paths"): typed answers over a
// query function that returns abci_query results. The node passes its app's in-process query; tests
// pass a fake. Every integer arrives as a decimal string and every byte string as 0x hex (the Epoch
// producer as upper hex without 0x); these helpers turn them into bigints and lower-case hex.
import { QueryCode } from '../app/codes.js';

import type { QueryFn } from '../common/app-query.js';
export { appQuery, type QueryAnswer } from '../common/app-query.js';
export type PoolQuery = QueryFn;

export interface PoolParams {
  maxBatchBlocks: bigint;
  epochLength: bigint;
  signingTimeoutSeconds: bigint;
}
export interface PoolEpoch {
  id: bigint;
  startL2: bigint;
  endL2: bigint;
  /** CometBFT validator address, upper hex without 0x. */
  producer: string;
  /** L1/L2 address of the producer, 0x lower hex. */
  signer: string;
  signRequest: bigint;
  status: 'elected' | 'committed';
  isRespan: boolean;
  respanOf: bigint;
}
export interface PoolBatchMeta {
  nextIndex: bigint;
  lastHash: string;
  nextL2Start: bigint;
}
export interface PoolBatch {
  index: bigint;
  prevHash: string;
  l2Start: bigint;
  l2End: bigint;
  dataHash: string;
  producer: string;
  hash: string;
  status: 'signing' | 'signed' | 'finalized' | 'expired';
  signRequest: bigint;
  epochId: bigint;
}
export interface PoolSignRequest {
  id: bigint;
  purpose: string;
  chainId: bigint;
  verifier: string;
  payload: string;
  digest: string;
  status: 'pending' | 'signed' | 'expired';
  signature: string | null;
  createdTime: bigint;
  batchIndex: bigint;
  epochId: bigint;
}

/** The answer was not OK (other than NOT_FOUND, which readers get as undefined). */
export class PoolQueryError extends Error {
  override readonly name = 'PoolQueryError';
  constructor(readonly path: string, readonly code: number, log: string | undefined) {
    super(`query ${path} failed with code ${code}: ${log ?? '(no log)'}`);
  }
}

const big = (v: unknown, what: string): bigint => {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return BigInt(v);
  throw new Error(`pool state: ${what} is ${JSON.stringify(v)}, expected a decimal integer`);
};
const hex = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || !/^(0x)?[0-9a-fA-F]*$/.test(v)) throw new Error(`pool state: ${what} is ${JSON.stringify(v)}, expected hex`);
  return `0x${v.replace(/^0x/, '').toLowerCase()}`;
};
const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new Error(`pool state: ${what} is ${JSON.stringify(v)}, expected a string`);
  return v;
};
type Json = Record<string, unknown>;

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
    return j && { chainId: str(j.chainId, 'status.chainId'), height: big(j.height, 'status.height') };
  }

  async params(): Promise<PoolParams | undefined> {
    const j = await this.json('/params');
    return j && { maxBatchBlocks: big(j.maxBatchBlocks, 'maxBatchBlocks'), epochLength: big(j.epochLength, 'epochLength'), signingTimeoutSeconds: big(j.signingTimeoutSeconds, 'signingTimeoutSeconds') };
  }

  /** Lane-0 nonce last used by the validator with this CometBFT address (upper hex), or undefined. */
  async laneZeroNonce(address: string): Promise<bigint | undefined> {
    const j = await this.json(`/validator/${address}`);
    return j && big(j.nonce, 'validator.nonce');
  }

  async currentEpoch(): Promise<(PoolEpoch & { l2Head: bigint }) | undefined> {
    const j = await this.json('/epoch/current');
    return j && { ...epoch(j), l2Head: big(j.l2Head, 'epoch.l2Head') };
  }

  async epoch(id: bigint): Promise<PoolEpoch | undefined> {
    const j = await this.json(`/epoch/${id}`);
    return j && epoch(j);
  }

  async producer(l2Height: bigint): Promise<{ epochId: bigint; producer: string; signer: string } | undefined> {
    const j = await this.json(`/producer/${l2Height}`);
    return j && { epochId: big(j.epochId, 'producer.epochId'), producer: upper(j.producer, 'producer.producer'), signer: hex(j.signer, 'producer.signer') };
  }

  async batchMeta(): Promise<PoolBatchMeta | undefined> {
    const j = await this.json('/batch/meta');
    return j && { nextIndex: big(j.nextIndex, 'batchmeta.nextIndex'), lastHash: hex(j.lastHash, 'batchmeta.lastHash'), nextL2Start: big(j.nextL2Start, 'batchmeta.nextL2Start') };
  }

  async batch(index: bigint): Promise<PoolBatch | undefined> {
    const j = await this.json(`/batch/${index}`);
    return (
      j && {
        index: big(j.index, 'batch.index'),
        prevHash: hex(j.prevHash, 'batch.prevHash'),
        l2Start: big(j.l2Start, 'batch.l2Start'),
        l2End: big(j.l2End, 'batch.l2End'),
        dataHash: hex(j.dataHash, 'batch.dataHash'),
        producer: hex(j.producer, 'batch.producer'),
        hash: hex(j.hash, 'batch.hash'),
        status: str(j.status, 'batch.status') as PoolBatch['status'],
        signRequest: big(j.signRequest, 'batch.signRequest'),
        epochId: big(j.epochId ?? '0', 'batch.epochId'),
      }
    );
  }

  async signRequest(id: bigint): Promise<PoolSignRequest | undefined> {
    const j = await this.json(`/sign/${id}`);
    return j && signRequest(j);
  }

  async pendingSignRequests(): Promise<PoolSignRequest[]> {
    const j = await this.json('/sign/pending');
    return ((j?.requests as Json[] | undefined) ?? []).map(signRequest);
  }
}

const upper = (v: unknown, what: string): string => hex(v, what).slice(2).toUpperCase();

function epoch(j: Json): PoolEpoch {
  return {
    id: big(j.id, 'epoch.id'),
    startL2: big(j.startL2, 'epoch.startL2'),
    endL2: big(j.endL2, 'epoch.endL2'),
    producer: upper(j.producer, 'epoch.producer'),
    signer: hex(j.signer, 'epoch.signer'),
    signRequest: big(j.signRequest ?? '0', 'epoch.signRequest'),
    status: str(j.status, 'epoch.status') as PoolEpoch['status'],
    isRespan: j.isRespan === true,
    respanOf: big(j.respanOf ?? '0', 'epoch.respanOf'),
  };
}

function signRequest(j: Json): PoolSignRequest {
  return {
    id: big(j.id, 'sign.id'),
    purpose: str(j.purpose, 'sign.purpose'),
    chainId: big(j.chainId, 'sign.chainId'),
    verifier: hex(j.verifier, 'sign.verifier'),
    payload: hex(j.payload, 'sign.payload'),
    digest: hex(j.digest, 'sign.digest'),
    status: str(j.status, 'sign.status') as PoolSignRequest['status'],
    signature: j.signature === null || j.signature === undefined || j.signature === '' ? null : hex(j.signature, 'sign.signature'),
    createdTime: big(j.createdTime ?? '0', 'sign.createdTime'),
    batchIndex: big(j.batchIndex ?? '0', 'sign.batchIndex'),
    epochId: big(j.epochId ?? '0', 'sign.epochId'),
  };
}

