// Batch data (issue 13, decision 43): what a batch carries to L1 so that anyone can rebuild the L2
// from L1 alone. The producer's batcher encodes it from its own L2, the pool records it with the
// request, every sidecar re-derives the same bytes from ITS OWN L2 before it signs (decision 8),
// BatchInbox checks keccak256(data) == header.dataHash, and the verifier (`seqpool l2 verify`)
// decodes it into execution payloads. One definition, so none of them can drift apart.
//
//   data = 0x01 || brotli(body)                      (version 1: brotli, quality 11)
//   body = rlp([parentHash, firstBlock, [block, ...]])
//   block = [timestamp, feeRecipient, prevRandao, gasLimit, gasUsed, baseFeePerGas, extraData,
//            stateRoot, receiptsRoot, logsBloom, blobGasUsed, excessBlobGas, blockHash, [tx, ...]]
//
// A block's number and parent hash follow from its place in the batch; withdrawals are always empty
// and the parent beacon root always zero on this L2 (l2/driver.ts builds them so), so they are not
// carried. A tx is its raw signed encoding (EIP-2718). The execution results (state root, receipts
// root, bloom, gas used) and the block hash are carried because engine_newPayload needs them: geth
// re-executes the block and refuses it (INVALID) if any of them is wrong, so they are claims L1 data
// makes and every verifier checks, not trust.
//
// The body is canonical RLP: integers without leading zeros, hashes and addresses at their sizes;
// decodeBatchBody refuses anything else (it re-encodes and compares), so one batch of blocks has
// exactly one body. The compressed layer is not compared: brotli's output may change between
// library versions, so sidecars compare bodies byte for byte and accept any brotli stream of the
// right body within maxBatchBytes (decision 43).
import { brotliCompressSync, brotliDecompressSync, constants as zc } from 'node:zlib';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { fromRlp, toRlp, type Hex } from 'viem';
import { equalBytes, fromHex, toHex } from '../common/bytes.js';
import type { L2Payload } from './l2-block.js';

export const BATCH_DATA_VERSION = 1;
/** Largest decompressed body a reader accepts: a brotli bomb stops here, long before memory does. */
export const MAX_BATCH_BODY_BYTES = 16 * 1024 * 1024;
/** Largest L2 range one batch may cover (far above maxBatchBlocks). */
export const MAX_BATCH_RANGE = 100_000n;

/**
 * How many batches a producer may have requested and not yet seen finalized from L1 (the bridge's
 * pipeline depth). With that many awaiting L1 the producer waits on the pool and on L1
 * confirmations, so the app's failover does not count that time against it.
 */
export const MAX_BATCHES_IN_FLIGHT = 4;

/** One L2 block as a batch carries it. */
export interface BatchBlock {
  timestamp: bigint;
  feeRecipient: Hex;
  prevRandao: Hex;
  gasLimit: bigint;
  gasUsed: bigint;
  baseFeePerGas: bigint;
  extraData: Hex;
  stateRoot: Hex;
  receiptsRoot: Hex;
  logsBloom: Hex;
  blobGasUsed: bigint;
  excessBlobGas: bigint;
  blockHash: Hex;
  /** Raw signed transactions, in block order. */
  transactions: Hex[];
}

/** The L2 blocks firstBlock .. firstBlock + blocks.length - 1, the first a child of parentHash. */
export interface BatchContent {
  parentHash: Hex;
  firstBlock: bigint;
  blocks: BatchBlock[];
}

/** Data that is not a valid batch encoding, or blocks that cannot be one; says which and where. */
export class BatchDataError extends Error {
  override readonly name = 'BatchDataError';
  constructor(
    message: string,
    /** The L2 block at fault, when one is. */
    readonly block?: bigint,
  ) {
    super(message);
  }
}

// ---------- values ----------

