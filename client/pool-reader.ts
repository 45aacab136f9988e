// The typed reads both clients offer (docs/api.md), written once: PoolClient answers them from the
// gateway's REST routes, SeqpoolClient from the app's abci_query paths; a route has the same name in
// both tables (protocol/views/paths.ts) and the same view (protocol/views/).
import {
  AbciPath,
  parseBatch,
  parseBatchData,
  parseBatchMeta,
  parseCurrentEpoch,
  parseEpoch,
  parseMpcKey,
  parseMpcSession,
  parsePendingSignRequests,
  parseProducer,
  parseSignRequest,
  parseStatus,
  parseValidators,
  requireUint64,
  RestPath,
  type BatchDataView,
  type BatchMetaView,
  type BatchView,
  type CurrentEpoch,
  type Epoch,
  type MpcKeyView,
  type MpcSessionView,
  type ProducerAnswer,
  type SignRequestView,
  type StatusView,
  type ValidatorView,
} from '../protocol/views/index.js';

/** Where a read is answered: its abci_query path and its gateway route. */
export interface ReadPath {
  abci: string;
  rest: string;
}

type Route = keyof typeof AbciPath & keyof typeof RestPath;

/** The paths of `route`, with its one argument when it takes one. */
function at(route: Route, arg?: bigint | string): ReadPath {
  const path = (p: string | ((x: bigint | string) => string)) => (typeof p === 'function' ? p(arg!) : p);
  return { abci: path(AbciPath[route] as string | ((x: bigint | string) => string)), rest: path(RestPath[route] as string | ((x: bigint | string) => string)) };
}

export abstract class PoolReader {
  /** The answer at `path`, read by `parse`. */
  protected abstract read<T>(path: ReadPath, parse: (v: unknown) => T): Promise<T>;

  status(): Promise<StatusView> {
    return this.read(at('status'), parseStatus);
  }
  validators(): Promise<ValidatorView[]> {
    return this.read(at('validators'), parseValidators);
  }
  currentEpoch(): Promise<CurrentEpoch> {
    return this.read(at('currentEpoch'), parseCurrentEpoch);
  }
  epoch(id: bigint | number): Promise<Epoch> {
    return this.read(at('epoch', requireUint64('epoch id', id)), parseEpoch);
  }
  producerOf(l2Height: bigint | number): Promise<ProducerAnswer> {
    return this.read(at('producer', requireUint64('l2Height', l2Height)), parseProducer);
  }
  /** The producer that batches `l2Height` (its builder, unless a re-span took over its batching). */
  batcherOf(l2Height: bigint | number): Promise<ProducerAnswer> {
    return this.read(at('batcher', requireUint64('l2Height', l2Height)), parseProducer);
  }
  mpcKey(): Promise<MpcKeyView> {
    return this.read(at('mpcKey'), parseMpcKey);
  }
  currentMpcSession(): Promise<MpcSessionView> {
    return this.read(at('currentMpcSession'), parseMpcSession);
  }
  mpcSession(id: string): Promise<MpcSessionView> {
    return this.read(at('mpcSession', id.replace(/^0x/, '').toLowerCase()), parseMpcSession);
  }
  signRequest(id: bigint | number): Promise<SignRequestView> {
    return this.read(at('signRequest', requireUint64('sign request id', id)), parseSignRequest);
  }
  pendingSignRequests(): Promise<SignRequestView[]> {
    return this.read(at('pendingSignRequests'), parsePendingSignRequests);
  }
  batch(index: bigint | number): Promise<BatchView> {
    return this.read(at('batch', requireUint64('batch index', index)), parseBatch);
  }
  batchMeta(): Promise<BatchMetaView> {
    return this.read(at('batchMeta'), parseBatchMeta);
  }
  /** The data batch `index` carries to L1 (protocol/batch-data.ts decodes it), while the pool keeps it. */
  batchData(index: bigint | number): Promise<BatchDataView> {
    return this.read(at('batchData', requireUint64('batch index', index)), parseBatchData);
  }
}
