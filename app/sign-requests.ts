// Sign requests (docs/pool.md "Sign requests"): what the pool must threshold-sign, created by the app
// (commitEpoch, recommitEpoch, distributeRewards, slash) or by an approved producer request
// (appendBatch). The digest is the FROST message; a SubmitSignature is recorded only if the
// signature verifies against the current group key. Deterministic: block time decides expiry.
import { equalBytes, toHex } from '../common/bytes.js';
import { l1Digest } from '../mpc/l1.js';
import { open } from '../mpc/envelope.js';
import type { PublicKeyPackage } from '../mpc/keys/types.js';
import { cheaterEvidenceProblem } from '../mpc/signing/evidence.js';
import { signingSessionId } from '../mpc/signing/session.js';
import { verifySignature } from '../mpc/signing/frost.js';
import { decodeEnvelope } from '../proto/mpc.js';
import { SignStatus, type MpcKey, type ReportSigningCheater, type SignRequest, type SubmitSignature } from '../proto/seqpool.js';
import { currentKey, type MpcBlockContext } from './mpc-sessions.js';
import type { State, View } from './state.js';
import type { Purpose as SignedPurpose } from '../protocol/signed-payloads.js';

/** What a block hands the pool modules: height, time, params, logger, jail, event sink, hash. */
export interface BlockCtx extends MpcBlockContext {
  /** RequestFinalizeBlock.hash (an election seed input). */
  hash: Uint8Array;
  /** Validators (address hex, lower case) the decided last commit lists as ABSENT: they did not vote
   * for the previous block. Undefined when the request carries no commit info. */
  absent?: ReadonlySet<string>;
}

/** What the app asks the pool to sign (protocol/signed-payloads.ts; it never asks for rotateGroupKey). */
export type Purpose = Exclude<SignedPurpose, 'rotateGroupKey'>;

export interface SignSpec {
  purpose: Purpose;
  chainId: bigint;
  verifier: Uint8Array;
  payload: Uint8Array;
  batchIndex?: bigint;
  epochId?: bigint;
  requester?: Uint8Array;
}

export function event(type: string, attrs: Record<string, string>): MpcBlockContext['events'][number] {
  return { type, attributes: Object.entries(attrs).map(([key, value]) => ({ key, value, index: true })) };
}

/** Create a PENDING request with the next id; emits sign_requested. */
export function createSignRequest(state: State, ctx: BlockCtx, spec: SignSpec): SignRequest {
  const meta = state.signMeta();
  const r: SignRequest = {
    id: meta.nextId,
    purpose: spec.purpose,
    chainId: spec.chainId,
    verifier: spec.verifier,
    payload: spec.payload,
    digest: l1Digest({ chainId: spec.chainId, verifier: spec.verifier, purpose: spec.purpose, payload: spec.payload }),
    status: SignStatus.PENDING,
    signature: new Uint8Array(0),
    createdHeight: ctx.height,
    createdTime: ctx.time,
    deadlineTime: ctx.time + ctx.params.signingTimeoutSeconds,
    batchIndex: spec.batchIndex ?? 0n,
    epochId: spec.epochId ?? 0n,
    signedHeight: 0n,
    requester: spec.requester ?? new Uint8Array(0),
  };
  state.setSignRequest(r);
  state.setSignMeta({ nextId: meta.nextId + 1n });
  ctx.events.push(event('sign_requested', { request_id: r.id.toString(), purpose: r.purpose }));
  ctx.log.info({ requestId: r.id.toString(), purpose: r.purpose, digest: toHex(r.digest) }, 'sign request created');
  return r;
}

/** Take the next authNonce for a nonce-bearing payload on `verifier` (creation order = L1 order). */
export function takeAuthNonce(state: State, verifier: Uint8Array): bigint {
  const n = state.authNonce(verifier);
  state.setAuthNonce(verifier, n + 1n);
  return n;
}

/** Why a SubmitSignature must be rejected, or undefined. */
export function submitSignatureProblem(state: State, view: View, msg: SubmitSignature): string | undefined {
  const r = state.signRequest(msg.requestId, view);
  if (!r) return `no sign request ${msg.requestId}`;
  if (r.status !== SignStatus.PENDING) return `sign request ${msg.requestId} is ${r.status === SignStatus.SIGNED ? 'already signed' : 'expired'}`;
  if (msg.signature.length !== 65) return `signature must be 65 bytes (compressed R || z), got ${msg.signature.length}`;
  const key = currentKey(state, view);
  if (!key) return 'the pool has no group key yet (the genesis DKG has not finished)';
  if (!verifySignature(msg.signature, r.digest, key.groupKey)) return `signature does not verify for request ${msg.requestId} under group key ${toHex(key.groupKey)}`;
  return undefined;
}