const int = (v: bigint): Uint8Array => (v === 0n ? new Uint8Array(0) : fromHex(v.toString(16).padStart(Math.ceil(v.toString(16).length / 2) * 2, '0')));
const hex = (b: Uint8Array): Hex => `0x${toHex(b)}`;
const fixed = (v: Hex, size: number, what: string, block?: bigint): Uint8Array => {
  const b = fromHex(v.slice(2));
  if (b.length !== size) throw new BatchDataError(`${what} must be ${size} bytes, got ${b.length}`, block);
  return b;
};

const BLOCK_FIELDS = ['timestamp', 'feeRecipient', 'prevRandao', 'gasLimit', 'gasUsed', 'baseFeePerGas', 'extraData', 'stateRoot', 'receiptsRoot', 'logsBloom', 'blobGasUsed', 'excessBlobGas', 'blockHash'] as const;
const SIZES: Partial<Record<(typeof BLOCK_FIELDS)[number], number>> = { feeRecipient: 20, prevRandao: 32, stateRoot: 32, receiptsRoot: 32, logsBloom: 256, blockHash: 32 };

// ---------- body ----------

/** The canonical RLP body of `c`. Throws BatchDataError for a field of the wrong size. */
export function encodeBatchBody(c: BatchContent): Uint8Array {
  if (c.blocks.length === 0) throw new BatchDataError('a batch holds at least one L2 block');
  if (BigInt(c.blocks.length) > MAX_BATCH_RANGE) throw new BatchDataError(`a batch holds at most ${MAX_BATCH_RANGE} L2 blocks`);
  const blocks = c.blocks.map((b, i) => {
    const n = c.firstBlock + BigInt(i);
    const fields = BLOCK_FIELDS.map((f) => {
      const v = b[f];
      if (typeof v === 'bigint') {
        if (v < 0n || v >= 1n << 256n) throw new BatchDataError(`${f} ${v} is out of range`, n);
        return int(v);
      }
      const size = SIZES[f];
      if (size !== undefined) return fixed(v, size, f, n);
      const bytes = fromHex(v.slice(2));
      if (bytes.length > 32) throw new BatchDataError(`extraData is at most 32 bytes, got ${bytes.length}`, n);
      return bytes;
    });
    return [...fields, b.transactions.map((t) => fromHex(t.slice(2)))];
  });
  return toRlp([fixed(c.parentHash, 32, 'parentHash'), int(c.firstBlock), blocks], 'bytes');
}

type Rlp = Uint8Array | Rlp[];
const isList = (v: Rlp): v is Rlp[] => Array.isArray(v);
const bytesOf = (v: Rlp | undefined, what: string, block?: bigint): Uint8Array => {
  if (v === undefined || isList(v)) throw new BatchDataError(`${what} must be a byte string`, block);
  return v;
};
const listOf = (v: Rlp | undefined, what: string, block?: bigint): Rlp[] => {
  if (v === undefined || !isList(v)) throw new BatchDataError(`${what} must be a list`, block);
  return v;
};
const bigintOf = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt(`0x${toHex(b)}`));

/** Reads a body; throws BatchDataError unless it is exactly the canonical encoding of what it holds. */
export function decodeBatchBody(body: Uint8Array): BatchContent {
  let top: Rlp;
  try {
    top = fromRlp(body, 'bytes') as Rlp;
  } catch (e) {
    throw new BatchDataError(`batch body is not RLP: ${(e as Error).message.split('\n')[0]}`);
  }
  const [parent, first, list, ...extra] = listOf(top, 'batch body');
  if (extra.length) throw new BatchDataError(`batch body has ${3 + extra.length} items, not 3`);
  const firstBlock = bigintOf(bytesOf(first, 'firstBlock'));
  const parentHash = hex(bytesOf(parent, 'parentHash'));
  const blocks = listOf(list, 'blocks').map((raw, i): BatchBlock => {
    const n = firstBlock + BigInt(i);
    const items = listOf(raw, `block ${n}`, n);
    if (items.length !== BLOCK_FIELDS.length + 1) throw new BatchDataError(`block has ${items.length} fields, not ${BLOCK_FIELDS.length + 1}`, n);
    const out: Record<string, unknown> = {};
    BLOCK_FIELDS.forEach((f, k) => {
      const b = bytesOf(items[k], f, n);
      out[f] = SIZES[f] !== undefined || f === 'extraData' ? hex(b) : bigintOf(b);
    });
    out.transactions = listOf(items[BLOCK_FIELDS.length], 'transactions', n).map((t, k) => hex(bytesOf(t, `transaction ${k}`, n)));
    return out as unknown as BatchBlock;
  });
  const content: BatchContent = { parentHash, firstBlock, blocks };
  // Canonical: re-encoding gives the same bytes (sizes checked, no leading zeros, no long forms).
  if (!equalBytes(encodeBatchBody(content), body)) throw new BatchDataError('batch body is not in canonical form (an integer with leading zeros, a field of the wrong size, or a non-minimal RLP length)');
  return content;
}

