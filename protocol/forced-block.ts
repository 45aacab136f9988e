// Forced blocks (issue 16, decision 46): the L2 blocks that consume forced-inclusion entries, derived
// the same way by the producer that builds them, every sidecar that checks them before signing a
// batch, and the verifier and every node that rebuild an escape-hatch batch from L1.
//
// Upstream geth's Engine API cannot be told which transactions to put in a block (OP's `transactions`
// attribute is not upstream), so a forced block is not built from the txpool: its content is a pure
// function of (parent block, entries, timestamp, fee recipient, prevRandao):
//   - entries are taken in queue order, at most MAX_FORCED_PER_BLOCK, while their gas limits fit the
//     block gas limit (the parent's: a forced block never moves it);
//   - an entry is INVALID, consumed without a transaction, when it is not a signed EIP-1559
//     transaction of this chain (its receipt type must be what eth_simulateV1 assumes), when its gas
//     exceeds the block gas limit, when its sender has code, or when geth's eth_simulateV1 with
//     validation, after the entries kept before it, refuses it with a transaction-validation error
//     (nonce, balance, fee cap below the base fee, intrinsic gas, init code size);
//   - the block holds exactly the valid entries' raw transactions, in order, extraData
//     forcedMarker(first, count), no withdrawals, parent beacon root zero.
// eth_simulateV1 gives the post-state (state and receipts roots, bloom, gas used, base fee); the
// block hash is computed here (protocol/l2-header.ts), so the result can be imported with
// engine_newPayloadV3, where geth executes it again and refuses it if simulation and execution differ.
// An RPC failure that is not a verdict on the transaction throws: nobody decides "invalid" on a
// timeout.
import { keccak256, parseTransaction, recoverTransactionAddress, serializeTransaction, type Hex, type TransactionSerializableEIP1559, type TransactionSerializedEIP1559 } from 'viem';
import type { L2Payload } from './l2-block.js';
import { payloadBlockHash } from './l2-header.js';
import { forcedMarker, MAX_FORCED_PER_BLOCK, MAX_FORCED_TX_BYTES, type ForcedEntry } from './forced-queue.js';

/** What deriving needs of an L2 node: one JSON-RPC call (errors carry the JSON-RPC `code`). */
export interface ForcedBlockRpc {
  call<T>(method: string, params: unknown[]): Promise<T>;
}

export interface ForcedBlockAttrs {
  timestamp: bigint;
  feeRecipient: Hex;
  prevRandao: Hex;
}

export type ForcedVerdict = { index: bigint; valid: true; txHash: Hex } | { index: bigint; valid: false; reason: string };

export interface ForcedBlock {
  payload: L2Payload;
  /** Entries consumed, from the first given (at least 1). */
  consumed: number;
  verdicts: ForcedVerdict[];
}

export class ForcedBlockError extends Error {
  override readonly name = 'ForcedBlockError';
}

const ZERO32: Hex = `0x${'00'.repeat(32)}`;
const hexQ = (v: bigint): Hex => `0x${v.toString(16)}`;
/** secp256k1's group order: geth takes a signature only with r in 1..n-1 and s in 1..n/2 (EIP-2). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
/** eth_simulateV1's transaction-validation error codes (go-ethereum internal/ethapi/errors.go): a
 * verdict on the transaction. -38015 (block gas) cannot occur, since fit is checked before. */
export const INVALID_TX_CODES = new Set([-38010, -38011, -38012, -38013, -38014, -38024, -38025]);

interface ParsedForced {
  raw: Hex;
  from: Hex;
  call: Record<string, unknown>;
  gas: bigint;
}

/** The static half of the rule: why `tx` can never be a valid forced transaction here, or its call. */
export async function parseForcedTx(tx: Hex, chainId: bigint): Promise<ParsedForced | string> {
  if ((tx.length - 2) / 2 > MAX_FORCED_TX_BYTES) return `larger than ${MAX_FORCED_TX_BYTES} bytes`;
  let t: ReturnType<typeof parseTransaction>;
  try {
    t = parseTransaction(tx);
  } catch (e) {
    return `not a signed transaction (${(e as Error).message.split('\n')[0]})`;
  }
  if (t.type !== 'eip1559') return `a ${t.type} transaction; forced transactions are EIP-1559 (type 2)`;
  if (t.chainId === undefined || BigInt(t.chainId) !== chainId) return `for chain ${t.chainId ?? 'none'}, not ${chainId}`;
  if (t.r === undefined || t.s === undefined || t.yParity === undefined) return 'unsigned';
  if (t.gas === undefined || t.maxFeePerGas === undefined || t.maxPriorityFeePerGas === undefined || t.nonce === undefined) return 'missing gas, fee or nonce fields';
  if (t.maxPriorityFeePerGas > t.maxFeePerGas) return 'priority fee above the fee cap';
  // viem reads more than geth takes. An entry kept here that geth cannot decode (an integer with
  // leading zeros), recover (a high-s signature) or even be asked about (a value of 2^256: the RPC
  // refuses the call) would make every node derive a block geth refuses, or no block at all, and
  // the L2 would stop at it for good. So these are verdicts, like any other invalid entry.
  if ((t.value ?? 0n) >= 2n ** 256n) return `value ${t.value} above 2^256 - 1`;
  const [r, s] = [BigInt(t.r), BigInt(t.s)];
  if (r === 0n || r >= SECP256K1_N || s === 0n) return 'signature r or s out of range';
  if (s > SECP256K1_N / 2n) return 'signature s is above secp256k1n/2 (EIP-2: geth refuses it)';
  let canonical: Hex;
  try {
    canonical = serializeTransaction(t as TransactionSerializableEIP1559);
  } catch (e) {
    return `cannot be re-encoded (${(e as Error).message.split('\n')[0]})`;
  }
  if (canonical.toLowerCase() !== tx.toLowerCase()) return 'not canonically encoded (geth decodes only canonical RLP)';
  let from: Hex;
  try {
    from = (await recoverTransactionAddress({ serializedTransaction: tx as TransactionSerializedEIP1559 })).toLowerCase() as Hex;
  } catch (e) {
    return `signature does not recover (${(e as Error).message.split('\n')[0]})`;
  }
  const call: Record<string, unknown> = {
    from,
    gas: hexQ(t.gas),
    maxFeePerGas: hexQ(t.maxFeePerGas),
    maxPriorityFeePerGas: hexQ(t.maxPriorityFeePerGas),
    nonce: hexQ(BigInt(t.nonce)),
    value: hexQ(t.value ?? 0n),
    input: t.data ?? '0x',
    accessList: t.accessList ?? [],
  };
  if (t.to) call.to = t.to;
  return { raw: tx, from, call, gas: t.gas };
}

