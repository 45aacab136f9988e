// Transactions: signed by a sequencer's validator key (decision 3) with a per-signer sequential nonce
// against replay. The same checks run in CheckTx (against committed state plus this node's mempool)
// and again in FinalizeBlock (against the block being built), so a byzantine proposer's bad tx fails
// there with the same code instead of corrupting state.
import { concatBytes, toHex, utf8 } from '../common/bytes.js';
import { pubKeyToAddress, sign } from '../common/secp.js';
import { TxBodyCodec, TxCodec, type BindPeer, type Params, type Sequencer, type TxBody } from '../proto/seqpool.js';
import { TxCode } from './codes.js';
import { isInjected } from './vote-extensions.js';

const TX_DOMAIN = utf8('seqpool/tx/v1');

export const txSignBytes = (body: Uint8Array): Uint8Array => concatBytes(TX_DOMAIN, body);

/** Build and sign a transaction (client side). */
export function signTx(privKey: Uint8Array, body: TxBody): Uint8Array {
  const bodyBytes = TxBodyCodec.encode(body);
  return TxCodec.encode({ body: bodyBytes, signature: sign(privKey, txSignBytes(bodyBytes)) });
}

export interface TxView {
  chainId: string;
  params: Params;
  sequencer(address: Uint8Array): Sequencer | undefined;
  /** The nonce the signer's next tx must carry. */
  expectedNonce(s: Sequencer): bigint;
  peerOwner(peerId: string): string | undefined;
  /** Signature check; the app passes a cache so a tx is verified once across CheckTx, recheck and
   * FinalizeBlock (one check costs ~0.36 ms through OpenSSL on the benchmark machine). */
  verify(pubKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

export type CheckedTx =
  | { code: typeof TxCode.OK; body: TxBody; sequencer: Sequencer }
  | { code: Exclude<TxCode, 0>; log: string };

const fail = (code: Exclude<TxCode, 0>, log: string): CheckedTx => ({ code, log });

/** Every check a tx must pass before it may change state. Deterministic, never throws. */
export function checkTx(raw: Uint8Array, view: TxView): CheckedTx {
  if (raw.length > view.params.maxTxBytes) return fail(TxCode.TOO_LARGE, `tx of ${raw.length} bytes exceeds max_tx_bytes ${view.params.maxTxBytes}`);
  if (isInjected(raw)) return fail(TxCode.RESERVED, 'tx starts with the prefix reserved for injected vote extensions');
  let body: TxBody;
  let signature: Uint8Array;
  let bodyBytes: Uint8Array;
  try {
    ({ body: bodyBytes, signature } = TxCodec.decode(raw));
    body = TxBodyCodec.decode(bodyBytes);
  } catch (e) {
    return fail(TxCode.MALFORMED, `not a seqpool tx: ${(e as Error).message}`);
  }
  if (signature.length === 0) return fail(TxCode.BAD_SIGNATURE, 'tx is unsigned');
  if (body.signer.length !== 33) return fail(TxCode.MALFORMED, 'signer must be a 33-byte compressed secp256k1 key');
  if (body.chainId !== view.chainId) return fail(TxCode.WRONG_CHAIN, `tx for chain ${JSON.stringify(body.chainId)}, this is ${JSON.stringify(view.chainId)}`);
  const address = pubKeyToAddress(body.signer);
  const sequencer = view.sequencer(address);
  if (!sequencer) return fail(TxCode.UNKNOWN_SIGNER, `signer ${toHex(address).toUpperCase()} is not a sequencer of this pool`);
  if (!view.verify(body.signer, txSignBytes(bodyBytes), signature)) return fail(TxCode.BAD_SIGNATURE, 'signature does not verify (64-byte low-S r||s over sha256("seqpool/tx/v1" || body))');
  const expected = view.expectedNonce(sequencer);
  if (body.nonce !== expected) {
    const what = body.nonce < expected ? 'replayed or stale' : 'out of order';
    return fail(TxCode.BAD_NONCE, `${what} nonce ${body.nonce}: signer ${toHex(address).toUpperCase()} expects ${expected}`);
  }
  if (body.bindPeer) {
    const problem = bindPeerProblem(body.bindPeer, toHex(address), view);
    return problem ? fail(TxCode.INVALID_MESSAGE, problem) : { code: TxCode.OK, body, sequencer };
  }
  return fail(TxCode.UNKNOWN_MESSAGE, 'tx body carries no known message');
}

// A libp2p peer id in its base58btc form (Ed25519 "12D3KooW…", secp256k1 "16Uiu2…", RSA "Qm…").
const PEER_ID = /^(12D3KooW|16Uiu2|Qm)[1-9A-HJ-NP-Za-km-z]{30,120}$/;
const MULTIADDR = /^\/(ip4|ip6|dns|dns4|dns6)\/[\x21-\x7e]{1,250}$/;
export const MAX_PEER_ADDRS = 8;

function bindPeerProblem(msg: BindPeer, addressHex: string, view: TxView): string | undefined {
  if (!PEER_ID.test(msg.peerId)) return `peer_id ${JSON.stringify(msg.peerId.slice(0, 80))} is not a base58btc libp2p peer id`;
  if (msg.addrs.length === 0 || msg.addrs.length > MAX_PEER_ADDRS) return `addrs must hold 1 to ${MAX_PEER_ADDRS} multiaddrs, got ${msg.addrs.length}`;
  for (const a of msg.addrs) if (!MULTIADDR.test(a)) return `addr ${JSON.stringify(a.slice(0, 80))} is not an /ip4, /ip6 or /dns multiaddr`;
  if (new Set(msg.addrs).size !== msg.addrs.length) return 'addrs repeat an address';
  const owner = view.peerOwner(msg.peerId);
  if (owner !== undefined && owner !== addressHex) return `peer_id is already bound to sequencer ${owner.toUpperCase()}`;
  return undefined;
}
