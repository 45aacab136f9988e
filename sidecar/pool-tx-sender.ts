// The sidecar's transactions to the pool, in lane 1 (docs/pool.md): signed with the validator key, nonce =
// the sequencer record's sidecarNonce + 1, tracked locally so several txs can be in the mempool at
// once, resynced when the app answers BAD_NONCE (code 6). Sends are serialised.
import { toHex } from '../common/bytes.js';
import type { Logger } from '../common/log.js';
import { pubKeyToAddress, publicKeyOf } from '../common/secp.js';
import { Lane, signTx } from '../protocol/tx.js';
import type { TxBody } from '../proto/seqpool.js';
import { TxCode } from '../protocol/codes.js';
import type { BroadcastResult } from '../protocol/comet-rpc.js';
import type { ChainClient } from './chain.js';
import { decodeValidator } from './chain-view.js';


export type SidecarMsg = Omit<TxBody, 'chainId' | 'signer' | 'nonce' | 'lane'>;

export class PoolTxSender {
  readonly #chain: ChainClient;
  readonly #privKey: Uint8Array;
  readonly #pubKey: Uint8Array;
  readonly #address: string;
  readonly #log: Logger;
  #chainId: string | undefined;
  #next: bigint | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(chain: ChainClient, privKey: Uint8Array, logger: Logger) {
    this.#chain = chain;
    this.#privKey = privKey;
    this.#pubKey = publicKeyOf(privKey);
    this.#address = toHex(pubKeyToAddress(this.#pubKey)).toUpperCase();
    this.#log = logger;
  }

  get address(): string {
    return this.#address;
  }

  /** The node's chain id (read once): what every tx and BindPeer's proof are bound to. */
  async chainId(): Promise<string> {
    this.#chainId ??= (await this.#chain.status()).chainId;
    return this.#chainId;
  }

  /** Signs and broadcasts one message; resolves with the CheckTx result (never throws for a rejection). */
  send(msg: SidecarMsg, what: string): Promise<BroadcastResult> {
    const run = this.#queue.then(() => this.#send(msg, what));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #committedNext(): Promise<bigint> {
    const a = await this.#chain.query(`/validator/${this.#address}`);
    if (!a) throw new Error(`this validator (${this.#address}) is not a sequencer of the pool: the sidecar can only send txs for a registered sequencer`);
    return decodeValidator(a.value).sidecarNonce + 1n;
  }

  async #send(msg: SidecarMsg, what: string): Promise<BroadcastResult> {
    const chainId = await this.chainId();
    this.#next ??= await this.#committedNext();
    let r: BroadcastResult = { code: -1, log: 'not sent', hash: '' };
    for (let attempt = 0; attempt < 3; attempt++) {
      const nonce = this.#next;
      const tx = signTx(this.#privKey, { chainId, signer: this.#pubKey, nonce, lane: Lane.SIDECAR, ...msg });
      r = await this.#chain.broadcastTx(tx);
      if (r.code === 0) {
        this.#next = nonce + 1n;
        this.#log.debug({ tx: what, nonce: nonce.toString(), hash: r.hash }, 'tx sent');
        return r;
      }
      if (r.code !== TxCode.BAD_NONCE) break;
      // The app's log says which nonce it expects (committed + this node's mempool); else re-read state.
      const m = /expects (\d+)/.exec(r.log);
      this.#next = m ? BigInt(m[1]!) : await this.#committedNext();
      this.#log.info({ tx: what, tried: nonce.toString(), next: this.#next.toString() }, 'nonce resynced');
    }
    this.#log.warn({ tx: what, code: r.code, log: r.log }, 'tx rejected by CheckTx');
    return r;
  }
}
