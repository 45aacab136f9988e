// A signed L2 block (issue 12, decision 41): what the elected producer publishes and every other
// validator's node checks before its geth may import the block. The producer signs, with its
// validator key (which is also its Ethereum account, decision 3), the digest
//   keccak256("seqpool/l2-block/v1" || u64 chain id || u64 number || 32-byte block hash)
// as a recoverable secp256k1 signature (65 bytes: r || s || v, v in {0, 1}). The block hash commits
// to every field of the block (geth's newPayload recomputes it and refuses a mismatch), so the
// signature covers the whole block, and the chain id keeps a signature from being replayed on
// another L2. A follower recovers the address and compares it with the producer the pool elected
// for that height in committed state: no key registry is needed beyond the epoch's signer.
//
// On the wire (HTTP between nodes) a block is JSON: { "payload": ExecutionPayloadV3, "signature" }.
// parseSignedL2Block is the only way in: it bounds the size, checks every field's shape and refuses
// a block whose number does not fit 64 bits, before any signature is recovered.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { z } from 'zod';
import { parseTransaction, type Hex } from 'viem';
import { concatBytes, fromHex, toHex, utf8 } from '../common/bytes.js';
import { ethAddress } from './l1-signer.js';

export const L2_BLOCK_DOMAIN = 'seqpool/l2-block/v1';
/**
 * The largest signed block accepted on the wire, in bytes of JSON. A 30M-gas block full of calldata
 * is ~1.9 MB of transactions (16 gas per byte), 3.8 MB as hex: 8 MiB leaves room and bounds what a
 * peer can make a node parse.
 */
export const MAX_SIGNED_L2_BLOCK_BYTES = 8 * 1024 * 1024;

const hexData = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, 'must be 0x-prefixed hex bytes');
const quantity = z.string().regex(/^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,15})$/, 'must be a hex quantity of at most 64 bits');
const bytes = (n: number) => z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${2 * n}}$`), `must be ${n} bytes of hex`);

const WithdrawalSchema = z.object({ index: quantity, validatorIndex: quantity, address: bytes(20), amount: quantity }).strict();

/** ExecutionPayloadV3 as the Engine API carries it (l2/engine.ts uses the same field names). */
export const ExecutionPayloadSchema = z
  .object({
    parentHash: bytes(32),
    feeRecipient: bytes(20),
    stateRoot: bytes(32),
    receiptsRoot: bytes(32),
    logsBloom: bytes(256),
    prevRandao: bytes(32),
    blockNumber: quantity,
    gasLimit: quantity,
    gasUsed: quantity,
    timestamp: quantity,
    extraData: hexData.refine((s) => s.length <= 2 + 64, 'extraData is at most 32 bytes'),
    baseFeePerGas: z.string().regex(/^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,63})$/, 'must be a hex quantity of at most 256 bits'),
    blockHash: bytes(32),
    transactions: z.array(hexData),
    withdrawals: z.array(WithdrawalSchema),
    blobGasUsed: quantity,
    excessBlobGas: quantity,
  })
  .strict();

export type L2Payload = z.output<typeof ExecutionPayloadSchema>;

export interface SignedL2Block {
  payload: L2Payload;
  /** 65 bytes r || s || v (v = 0 or 1), 0x hex. */
  signature: Hex;
}

const SignedL2BlockSchema = z.object({ payload: ExecutionPayloadSchema, signature: bytes(65) }).strict();

export class L2BlockError extends Error {
  override readonly name = 'L2BlockError';
}

const u64 = (v: bigint): Uint8Array => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v);
  return out;
};

/** The digest the producer signs for block `number` with hash `blockHash` on L2 `chainId`. */
export function l2BlockDigest(chainId: bigint, number: bigint, blockHash: Hex): Uint8Array {
  const hash = fromHex(blockHash.slice(2));
  if (hash.length !== 32) throw new L2BlockError(`block hash must be 32 bytes, got ${hash.length}`);
  return keccak_256(concatBytes(utf8(L2_BLOCK_DOMAIN), u64(chainId), u64(number), hash));
}

export const blockNumberOf = (p: Pick<L2Payload, 'blockNumber'>): bigint => BigInt(p.blockNumber);

/** Signs `payload` as the producer holding `privKey` (the validator key). */
export function signL2Block(chainId: bigint, payload: L2Payload, privKey: Uint8Array): SignedL2Block {
  const digest = l2BlockDigest(chainId, blockNumberOf(payload), payload.blockHash as Hex);
  const rec = secp256k1.sign(digest, privKey, { prehash: false, format: 'recovered' }); // v || r || s
  const sig = concatBytes(rec.subarray(1), rec.subarray(0, 1));
  return { payload, signature: `0x${toHex(sig)}` };
}

/** The 20-byte Ethereum address that signed `block` (throws L2BlockError on a bad signature). */
export function l2BlockSigner(chainId: bigint, block: SignedL2Block): Uint8Array {
  const sig = fromHex(block.signature.slice(2));
  const v = sig[64]!;
  if (v > 1) throw new L2BlockError(`signature recovery id must be 0 or 1, got ${v}`);
  const digest = l2BlockDigest(chainId, blockNumberOf(block.payload), block.payload.blockHash as Hex);
  let pub: Uint8Array;
  try {
    pub = secp256k1.recoverPublicKey(concatBytes(Uint8Array.of(v), sig.subarray(0, 64)), digest, { prehash: false });
  } catch (e) {
    throw new L2BlockError(`signature does not recover a key: ${(e as Error).message}`);
  }
  return ethAddress(pub);
}

/** Reads a signed block from untrusted JSON text or bytes; throws L2BlockError naming the problem. */
export function parseSignedL2Block(raw: string | Uint8Array): SignedL2Block {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > MAX_SIGNED_L2_BLOCK_BYTES) throw new L2BlockError(`signed block of ${size} bytes exceeds ${MAX_SIGNED_L2_BLOCK_BYTES}`);
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
  } catch {
    throw new L2BlockError('signed block is not JSON');
  }
  return validateSignedL2Block(json);
}

/** Checks the shape of an already parsed signed block. */
export function validateSignedL2Block(json: unknown): SignedL2Block {
  const r = SignedL2BlockSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new L2BlockError(`signed block: ${i.path.join('.') || '(root)'} ${i.message}`);
  }
  if (blockNumberOf(r.data.payload) === 0n) throw new L2BlockError('block 0 is the genesis; it is never published');
  return { payload: r.data.payload, signature: r.data.signature as Hex };
}

export const encodeSignedL2Block = (b: SignedL2Block): string => JSON.stringify(b);

/**
 * The blob versioned hashes of a block's type-3 transactions, in order: engine_newPayloadV3 refuses a
 * block unless given exactly these, so every importer (follower, restore, verifier) must pass them. A
 * user's blob transaction mined on this L2 would otherwise make every follower refuse the block.
 */
export function blobVersionedHashes(txs: readonly string[]): Hex[] {
  const out: Hex[] = [];
  for (const raw of txs) {
    if (!raw.startsWith('0x03')) continue;
    try {
      out.push(...(parseTransaction(raw as Hex).blobVersionedHashes ?? []));
    } catch {
      // Not a valid blob tx: geth refuses the block as INVALID, which is the right answer.
    }
  }
  return out;
}
