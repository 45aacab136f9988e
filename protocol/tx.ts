// A seqpool transaction as every sender and the app agree on it (docs/queries.md "Transactions"):
// Tx{ body: TxBody bytes, signature }, signed by a sequencer's validator key (decision 3) over
// "seqpool/tx/v1" || body, with a nonce per lane. A validator's node and its sidecar sign with the
// same key but count nonces apart, so neither has to wait for the other's txs: lane 0 is the node's
// (RequestBatchSignature), lane 1 the sidecar's (MpcPublic, SubmitSignature, ReportSigningCheater,
// BindPeer); Sequencer.nonce and Sequencer.sidecar_nonce hold the last nonce each used.
import { concatBytes, utf8 } from '../common/bytes.js';
import { sign } from '../common/secp.js';
import { TxBodyCodec, TxCodec, type TxBody } from '../proto/seqpool.js';

const TX_DOMAIN = utf8('seqpool/tx/v1');

/** The nonce lanes of a validator's key. */
export const Lane = { NODE: 0, SIDECAR: 1 } as const;
export const MAX_LANE = Lane.SIDECAR;

/** The bytes a tx's signature covers. */
export const txSignBytes = (body: Uint8Array): Uint8Array => concatBytes(TX_DOMAIN, body);

/** Build and sign a transaction (client side). */
export function signTx(privKey: Uint8Array, body: TxBody): Uint8Array {
  const bodyBytes = TxBodyCodec.encode(body);
  return TxCodec.encode({ body: bodyBytes, signature: sign(privKey, txSignBytes(bodyBytes)) });
}
