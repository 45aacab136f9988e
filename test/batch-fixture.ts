// Batch data for tests (protocol/batch-data.ts). App tests need only bytes the app accepts (version
// byte, hash match: the app never decodes them); bridge and sidecar tests need an L2 of full blocks
// whose batches encode and compare like a real one: FakeL2Chain builds chained synthetic payloads.
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { Hex } from 'viem';
import { concatBytes, toHex, utf8 } from '../common/bytes.js';
import { BATCH_DATA_VERSION, encodeBatchData, readBatchContent, type BatchContent, type L2PayloadSource } from '../protocol/batch-data.js';
import type { L2Payload } from '../protocol/l2-block.js';

/** `data` and its `dataHash` for a batch request: valid for the app, not a decodable batch. */
export function opaqueBatchData(tag: string): { data: Uint8Array; dataHash: Uint8Array } {
  const data = concatBytes(Uint8Array.of(BATCH_DATA_VERSION), utf8(tag));
  return { data, dataHash: keccak_256(data) };
}

const h32 = (s: string): Hex => `0x${toHex(keccak_256(utf8(s)))}`;
const q = (v: bigint | number): Hex => `0x${v.toString(16)}`;

/** A synthetic block `n` on `parent`: hash and contents follow from (seed, n, parent). */
export function fakePayload(n: bigint, parent: Hex, seed = 'l2', txs = 2): L2Payload {
  const transactions = Array.from({ length: txs }, (_, i) => `0x02${toHex(keccak_256(utf8(`${seed}/${n}/tx${i}`)))}${'ab'.repeat(40)}` as Hex);
  return {
    parentHash: parent,
    feeRecipient: `0x${'11'.repeat(20)}`,
    stateRoot: h32(`${seed}/${n}/state`),
    receiptsRoot: h32(`${seed}/${n}/receipts`),
    logsBloom: `0x${'00'.repeat(256)}`,
    prevRandao: parent,
    blockNumber: q(n),
    gasLimit: q(30_000_000),
    gasUsed: q(21_000 * txs),
    timestamp: q(1_700_000_000n + n),
    extraData: '0x',
    baseFeePerGas: q(7),
    blockHash: h32(`${seed}/${n}/${parent}`),
    transactions,
    withdrawals: [],
    blobGasUsed: '0x0',
    excessBlobGas: '0x0',
  };
}

/** An L2 of `height` synthetic blocks; `replace` swaps one block's contents (a lying or forked L2). */
export class FakeL2Chain implements L2PayloadSource {
  readonly blocks = new Map<bigint, L2Payload>();
  reads = 0;
  constructor(
    public height: bigint,
    private readonly seed = 'l2',
  ) {
    this.extend(height);
  }

  /** Grows the chain to `height`. */
  extend(height: bigint): void {
    for (let n = BigInt(this.blocks.size) + 1n; n <= height; n++) this.blocks.set(n, fakePayload(n, n === 1n ? h32(`${this.seed}/genesis`) : this.blocks.get(n - 1n)!.blockHash as Hex, this.seed));
    this.height = height;
  }

  async payload(n: bigint): Promise<L2Payload> {
    this.reads++;
    const p = this.blocks.get(n);
    if (!p || n > this.height) throw new Error(`L2 block ${n} is not available yet`);
    return p;
  }

  content(start: bigint, end: bigint): Promise<BatchContent> {
    return readBatchContent(this, start, end);
  }

  async data(start: bigint, end: bigint): Promise<Uint8Array> {
    return encodeBatchData(await this.content(start, end));
  }

  async dataHash(start: bigint, end: bigint): Promise<Hex> {
    return `0x${toHex(keccak_256(await this.data(start, end)))}`;
  }
}
