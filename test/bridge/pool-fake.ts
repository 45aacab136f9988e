// Stand-ins for the app's committed state (abci_query answers, docs/pool.md shapes) and for a validator
// key, for the batcher, submitter and relayer tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { encodeAbiParameters, keccak256, type Hex } from 'viem';
import { BATCH_HEADER_ABI } from '../../protocol/signed-payloads.js';
import { QueryCode } from '../../protocol/codes.js';
import { toHex } from '../../common/bytes.js';
import { pubKeyToAddress, publicKeyOf } from '../../common/secp.js';
import { l1Digest, type KeyShare } from '../../mpc/index.js';
import { thresholdSign } from '../../bench/mpc-dealer.js';
import { PoolView, type PoolQuery } from '../../bridge/index.js';
import { ethAddressOf } from '../../protocol/l1-signer.js';
import { fromHex } from '../../common/bytes.js';

/** Paths -> JSON answers; anything else is NOT_FOUND. Tests edit `answers` as blocks would commit. */
export class FakePool {
  readonly answers = new Map<string, unknown>();
  readonly asked: string[] = [];
  readonly query: PoolQuery = async (path) => {
    this.asked.push(path);
    if (!this.answers.has(path)) return { code: QueryCode.NOT_FOUND, value: new Uint8Array(), log: `no record at ${path}` };
    return { code: QueryCode.OK, value: new TextEncoder().encode(JSON.stringify(this.answers.get(path))) };
  };
  readonly view = new PoolView(this.query);
  set(path: string, value: unknown): void {
    this.answers.set(path, value);
  }
}

export interface TestValidator {
  privKey: Uint8Array;
  privHex: Hex;
  pubKey: Uint8Array;
  /** CometBFT address, upper hex. */
  address: string;
  /** Ethereum address, 0x lower hex. */
  eth: Hex;
}

export function testValidator(): TestValidator {
  for (;;) {
    const privKey = randomBytes(32);
    try {
      const pubKey = publicKeyOf(privKey);
      return { privKey, privHex: `0x${toHex(privKey)}`, pubKey, address: toHex(pubKeyToAddress(pubKey)).toUpperCase(), eth: ethAddressOf(privKey) };
    } catch {
      /* out of range scalar: draw again */
    }
  }
}


/** A SignRequest JSON signed by the dealer key, as /sign/{id} answers once SIGNED. */
export function signedRequest(shares: KeyShare[], r: { id: bigint; purpose: string; chainId: number; verifier: Hex; payload: Hex; batchIndex?: bigint; epochId?: bigint }): Record<string, unknown> {
  const digest = l1Digest({ chainId: BigInt(r.chainId), verifier: fromHex(r.verifier), purpose: r.purpose, payload: fromHex(r.payload) });
  const sig = thresholdSign(shares, digest)!;
  return {
    id: r.id.toString(),
    purpose: r.purpose,
    chainId: r.chainId.toString(),
    verifier: r.verifier.toLowerCase(),
    payload: r.payload,
    digest: `0x${toHex(digest)}`,
    status: 'signed',
    signature: `0x${toHex(sig)}`,
    createdHeight: '5',
    createdTime: '1700000000',
    deadlineTime: '1700000060',
    batchIndex: (r.batchIndex ?? 0n).toString(),
    epochId: (r.epochId ?? 0n).toString(),
    signedHeight: '7',
  };
}

/** A BatchHeader with hex fields, as the pool's JSON answers carry them. */
export interface HexHeader {
  batchIndex: bigint;
  prevBatchHash: Hex;
  l2StartBlock: bigint;
  l2EndBlock: bigint;
  dataHash: Hex;
  producer: Hex;
  forcedCursor: bigint;
  forcedChainHash: Hex;
}
/** A header's forced fields when its batch consumes no forced-inclusion entry. */
export const NO_FORCED = { forcedCursor: 0n, forcedChainHash: `0x${'00'.repeat(32)}` as Hex } as const;
export const encodeHeader = (h: HexHeader): Hex => encodeAbiParameters(BATCH_HEADER_ABI, [h]);
export const hexHeaderHash = (h: HexHeader): Hex => keccak256(encodeHeader(h));

export function tempDir(prefix = 'seqpool-bridge-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