// ---------- data ----------

/** The data a batch of `c` carries to L1: version byte, then the brotli-compressed body. */
export function encodeBatchData(c: BatchContent): Uint8Array {
  return compressBody(encodeBatchBody(c));
}

/** Version byte and brotli (quality 11, the densest) of an encoded body. */
export function compressBody(body: Uint8Array): Uint8Array {
  const z = brotliCompressSync(body, { params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: body.length } });
  const out = new Uint8Array(1 + z.length);
  out[0] = BATCH_DATA_VERSION;
  out.set(z, 1);
  return out;
}

/** The body inside `data`; throws BatchDataError for another version, a bad stream or a bomb. */
export function decompressBatchData(data: Uint8Array, maxBody = MAX_BATCH_BODY_BYTES): Uint8Array {
  if (data.length < 2) throw new BatchDataError(`batch data of ${data.length} bytes is too short`);
  if (data[0] !== BATCH_DATA_VERSION) throw new BatchDataError(`batch data version ${data[0]} is not ${BATCH_DATA_VERSION}`);
  try {
    return new Uint8Array(brotliDecompressSync(data.subarray(1), { maxOutputLength: maxBody }));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new BatchDataError(`batch body exceeds ${maxBody} bytes decompressed`);
    throw new BatchDataError(`batch data is not a brotli stream: ${(e as Error).message}`);
  }
}

/** What `data` holds; throws BatchDataError naming the problem. */
export function decodeBatchData(data: Uint8Array, maxBody = MAX_BATCH_BODY_BYTES): BatchContent {
  return decodeBatchBody(decompressBatchData(data, maxBody));
}

/** keccak256(data): the header's dataHash, which BatchInbox checks against the calldata. */
export const batchDataHash = (data: Uint8Array): Uint8Array => keccak_256(data);

// ---------- payloads ----------

const q = (v: bigint): Hex => `0x${v.toString(16)}`;
const ZERO32: Hex = `0x${'00'.repeat(32)}`;

/** A block of an L2 payload, as a batch carries it; throws BatchDataError for what v1 cannot carry. */
export function batchBlockOf(p: L2Payload): BatchBlock {
  const n = BigInt(p.blockNumber);
  if (p.withdrawals.length) throw new BatchDataError('an L2 block with withdrawals cannot be batched (this L2 has none)', n);
  return {
    timestamp: BigInt(p.timestamp),
    feeRecipient: p.feeRecipient as Hex,
    prevRandao: p.prevRandao as Hex,
    gasLimit: BigInt(p.gasLimit),
    gasUsed: BigInt(p.gasUsed),
    baseFeePerGas: BigInt(p.baseFeePerGas),
    extraData: p.extraData as Hex,
    stateRoot: p.stateRoot as Hex,
    receiptsRoot: p.receiptsRoot as Hex,
    logsBloom: p.logsBloom as Hex,
    blobGasUsed: BigInt(p.blobGasUsed),
    excessBlobGas: BigInt(p.excessBlobGas),
    blockHash: p.blockHash as Hex,
    transactions: [...(p.transactions as Hex[])],
  };
}