/** Record a verified signature; returns the signed request (the caller applies its effects). */
export function recordSignature(state: State, msg: SubmitSignature, ctx: BlockCtx): SignRequest {
  const r: SignRequest = { ...state.signRequest(msg.requestId)!, status: SignStatus.SIGNED, signature: msg.signature, signedHeight: ctx.height };
  state.setSignRequest(r);
  state.setLastSignature(msg.signature);
  ctx.events.push(event('sign_completed', { request_id: r.id.toString() }));
  ctx.log.info({ requestId: r.id.toString(), purpose: r.purpose }, 'sign request signed');
  return r;
}

/** PENDING requests whose deadline passed at block time `time`, in id order, now EXPIRED. */
export function expireRequests(state: State, ctx: BlockCtx): SignRequest[] {
  const out: SignRequest[] = [];
  for (const id of state.pendingSignIds()) {
    const r = state.signRequest(id)!;
    if (ctx.time <= r.deadlineTime) continue;
    const expired = { ...r, status: SignStatus.EXPIRED };
    state.setSignRequest(expired);
    ctx.events.push(event('sign_expired', { request_id: id.toString() }));
    ctx.log.warn({ requestId: id.toString(), purpose: r.purpose, deadline: r.deadlineTime.toString() }, 'sign request expired');
    out.push(expired);
  }
  return out;
}

/** The public key package of the current sharing, as mpc/ takes it. */
export function publicKeyPackage(key: MpcKey): PublicKeyPackage {
  const verifyingShares: Record<number, Uint8Array> = {};
  key.members.forEach((m, i) => {
    const v = key.verifyingShares[i];
    if (v) verifyingShares[m.index] = v;
  });
  return {
    keyId: key.keyId,
    epoch: key.keyEpoch,
    threshold: key.threshold,
    members: key.members.map((m) => ({ index: m.index, identity: m.identity })),
    groupKey: key.groupKey,
    commitments: key.commitments,
    verifyingShares,
  };
}

/** The cheater's address if the evidence proves it, else why the report is rejected. */
export function cheaterReport(state: State, view: View, msg: ReportSigningCheater): { address: Uint8Array } | { problem: string } {
  const r = state.signRequest(msg.requestId, view);
  if (!r) return { problem: `no sign request ${msg.requestId}` };
  const key = currentKey(state, view);
  if (!key) return { problem: 'the pool has no group key yet' };
  const member = key.members.find((m) => m.index === msg.signer);
  if (!member) return { problem: `signer ${msg.signer} is not a member of the current key` };
  let evidence;
  try {
    const pkg = open(msg.package).body;
    if (!('signingPackage' in pkg)) return { problem: 'package is not a signed SigningPackage envelope' };
    if (!equalBytes(pkg.signingPackage.message, r.digest)) return { problem: `the signing package is not for request ${msg.requestId} (message differs from its digest)` };
    // Shares are judged against the current sharing's verifying shares, so the package must be of a
    // session of that sharing: one of an earlier key epoch (a coordinator or signer still switching
    // at a reshare or refresh) would make an honest signer look like a cheater.
    if (!equalBytes(pkg.session, signingSessionId(publicKeyPackage(key), String(msg.requestId))))
      return { problem: `the signing package is not a session of the current sharing (key epoch ${key.keyEpoch}) for request ${msg.requestId}; shares of another sharing cannot be judged` };
    evidence = { signer: msg.signer, attempt: msg.attempt, package: msg.package, commitment: decodeEnvelope(msg.commitment), share: decodeEnvelope(msg.share) };
  } catch (e) {
    return { problem: `undecodable evidence: ${(e as Error).message}` };
  }
  // A share is evidence only against the package its signer signed (its hash is in the share) whose
  // commitments are each their owner's for this request and attempt (decision 24).
  const why = cheaterEvidenceProblem(publicKeyPackage(key), evidence);
  if (why) return { problem: `the evidence does not prove signer ${msg.signer} sent an invalid share: ${why}` };
  const s = state.sequencer(member.address, view);
  if (!s) return { problem: `member ${msg.signer} is no longer a sequencer` };
  if (s.jailed) return { problem: `sequencer ${toHex(member.address).toUpperCase()} is already jailed` };
  return { address: member.address };
}
