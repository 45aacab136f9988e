// Transactions: signed by a sequencer's validator key (decision 3) with a per-signer sequential nonce
// against replay. The same checks run in CheckTx (against committed state plus this node's mempool)
// and again in FinalizeBlock (against the block being built), so a byzantine proposer's bad tx fails
// there with the same code instead of corrupting state.
import { fromHex, toHex } from '../common/bytes.js';
import { pubKeyToAddress } from '../common/secp.js';
import { SequencerStatus, TxBodyCodec, type BindPeer, type Params, type Sequencer, type TxBody } from '../proto/seqpool.js';
import { TxCode } from '../protocol/codes.js';
import { Lane, MAX_LANE, txSignBytes } from '../protocol/tx.js';
import { ED25519_PEER_ID, peerProofProblem } from '../protocol/peer-proof.js';
import { isInjected } from './vote-extensions.js';
import { maxTxBytesOf, shallowTx, type TxKind } from './tx-limits.js';
import { VerifiedTxMemo, type VerifiedTx } from './tx-memo.js';

export interface TxView {
  chainId: string;
  params: Params;
  /** The signer's record in any status (active, unlocking, exited), or undefined. */
  sequencer(address: Uint8Array): Sequencer | undefined;
  /** The nonce the signer's next tx in `lane` (0 node, 1 sidecar) must carry. */
  expectedNonce(s: Sequencer, lane: number): bigint;
  /** Why a pool message (MpcPublic, RequestBatchSignature, SubmitSignature, ReportSigningCheater)
   * must be rejected against this view's state, or undefined. */
  messageProblem(body: TxBody, s: Sequencer): string | undefined;
  peerOwner(peerId: string): string | undefined;
  /** An upper bound on the members of any committee or MPC session (the largest valid MPC message
   * grows with it: app/tx-limits.ts). */
  parties: number;
  /** Decoded, signature-checked txs (app/tx-memo.ts): CometBFT asks about the same bytes in CheckTx,
   * ReCheckTx and FinalizeBlock. Holds only what the bytes alone decide; every state check runs
   * again on a hit. */
  memo?: VerifiedTxMemo;
  verify(pubKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** What a tx's bytes alone say: its kind, body, signer's address, the bytes its signature covers. */
export interface DecodedTx extends VerifiedTx {
  signBytes: Uint8Array;
  signature: Uint8Array;
}
export interface CheckFailure {
  code: Exclude<TxCode, 0>;
  log: string;
}

/**
 * The stateless part of checkTx: size, reserved prefix, the kind of message and the largest valid
 * tx of that kind (both read without decoding the body), then the encoding and the signer key.
 * `parties` bounds the committee (TxView.parties).
 */
export function decodeTx(raw: Uint8Array, limits: TxSizeParams, parties: number): DecodedTx | CheckFailure {
  const { maxTxBytes } = limits;
  if (raw.length > maxTxBytes) return { code: TxCode.TOO_LARGE, log: `tx of ${raw.length} bytes exceeds max_tx_bytes ${maxTxBytes}` };
  if (isInjected(raw)) return { code: TxCode.RESERVED, log: 'tx starts with the prefix reserved for injected vote extensions' };
  const shallow = shallowTx(raw);
  if ('problem' in shallow) return { code: TxCode.MALFORMED, log: `not a seqpool tx: ${shallow.problem}` };
  if (!shallow.kind) return { code: TxCode.UNKNOWN_MESSAGE, log: 'tx body carries no known message' };
  const tooLarge = kindSizeProblem(shallow.kind, raw.length, parties, limits.maxBatchBytes);
  if (tooLarge) return tooLarge;
  let body: TxBody;
  const { signature, bodyBytes } = shallow;
  try {
    body = TxBodyCodec.decode(bodyBytes);
  } catch (e) {
    return { code: TxCode.MALFORMED, log: `not a seqpool tx: ${(e as Error).message}` };
  }
  if (signature.length === 0) return { code: TxCode.BAD_SIGNATURE, log: 'tx is unsigned' };
  if (body.signer.length !== 33) return { code: TxCode.MALFORMED, log: 'signer must be a 33-byte compressed secp256k1 key' };
  if ((body.lane ?? 0) > MAX_LANE) return { code: TxCode.MALFORMED, log: `lane ${body.lane} does not exist: 0 is the node's, 1 the sidecar's` };
  return { kind: shallow.kind, body, address: pubKeyToAddress(body.signer), signBytes: txSignBytes(bodyBytes), signature };
}

/** The params that bound a tx's size. */
export type TxSizeParams = Pick<Params, 'maxTxBytes' | 'maxBatchBytes'>;

function kindSizeProblem(kind: TxKind, size: number, parties: number, maxBatchBytes: number): CheckFailure | undefined {
  const max = maxTxBytesOf(kind, parties, maxBatchBytes);
  return size > max ? { code: TxCode.TOO_LARGE, log: `a ${kind} tx of ${size} bytes exceeds the largest valid one (${max} bytes with ${parties} sequencers)` } : undefined;
}

/** The last committed nonce of a signer's lane. */
export const laneNonce = (s: Sequencer, lane: number): bigint => (lane === Lane.SIDECAR ? (s.sidecarNonce ?? 0n) : s.nonce);

export type CheckedTx =
  | { code: typeof TxCode.OK; body: TxBody; sequencer: Sequencer; lane: number }
  | { code: Exclude<TxCode, 0>; log: string };

const fail = (code: Exclude<TxCode, 0>, log: string): CheckedTx => ({ code, log });

/** The chain, and whether the signer may send this tx at all (checked before its signature). */
function signerProblem({ body, address }: VerifiedTx, view: TxView): CheckFailure | undefined {
  if (body.chainId !== view.chainId) return { code: TxCode.WRONG_CHAIN, log: `tx for chain ${JSON.stringify(body.chainId)}, this is ${JSON.stringify(view.chainId)}` };
  const sequencer = view.sequencer(address);
  if (!sequencer) return { code: TxCode.UNKNOWN_SIGNER, log: `signer ${toHex(address).toUpperCase()} is not a sequencer of this pool` };
  const inactive = inactiveSignerProblem(sequencer, body, address);
  return inactive ? { code: TxCode.UNKNOWN_SIGNER, log: inactive } : undefined;
}

/**
 * Every check a tx must pass before it may change state. Deterministic, never throws. A stranger's
 * tx is refused before its signature is checked, and only a verified tx of a sequencer is memoised.
 */
export function checkTx(raw: Uint8Array, view: TxView): CheckedTx {
  const key = VerifiedTxMemo.key(raw);
  const hit = view.memo?.get(key);
  let tx: VerifiedTx;
  if (hit) {
    // The bytes decided the decoding and the signature; the size limit depends on state: again.
    const tooLarge = kindSizeProblem(hit.kind, raw.length, view.parties, view.params.maxBatchBytes);
    if (tooLarge) return tooLarge;
    tx = hit;
  } else {
    const decoded = decodeTx(raw, view.params, view.parties);
    if ('code' in decoded) return decoded;
    const stateProblem = signerProblem(decoded, view);
    if (stateProblem) return stateProblem;
    if (!view.verify(decoded.body.signer, decoded.signBytes, decoded.signature)) return fail(TxCode.BAD_SIGNATURE, 'signature does not verify (64-byte low-S r||s over sha256("seqpool/tx/v1" || body))');
    tx = { kind: decoded.kind, body: decoded.body, address: decoded.address };
    view.memo?.put(key, raw, tx);
  }
  const { body, address } = tx;
  const problem = signerProblem(tx, view);
  if (problem) return problem;
  const sequencer = view.sequencer(address)!;
  const lane = body.lane ?? 0;
  const expected = view.expectedNonce(sequencer, lane);
  if (body.nonce !== expected) {
    const what = body.nonce < expected ? 'replayed or stale' : 'out of order';
    return fail(TxCode.BAD_NONCE, `${what} nonce ${body.nonce}: signer ${toHex(address).toUpperCase()} expects ${expected} in lane ${lane}`);
  }
  if (body.bindPeer) {
    const problem = bindPeerProblem(body.bindPeer, toHex(address), view);
    return problem ? fail(TxCode.INVALID_MESSAGE, problem) : { code: TxCode.OK, body, sequencer, lane };
  }
  if (body.mpcPublic || body.requestBatch || body.submitSignature || body.reportCheater) {
    const problem = view.messageProblem(body, sequencer);
    return problem ? fail(TxCode.INVALID_MESSAGE, problem) : { code: TxCode.OK, body, sequencer, lane };
  }
  return fail(TxCode.UNKNOWN_MESSAGE, 'tx body carries no known message');
}

/**
 * Only active sequencers act for the pool, with one exception: a share of the current key outlives
 * its holder's stake until the reshare that removes it completes (at the next epoch boundary and
 * after). Until then an unlocking or exited holder still deals in that reshare and still takes part
 * in signing, so MPC messages, signatures and cheater reports (each judged on its own merits: session
 * membership, a signature that verifies, evidence) are accepted from it. Everything else is not.
 */
function inactiveSignerProblem(s: Sequencer, body: TxBody, address: Uint8Array): string | undefined {
  const status = s.status ?? SequencerStatus.ACTIVE;
  if (status === SequencerStatus.ACTIVE) return undefined;
  if (body.mpcPublic || body.submitSignature || body.reportCheater) return undefined;
  const what = status === SequencerStatus.UNLOCKING ? 'is unlocking' : 'has exited';
  return `signer ${toHex(address).toUpperCase()} ${what}: it may only send MPC messages and signatures for the key it still holds`;
}

// Peer ids are Ed25519 libp2p ids ("12D3KooW…") whose key signs a proof of possession
// (protocol/peer-proof.ts, decision 29).
const MULTIADDR = /^\/(ip4|ip6|dns|dns4|dns6)\/[\x21-\x7e]{1,250}$/;
const MAX_PEER_ADDRS = 8;

/** Cheap checks first; the proof's Ed25519 verification (~1.2 ms, memoised) last. */
function bindPeerProblem(msg: BindPeer, addressHex: string, view: TxView): string | undefined {
  if (!ED25519_PEER_ID.test(msg.peerId)) return `peer_id ${JSON.stringify(msg.peerId.slice(0, 80))} is not an Ed25519 libp2p peer id (12D3KooW…, base58btc); other key types cannot prove possession here`;
  if (msg.addrs.length === 0 || msg.addrs.length > MAX_PEER_ADDRS) return `addrs must hold 1 to ${MAX_PEER_ADDRS} multiaddrs, got ${msg.addrs.length}`;
  for (const a of msg.addrs) if (!MULTIADDR.test(a)) return `addr ${JSON.stringify(a.slice(0, 80))} is not an /ip4, /ip6 or /dns multiaddr`;
  if (new Set(msg.addrs).size !== msg.addrs.length) return 'addrs repeat an address';
  // First come, first served is safe now that binding needs the peer key: a second validator holding
  // the same key is refused too (two validators must not share one channel identity).
  const owner = view.peerOwner(msg.peerId);
  if (owner !== undefined && owner !== addressHex) return `peer_id ${msg.peerId} is already bound to sequencer ${owner.toUpperCase()}; sequencer ${addressHex.toUpperCase()} may not bind it too`;
  return peerProofProblem(msg.peerId, msg.peerProof ?? new Uint8Array(0), view.chainId, fromHex(addressHex));
}