/** The batch of consecutive payloads `ps` (throws BatchDataError if they do not chain). */
export function batchContentOf(ps: L2Payload[]): BatchContent {
  if (!ps.length) throw new BatchDataError('a batch holds at least one L2 block');
  ps.forEach((p, i) => {
    if (i === 0) return;
    const prev = ps[i - 1]!;
    if (BigInt(p.blockNumber) !== BigInt(prev.blockNumber) + 1n || p.parentHash !== prev.blockHash) throw new BatchDataError(`block ${BigInt(p.blockNumber)} does not follow block ${BigInt(prev.blockNumber)} (${prev.blockHash})`, BigInt(p.blockNumber));
  });
  return { parentHash: ps[0]!.parentHash as Hex, firstBlock: BigInt(ps[0]!.blockNumber), blocks: ps.map(batchBlockOf) };
}

/** The execution payload of block `i` of `c` (what engine_newPayloadV3 takes). */
export function payloadOf(c: BatchContent, i: number): L2Payload {
  const b = c.blocks[i]!;
  return {
    parentHash: i === 0 ? c.parentHash : c.blocks[i - 1]!.blockHash,
    feeRecipient: b.feeRecipient,
    stateRoot: b.stateRoot,
    receiptsRoot: b.receiptsRoot,
    logsBloom: b.logsBloom,
    prevRandao: b.prevRandao,
    blockNumber: q(c.firstBlock + BigInt(i)),
    gasLimit: q(b.gasLimit),
    gasUsed: q(b.gasUsed),
    timestamp: q(b.timestamp),
    extraData: b.extraData,
    baseFeePerGas: q(b.baseFeePerGas),
    blockHash: b.blockHash,
    transactions: b.transactions,
    withdrawals: [],
    blobGasUsed: q(b.blobGasUsed),
    excessBlobGas: q(b.excessBlobGas),
  };
}

/** The parent beacon root every block of this L2 carries (engine_newPayloadV3's third parameter). */
export const L2_PARENT_BEACON_ROOT = ZERO32;

/**
 * The first L2 block where `theirs` differs from `ours` (same range assumed), with the field, or
 * undefined when equal: what a sidecar logs when it refuses a batch.
 */
export function firstDifference(ours: BatchContent, theirs: BatchContent): { block: bigint; field: string } | undefined {
  if (ours.firstBlock !== theirs.firstBlock) return { block: theirs.firstBlock, field: 'firstBlock' };
  if (ours.parentHash !== theirs.parentHash) return { block: ours.firstBlock, field: 'parentHash' };
  const n = Math.max(ours.blocks.length, theirs.blocks.length);
  for (let i = 0; i < n; i++) {
    const a = ours.blocks[i];
    const b = theirs.blocks[i];
    const block = ours.firstBlock + BigInt(i);
    if (!a || !b) return { block, field: a ? 'missing block' : 'extra block' };
    for (const f of BLOCK_FIELDS) if (String(a[f]).toLowerCase() !== String(b[f]).toLowerCase()) return { block, field: f };
    if (a.transactions.length !== b.transactions.length) return { block, field: `transactions (${b.transactions.length}, ours ${a.transactions.length})` };
    const k = a.transactions.findIndex((t, j) => t.toLowerCase() !== b.transactions[j]!.toLowerCase());
    if (k >= 0) return { block, field: `transaction ${k}` };
  }
  return undefined;
}

// ---------- reading the L2 ----------

/** Full L2 blocks, as one reader (an L2 RPC, a block store) serves them. */
export interface L2PayloadSource {
  /** Block `n` as an execution payload; throws when it is not available (yet). */
  payload(n: bigint): Promise<L2Payload>;
}

/** The batch of L2 blocks [start, end] read from `l2`, 8 reads in flight. */
export async function readBatchContent(l2: L2PayloadSource, start: bigint, end: bigint): Promise<BatchContent> {
  if (end < start || end - start + 1n > MAX_BATCH_RANGE) throw new BatchDataError(`bad L2 range ${start}..${end}`);
  const n = Number(end - start + 1n);
  const ps: L2Payload[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      ps[i] = await l2.payload(start + BigInt(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, n) }, worker));
  return batchContentOf(ps);
}
