// Vote extensions carry observations (decision 4, the heimdall-v2 template on stock CometBFT): each
// validator's ExtendVote lists what it saw; the next proposer packs the extended commit into txs[0];
// ProcessProposal checks every extension signature and the power behind the commit; FinalizeBlock
// applies an observation only when more than 2/3 of voting power attested the identical digest.
import { sha256 } from '@noble/hashes/sha2.js';
import protobuf from 'protobufjs';
import { ExtendedCommitInfo } from 'cosmjs-types/tendermint/abci/types';
import { BlockIDFlag } from 'cosmjs-types/tendermint/types/validator';
import { compareBytes, concatBytes, equalBytes, toHex } from '../common/bytes.js';
import { verify } from '../common/secp.js';
import { InjectedVoteExtensionsCodec, VoteExtensionCodec, type Observation, type Params, type ValidatorEntry } from '../proto/seqpool.js';
import { observationDigest } from '../protocol/observations.js';
import { observationProblem } from './observations.js';

/** txs[0] of a block built on an extended commit starts with these bytes. 0x00 is never a valid
 * protobuf tag, so no user Tx can start with them. */
const INJECTED_PREFIX = Uint8Array.of(0x00, 0x73, 0x71, 0x76, 0x65); // \0 "sqve"

export const isInjected = (tx: Uint8Array): boolean =>
  tx.length >= INJECTED_PREFIX.length && equalBytes(tx.subarray(0, INJECTED_PREFIX.length), INJECTED_PREFIX);

export function encodeInjected(commit: ExtendedCommitInfo): Uint8Array {
  return concatBytes(INJECTED_PREFIX, InjectedVoteExtensionsCodec.encode({ extendedCommitInfo: ExtendedCommitInfo.encode(commit).finish() }));
}

export function decodeInjected(tx: Uint8Array): ExtendedCommitInfo {
  const inner = InjectedVoteExtensionsCodec.decode(tx.subarray(INJECTED_PREFIX.length));
  return ExtendedCommitInfo.decode(inner.extendedCommitInfo);
}

/** Blocks after the enable height carry the previous height's extended commit. */
export function expectsVoteExtensions(height: bigint, enableHeight: bigint): boolean {
  return enableHeight > 0n && height > enableHeight;
}

export interface ParsedObservation {
  digest: Uint8Array;
  observation: Observation;
}

export type ParseResult = { ok: true; observations: ParsedObservation[]; l2Head: bigint } | { ok: false; reason: string };

/** This node's extension: its pending, not yet applied observations, within the size bounds, and
 * the L2 head its bridge sees (0 or absent: unknown). */
export function buildVoteExtension(pending: Observation[], params: Params, isApplied: (digest: Uint8Array) => boolean, l2Head?: bigint): Uint8Array {
  const chosen: Observation[] = [];
  const seen = new Set<string>();
  const head = l2Head !== undefined && l2Head > 0n && l2Head < 2n ** 64n ? l2Head : undefined;
  let size = head === undefined ? 0 : VoteExtensionCodec.encode({ observations: [], l2Head: head }).length;
  for (const obs of pending) {
    if (chosen.length >= params.maxObservationsPerExtension) break;
    if (observationProblem(obs)) continue;
    const digest = observationDigest(obs);
    const id = toHex(digest);
    if (seen.has(id) || isApplied(digest)) continue;
    const encodedSize = VoteExtensionCodec.encode({ observations: [obs] }).length;
    if (size + encodedSize > params.maxVoteExtensionBytes) continue;
    seen.add(id);
    size += encodedSize;
    chosen.push(obs);
  }
  return VoteExtensionCodec.encode({ observations: chosen, ...(head === undefined ? {} : { l2Head: head }) });
}

/** Validate a peer's extension: size, encoding, count, each observation well-formed, no repeats. */
export function parseVoteExtension(bytes: Uint8Array, params: Params): ParseResult {
  if (bytes.length > params.maxVoteExtensionBytes) return { ok: false, reason: `extension of ${bytes.length} bytes exceeds ${params.maxVoteExtensionBytes}` };
  let ext;
  try {
    ext = VoteExtensionCodec.decode(bytes);
  } catch (e) {
    return { ok: false, reason: `undecodable extension: ${(e as Error).message}` };
  }
  if (ext.observations.length > params.maxObservationsPerExtension) return { ok: false, reason: `${ext.observations.length} observations exceed ${params.maxObservationsPerExtension}` };
  const seen = new Set<string>();
  const observations: ParsedObservation[] = [];
  for (const [i, observation] of ext.observations.entries()) {
    const problem = observationProblem(observation);
    if (problem) return { ok: false, reason: `observation ${i}: ${problem}` };
    const digest = observationDigest(observation);
    const id = toHex(digest);
    if (seen.has(id)) return { ok: false, reason: `observation ${i} repeats ${id}` };
    seen.add(id);
    observations.push({ digest, observation });
  }
  return { ok: true, observations, l2Head: ext.l2Head ?? 0n };
}

/** CometBFT's VoteExtensionSignBytes: a length-delimited CanonicalVoteExtension
 * {extension=1 bytes, height=2 sfixed64, round=3 sfixed64, chain_id=4 string}. */
