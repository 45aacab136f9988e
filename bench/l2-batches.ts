// bench:l2's batch figures (issue 13): what the batches that carried the load cost on L1, and what the
// same L2 blocks would cost in two other formats, computed from the same transactions in the same run:
//   - Metis CTC style: every transaction uncompressed in calldata, each block with a small context
//     (timestamp, number, tx count) and each tx with a 3-byte length, as CanonicalTransactionChain's
//     appendSequencerBatch takes them;
//   - OP Stack style: a channel of singular batches rlp([parentHash, epochNumber, epochHash, timestamp,
//     [tx...]]) compressed as one stream (zlib as in Bedrock, brotli as since Fjord), one frame per
//     L1 transaction (16-byte channel id, 2-byte frame number, 4-byte length, 1-byte is_last, and the
//     version byte) sent to a batch inbox address: no contract runs.
// Our cost is measured (the receipts' gasUsed). For the three formats side by side the same L1 cost
// model is applied to each payload: 21,000 per transaction plus calldata priced under EIP-7623 (Prague:
// the larger of 4/16 gas per zero/non-zero byte plus execution, and 10/40 per byte), with our measured
// appendBatch execution added to ours only.
import { brotliCompressSync, deflateSync, constants as zc } from 'node:zlib';
import { toRlp, type Hex } from 'viem';
import { decodeBatchData, decompressBatchData } from '../protocol/batch-data.js';

/** One batch of the load as L1 holds it. */
export interface L1Batch {
  data: Uint8Array;
  /** The whole appendBatch calldata (selector, header, data, signature). */
  input: Uint8Array;
  /** gasUsed of its appendBatch transaction. */
  gasUsed: bigint;
  /** Transactions in its L2 blocks, and the blocks. */
  l2Txs: number;
  l2Blocks: number;
  /** Raw transaction bytes in its L2 blocks. */
  txBytes: number;
}

export function l1Batch(data: Uint8Array, input: Uint8Array, gasUsed: bigint): L1Batch {
  const c = decodeBatchData(data);
  const txs = c.blocks.flatMap((b) => b.transactions);
  return { data, input, gasUsed, l2Txs: txs.length, l2Blocks: c.blocks.length, txBytes: txs.reduce((n, t) => n + (t.length - 2) / 2, 0) };
}

/** Calldata tokens (EIP-7623): a zero byte is 1, any other 4. */
export function tokens(b: Uint8Array): number {
  let t = 0;
  for (const x of b) t += x === 0 ? 1 : 4;
  return t;
}

/** L1 gas of one transaction carrying `calldata` with `execution` gas of contract work (Prague pricing). */
export function txGas(calldata: Uint8Array, execution = 0): number {
  const t = tokens(calldata);
  return Math.max(21_000 + 4 * t + execution, 21_000 + 10 * t);
}

const u = (v: bigint | number, bytes: number): Uint8Array => {
  const out = new Uint8Array(bytes);
  let x = BigInt(v);
  for (let i = bytes - 1; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
};
const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
};
const hexBytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.slice(2), 'hex'));

/** Metis CTC style calldata for one batch's blocks: contexts then length-prefixed raw txs. */
export function ctcCalldata(data: Uint8Array): Uint8Array {
  const c = decodeBatchData(data);
  const parts: Uint8Array[] = [u(0, 4), u(c.firstBlock, 5), u(c.blocks.length, 3)]; // selector, start, contexts
  c.blocks.forEach((b, i) => parts.push(u(b.transactions.length, 3), u(b.timestamp, 5), u(c.firstBlock + BigInt(i), 5)));
  for (const b of c.blocks) for (const t of b.transactions) parts.push(u((t.length - 2) / 2, 3), hexBytes(t));
  return concat(parts);
}

/** OP Stack style channel frames for the same blocks: `compress` over the singular batches. */
export function opFrame(data: Uint8Array, compress: 'zlib' | 'brotli'): Uint8Array {
  const c = decodeBatchData(data);
  const epochHash = `0x${'ee'.repeat(32)}` as Hex; // the L1 origin: one per batch here, as on a busy chain
  const batches = c.blocks.map((b, i) =>
    hexBytes(toRlp([i === 0 ? c.parentHash : c.blocks[i - 1]!.blockHash, '0x01', epochHash, `0x${b.timestamp.toString(16)}`, b.transactions])),
  );
  // Each singular batch is a typed batch (0x00 || rlp) inside an rlp string in the channel.
  const channel = concat(batches.map((b) => hexBytes(toRlp(`0x00${Buffer.from(b).toString('hex')}`))));
  const body = compress === 'zlib' ? deflateSync(channel, { level: 9 }) : concat([Uint8Array.of(1), brotliCompressSync(channel, { params: { [zc.BROTLI_PARAM_QUALITY]: 11 } })]);
  return concat([Uint8Array.of(0), new Uint8Array(16).fill(0xc1), u(0, 2), u(body.length, 4), body, Uint8Array.of(1)]);
}

export interface BatchFigures {
  batches: number;
  l2Blocks: number;
  l2Txs: number;
  /** Measured: total gasUsed over L2 txs and L2 blocks. */
  gasPerTx: number;
  gasPerBlock: number;
  /** What a batch pays beyond its data at the calldata floor (21,000, the header, the signature and
   * any execution the floor does not hide), per L2 block: the part batching amortises. */
  fixedPerBlock: number;
  /** appendBatch's execution as measured (0 when every batch paid the calldata floor). */
  execution: number;
  /** Raw tx bytes over data bytes; uncompressed body over data bytes. */
  txRatio: number;
  bodyRatio: number;
  /** Same cost model for the three formats, gas per L2 tx. */
  model: { ours: number; ctc: number; opZlib: number; opBrotli: number };
}

export function batchFigures(batches: L1Batch[]): BatchFigures {
  const sum = (f: (b: L1Batch) => number) => batches.reduce((n, b) => n + f(b), 0);
  const txs = sum((b) => b.l2Txs);
  const blocks = sum((b) => b.l2Blocks);
  const gas = sum((b) => Number(b.gasUsed));
  // appendBatch's own execution (signature check, storage, keccak over the data), from receipts that
  // paid standard pricing (gasUsed = 21,000 + 4 per token + execution); under the floor it is hidden.
  const standard = batches.filter((b) => Number(b.gasUsed) > 21_000 + 10 * tokens(b.input)).map((b) => Number(b.gasUsed) - 21_000 - 4 * tokens(b.input));
  const execution = standard.length ? Math.min(...standard) : 0;
  const modelOurs = sum((b) => txGas(b.input, execution));
  return {
    batches: batches.length,
    l2Blocks: blocks,
    l2Txs: txs,
    gasPerTx: gas / Math.max(1, txs),
    gasPerBlock: gas / Math.max(1, blocks),
    fixedPerBlock: sum((b) => Number(b.gasUsed) - 10 * tokens(b.data)) / Math.max(1, blocks),
    execution,
    txRatio: sum((b) => b.txBytes) / sum((b) => b.data.length),
    bodyRatio: sum((b) => decompressBatchData(b.data).length) / sum((b) => b.data.length),
    model: {
      ours: modelOurs / Math.max(1, txs),
      ctc: sum((b) => txGas(ctcCalldata(b.data), execution)) / Math.max(1, txs),
      opZlib: sum((b) => txGas(opFrame(b.data, 'zlib'))) / Math.max(1, txs),
      opBrotli: sum((b) => txGas(opFrame(b.data, 'brotli'))) / Math.max(1, txs),
    },
  };
}