interface SimBlock {
  stateRoot: Hex;
  receiptsRoot: Hex;
  logsBloom: Hex;
  gasUsed: Hex;
  baseFeePerGas: Hex;
  blobGasUsed?: Hex;
  excessBlobGas?: Hex;
}

interface ParentBlock {
  number: Hex;
  hash: Hex;
  gasLimit: Hex;
  timestamp: Hex;
}

/** The forced block on `parentHash` consuming entries from `entries[0]` (at most `max` of them). */
export async function deriveForcedBlock(rpc: ForcedBlockRpc, chainId: bigint, parentHash: Hex, entries: readonly ForcedEntry[], attrs: ForcedBlockAttrs, max = MAX_FORCED_PER_BLOCK): Promise<ForcedBlock> {
  if (!entries.length) throw new ForcedBlockError('a forced block consumes at least one entry');
  const parent = await rpc.call<ParentBlock | null>('eth_getBlockByHash', [parentHash, false]);
  if (!parent) throw new ForcedBlockError(`the L2 node does not have the parent block ${parentHash}`);
  if (attrs.timestamp <= BigInt(parent.timestamp)) throw new ForcedBlockError(`timestamp ${attrs.timestamp} is not after the parent's ${BigInt(parent.timestamp)}`);
  const gasLimit = BigInt(parent.gasLimit);
  const simulate = (calls: Record<string, unknown>[]) =>
    rpc.call<SimBlock[]>('eth_simulateV1', [
      {
        blockStateCalls: [{ blockOverrides: { number: hexQ(BigInt(parent.number) + 1n), time: hexQ(attrs.timestamp), gasLimit: hexQ(gasLimit), feeRecipient: attrs.feeRecipient, prevRandao: attrs.prevRandao, beaconRoot: ZERO32, withdrawals: [] }, calls }],
        validation: true,
        returnFullTransactions: false,
      },
      parentHash,
    ]);
  const kept: ParsedForced[] = [];
  const verdicts: ForcedVerdict[] = [];
  let gasUsedByKept = 0n;
  let last: SimBlock | undefined;
  for (const e of entries.slice(0, max)) {
    const p = await parseForcedTx(e.tx, chainId);
    if (typeof p === 'string') {
      verdicts.push({ index: e.index, valid: false, reason: p });
      continue;
    }
    if (p.gas > gasLimit) {
      verdicts.push({ index: e.index, valid: false, reason: `gas ${p.gas} above the block gas limit ${gasLimit}` });
      continue;
    }
    if (gasUsedByKept + p.gas > gasLimit) break; // the next forced block takes it
    const code = await rpc.call<Hex>('eth_getCode', [p.from, parentHash]);
    if (code !== '0x') {
      verdicts.push({ index: e.index, valid: false, reason: `sender ${p.from} has code` });
      continue;
    }
    try {
      const [b] = await simulate([...kept.map((k) => k.call), p.call]);
      if (!b) throw new ForcedBlockError('eth_simulateV1 returned no block');
      last = b;
    } catch (err) {
      const c = (err as { code?: unknown }).code;
      if (typeof c === 'number' && INVALID_TX_CODES.has(c)) {
        verdicts.push({ index: e.index, valid: false, reason: (err as Error).message });
        continue;
      }
      throw err;
    }
    kept.push(p);
    gasUsedByKept += p.gas;
    verdicts.push({ index: e.index, valid: true, txHash: keccak256(p.raw) });
  }
  const consumed = verdicts.length;
  if (!consumed) throw new ForcedBlockError('no entry fits a forced block'); // unreachable: the first entry always fits or is invalid
  if (!kept.length) {
    const [b] = await simulate([]);
    if (!b) throw new ForcedBlockError('eth_simulateV1 returned no block');
    last = b;
  }
  const payload: L2Payload = {
    parentHash,
    feeRecipient: attrs.feeRecipient,
    stateRoot: last!.stateRoot,
    receiptsRoot: last!.receiptsRoot,
    logsBloom: last!.logsBloom,
    prevRandao: attrs.prevRandao,
    blockNumber: hexQ(BigInt(parent.number) + 1n),
    gasLimit: hexQ(gasLimit),
    gasUsed: last!.gasUsed,
    timestamp: hexQ(attrs.timestamp),
    extraData: forcedMarker(entries[0]!.index, consumed),
    baseFeePerGas: last!.baseFeePerGas,
    blockHash: ZERO32,
    transactions: kept.map((k) => k.raw),
    withdrawals: [],
    blobGasUsed: last!.blobGasUsed ?? '0x0',
    excessBlobGas: last!.excessBlobGas ?? '0x0',
  };
  payload.blockHash = payloadBlockHash(payload, ZERO32);
  return { payload, consumed, verdicts };
}