export function voteExtensionSignBytes(chainId: string, height: bigint, round: number, extension: Uint8Array): Uint8Array {
  const w = protobuf.Writer.create();
  if (extension.length > 0) w.uint32(10).bytes(extension);
  if (height !== 0n) w.uint32(17).sfixed64(height.toString() as unknown as number);
  if (round !== 0) w.uint32(25).sfixed64(round);
  if (chainId.length > 0) w.uint32(34).string(chainId);
  const body = w.finish();
  return protobuf.Writer.create().bytes(body).finish(); // uvarint length prefix + body
}

/**
 * Remembers signatures already verified, so ProcessProposal and FinalizeBlock check each once. Keyed
 * by the exact (key, signature, sign bytes) that verified, so a hit is the same check's answer: a
 * different signature over the same extension is never taken for one seen before. Bounded: at most
 * `max` 64-character keys (about 0.5 MB), cleared whole when full (a miss only costs a check).
 */
export class VerifiedSignatures {
  private seen = new Set<string>();
  constructor(private readonly max = 4096) {}

  verify(pubKey: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean {
    const id = toHex(sha256(concatBytes(pubKey, sig, message)));
    if (this.seen.has(id)) return true;
    if (!verify(pubKey, message, sig)) return false;
    if (this.seen.size >= this.max) this.seen.clear();
    this.seen.add(id);
    return true;
  }
}

export interface AttestingVote {
  validator: ValidatorEntry;
  observations: ParsedObservation[];
  /** The L2 head the validator reported (0: unknown). */
  l2Head: bigint;
}

export type CommitCheck =
  | { ok: true; votes: AttestingVote[]; signedPower: bigint; totalPower: bigint; ignored: string[] }
  | { ok: false; reason: string };

/** Check the extended commit of `height` (the block before the one being proposed) against the
 * validator set that voted on it. Deterministic. */
export function checkExtendedCommit(
  commit: ExtendedCommitInfo,
  set: ValidatorEntry[],
  ctx: {
    chainId: string;
    height: bigint;
    params: Params;
    signatures: VerifiedSignatures;
  },
): CommitCheck {
  const byAddress = new Map(set.map((v) => [toHex(v.address), v]));
  if (commit.votes.length !== set.length) return { ok: false, reason: `commit has ${commit.votes.length} votes for a set of ${set.length}` };
  const seen = new Set<string>();
  const votes: AttestingVote[] = [];
  const ignored: string[] = [];
  let totalPower = 0n;
  let signedPower = 0n;
  for (const [i, vote] of commit.votes.entries()) {
    const id = toHex(vote.validator?.address ?? new Uint8Array(0));
    const v = byAddress.get(id);
    if (!v) return { ok: false, reason: `vote ${i}: ${id.toUpperCase()} is not in the validator set of height ${ctx.height}` };
    if (seen.has(id)) return { ok: false, reason: `vote ${i}: ${id.toUpperCase()} appears twice` };
    seen.add(id);
    if (BigInt(vote.validator!.power) !== v.power) return { ok: false, reason: `vote ${i}: power ${vote.validator!.power} != ${v.power}` };
    totalPower += v.power;
    if (vote.blockIdFlag !== BlockIDFlag.BLOCK_ID_FLAG_COMMIT) {
      if (vote.voteExtension.length || vote.extensionSignature.length) return { ok: false, reason: `vote ${i}: extension on a non-commit vote` };
      continue;
    }
    const signBytes = voteExtensionSignBytes(ctx.chainId, ctx.height, commit.round, vote.voteExtension);
    // Every signature is checked against the block's own bytes (a node's memory of what its
    // CometBFT verified must not decide a block's validity: a replaying node has no such memory).
    if (!ctx.signatures.verify(v.pubKey, signBytes, vote.extensionSignature)) return { ok: false, reason: `vote ${i}: bad extension signature from ${id.toUpperCase()}` };
    // A validly signed but malformed extension still counts as a signed vote and attests nothing.
    // CometBFT v0.38 adds precommits that arrive after their height committed without calling
    // VerifyVoteExtension, so an honest proposer's extended commit can carry one; rejecting the
    // proposal for it would let one byzantine validator stall every honest proposer.
    const parsed = parseVoteExtension(vote.voteExtension, ctx.params);
    signedPower += v.power;
    if (parsed.ok) votes.push({ validator: v, observations: parsed.observations, l2Head: parsed.l2Head });
    else ignored.push(`vote ${i} from ${id.toUpperCase()}: ${parsed.reason}`);
  }
  if (signedPower * 3n <= totalPower * 2n) return { ok: false, reason: `commit carries ${signedPower} of ${totalPower} power, not more than 2/3` };
  return { ok: true, votes, signedPower, totalPower, ignored };
}

export interface Attested {
  digest: Uint8Array;
  observation: Observation;
  power: bigint;
}

/** Observations attested by more than 2/3 of `totalPower`, in digest order. */
export function tallyAttestations(votes: AttestingVote[], totalPower: bigint): Attested[] {
  const tally = new Map<string, Attested>();
  for (const vote of votes) {
    for (const { digest, observation } of vote.observations) {
      const id = toHex(digest);
      const entry = tally.get(id) ?? { digest, observation, power: 0n };
      entry.power += vote.validator.power;
      tally.set(id, entry);
    }
  }
  return [...tally.values()].filter((a) => a.power * 3n > totalPower * 2n).sort((a, b) => compareBytes(a.digest, b.digest));
}
