// An L2 block's hash from its Engine API payload (issue 16): keccak256 of the RLP of the Cancun header
// geth builds from an ExecutionPayloadV3 (geth beacon/engine ExecutableDataToBlock). Forced blocks are
// derived by simulating their transactions (eth_simulateV1 gives the execution results) and then
// imported with engine_newPayloadV3, which refuses a payload whose blockHash is not this hash; so the
// hash must be computed here, from nothing but the payload and the parent beacon block root.
//
// The header, in order (integers as minimal big-endian RLP strings, 0 as the empty string):
//   parentHash, ommersHash (keccak256(rlp([]))), coinbase, stateRoot, transactionsRoot, receiptsRoot,
//   logsBloom, difficulty 0, number, gasLimit, gasUsed, timestamp, extraData, mixHash (= prevRandao),
//   nonce (8 zero bytes), baseFeePerGas, withdrawalsRoot, blobGasUsed, excessBlobGas,
//   parentBeaconBlockRoot
// The L2 is Cancun (l2/genesis.ts): no Prague requests hash. The payload's own blockHash is ignored.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { toRlp, type Hex } from 'viem';
import { fromHex, toHex } from '../common/bytes.js';
import type { L2Payload } from './l2-block.js';
import { orderedTrieRoot } from './ordered-trie.js';

/** keccak256(rlp([])): the ommers hash of every post-merge block. */
export const EMPTY_UNCLE_HASH: Hex = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347';

export class L2HeaderError extends Error {
  override readonly name = 'L2HeaderError';
}

const hex = (b: Uint8Array): Hex => `0x${toHex(b)}`;

/** `v` as bytes of exactly `size` (0 = any), or an error naming the field. */
function bytesOf(v: string, size: number, field: string): Uint8Array {
  let b: Uint8Array;
  try {
    b = fromHex(v);
  } catch {
    throw new L2HeaderError(`${field} is not hex: ${JSON.stringify(v.slice(0, 80))}`);
  }
  if (size && b.length !== size) throw new L2HeaderError(`${field} must be ${size} bytes, got ${b.length}`);
  return b;
}

/** A hex quantity as a minimal big-endian integer (0 is the empty string), or an error naming the field. */
function int(v: string, field: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]+$/.test(v)) throw new L2HeaderError(`${field} is not a hex quantity: ${JSON.stringify(v.slice(0, 80))}`);
  const h = BigInt(v).toString(16);
  return h === '0' ? new Uint8Array(0) : fromHex(h.length % 2 ? `0${h}` : h);
}

/** The transactionsRoot of raw transactions (legacy as their RLP, typed as their EIP-2718 envelope). */
export function transactionsRoot(txs: readonly Hex[]): Hex {
  return hex(orderedTrieRoot(txs.map((t, i) => bytesOf(t, 0, `transactions[${i}]`))));
}

/** The withdrawalsRoot: each withdrawal is rlp([index, validatorIndex, address, amount in gwei]). */
export function withdrawalsRoot(ws: L2Payload['withdrawals']): Hex {
  const items = ws.map((w, i) => {
    const f = `withdrawals[${i}]`;
    return toRlp([int(w.index, `${f}.index`), int(w.validatorIndex, `${f}.validatorIndex`), bytesOf(w.address, 20, `${f}.address`), int(w.amount, `${f}.amount`)], 'bytes');
  });
  return hex(orderedTrieRoot(items));
}

/** The RLP of the Cancun header of the block `p` describes. */
export function payloadHeaderRlp(p: L2Payload, parentBeaconBlockRoot: Hex): Uint8Array {
  return toRlp(
    [
      bytesOf(p.parentHash, 32, 'parentHash'),
      fromHex(EMPTY_UNCLE_HASH),
      bytesOf(p.feeRecipient, 20, 'feeRecipient'),
      bytesOf(p.stateRoot, 32, 'stateRoot'),
      fromHex(transactionsRoot(p.transactions as Hex[])),
      bytesOf(p.receiptsRoot, 32, 'receiptsRoot'),
      bytesOf(p.logsBloom, 256, 'logsBloom'),
      new Uint8Array(0), // difficulty
      int(p.blockNumber, 'blockNumber'),
      int(p.gasLimit, 'gasLimit'),
      int(p.gasUsed, 'gasUsed'),
      int(p.timestamp, 'timestamp'),
      bytesOf(p.extraData, 0, 'extraData'),
      bytesOf(p.prevRandao, 32, 'prevRandao'),
      new Uint8Array(8), // nonce
      int(p.baseFeePerGas, 'baseFeePerGas'),
      fromHex(withdrawalsRoot(p.withdrawals)),
      int(p.blobGasUsed, 'blobGasUsed'),
      int(p.excessBlobGas, 'excessBlobGas'),
      bytesOf(parentBeaconBlockRoot, 32, 'parentBeaconBlockRoot'),
    ],
    'bytes',
  );
}

/**
 * The hash geth gives the block `p` describes, imported with `parentBeaconBlockRoot` (ZERO_HASH on
 * this L2, l2/driver.ts): what `p.blockHash` must be for engine_newPayloadV3 to accept it.
 */
export function payloadBlockHash(p: L2Payload, parentBeaconBlockRoot: Hex): Hex {
  return hex(keccak_256(payloadHeaderRlp(p, parentBeaconBlockRoot)));
}
