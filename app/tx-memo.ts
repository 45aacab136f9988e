// Decoded, signature-checked txs by the SHA-256 of their bytes. CometBFT hands the app the same bytes
// in CheckTx, in ReCheckTx after every block and in FinalizeBlock; decoding a tx and checking its
// signature cost ~0.5 ms, so each tx is decoded and verified once per node (decision 11).
//
// Nothing an unauthenticated client sends can grow it: only a tx whose signer is a sequencer of the
// pool and whose signature verified is stored (junk from strangers is decoded and refused every time,
// and costs no memory), and the memo is bounded in bytes, oldest entries out first. (The memo it
// replaces stored every tx before looking at its signer: 20,000 junk txs of 60 KB took a node's app
// to 3.7 GB.) A miss only costs a decode and a check again; results never depend on the memo.
import { createHash } from 'node:crypto';
import type { TxBody } from '../proto/seqpool.js';
import type { TxKind } from './tx-limits.js';

/** What a tx's bytes alone say, once its signature verified. */
export interface VerifiedTx {
  kind: TxKind;
  body: TxBody;
  /** CometBFT address of the signer key. */
  address: Uint8Array;
}

/** A decoded body holds about as many bytes as the tx, plus object overhead; counted generously. */
const entryCost = (raw: Uint8Array): number => 2 * raw.length + 512;

const DEFAULT_TX_MEMO_BYTES = 32 * 1024 * 1024;

export class VerifiedTxMemo {
  private readonly entries = new Map<string, { tx: VerifiedTx; cost: number }>();
  private used = 0;

  constructor(readonly maxBytes = DEFAULT_TX_MEMO_BYTES) {}

  /** Bytes the stored entries are counted as (always <= maxBytes). */
  get bytes(): number {
    return this.used;
  }
  get size(): number {
    return this.entries.size;
  }

  static key(raw: Uint8Array): string {
    return createHash('sha256').update(raw).digest('base64');
  }

  get(key: string): VerifiedTx | undefined {
    return this.entries.get(key)?.tx;
  }

  /** Stores a tx whose signer is a sequencer and whose signature verified (the caller checked both). */
  put(key: string, raw: Uint8Array, tx: VerifiedTx): void {
    const cost = entryCost(raw);
    if (cost > this.maxBytes || this.entries.has(key)) return;
    while (this.used + cost > this.maxBytes) {
      const [oldest, e] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.used -= e.cost;
    }
    this.entries.set(key, { tx, cost });
    this.used += cost;
  }
}
