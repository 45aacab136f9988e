// In-process timing of ProcessProposal and FinalizeBlock with N signed vote extensions, each carrying
// a few synthetic observations that every validator attests (so they are also tallied and applied).
import { ExtendedCommitInfo } from 'cosmjs-types/tendermint/abci/types';
import { utf8 } from '../common/bytes.js';
import { sign, verify } from '../common/secp.js';
import { VoteExtensionCodec, type Observation } from '../proto/seqpool.js';
import { extendedCommit, makeValidators, openApp, runTimedBlock, VE_HEIGHT } from './harness.js';

export interface FinalizeTiming {
  extensions: number;
  /** 'live': CometBFT verified each extension and called VerifyVoteExtension first, as on a running
   * node; 'cold': nothing was seen before (a node replaying or catching up). The app checks every
   * signature in both (decision 25); the two differ only by what VerifyVoteExtension itself costs. */
  mode: 'live' | 'cold';
  observationsPerExtension: number;
  blocks: number;
  processP50: number;
  finalizeP50: number;
  totalP50: number;
  totalP99: number;
  totalMax: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const sortNum = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

function observationsFor(height: bigint, count: number): Observation[] {
  return Array.from({ length: count }, (_, k) => ({
    synthetic: { topic: `bench.h${height}.o${k}`, payload: utf8(`payload-${height}-${k}-${'x'.repeat(64)}`) },
  }));
}

/** `blocks` measured heights (after `warmup` unmeasured ones) with `n` validators all extending. */
export async function timeFinalize(n: number, opts: { blocks?: number; warmup?: number; observations?: number; mode?: 'live' | 'cold' } = {}): Promise<FinalizeTiming> {
  const mode = opts.mode ?? 'live';
  const blocks = opts.blocks ?? 50;
  const warmup = opts.warmup ?? 5;
  const perExt = opts.observations ?? 4;
  const vals = makeValidators(n);
  const app = await openApp(vals);
  // Height 1 carries no extended commit (extensions are enabled from VE_HEIGHT on).
  let lastCommit = ExtendedCommitInfo.fromPartial({ round: 0, votes: [] });
  const proc: number[] = [];
  const fin: number[] = [];
  const tot: number[] = [];
  const last = VE_HEIGHT - 1n + BigInt(warmup + blocks);
  for (let h = 1n; h <= last; h++) {
    const r = await runTimedBlock(app, vals, h, lastCommit);
    if (!r.accepted) throw new Error(`${n} validators: the app rejected its own proposal at height ${h}`);
    if (h >= VE_HEIGHT + BigInt(warmup)) {
      proc.push(r.processMs);
      fin.push(r.finalizeMs);
      tot.push(r.processMs + r.finalizeMs);
    }
    // Signing is CometBFT's work, not the app's: done between the timed calls.
    const ext = VoteExtensionCodec.encode({ observations: observationsFor(h, perExt) });
    lastCommit = extendedCommit(vals, h, vals.map(() => ext));
    if (mode === 'live') {
      // What CometBFT does with each precommit before the next proposal (not part of the timed calls).
      for (const v of vals) await app.verifyVoteExtension({ hash: new Uint8Array(32), validatorAddress: v.address, height: h, voteExtension: ext });
    }
  }
  const t = sortNum(tot);
  return {
    extensions: n,
    mode,
    observationsPerExtension: perExt,
    blocks,
    processP50: percentile(sortNum(proc), 50),
    finalizeP50: percentile(sortNum(fin), 50),
    totalP50: percentile(t, 50),
    totalP99: percentile(t, 99),
    totalMax: t[t.length - 1]!,
  };
}

/** Cost of one secp256k1 signature check through the app's verifier (OpenSSL), in ms: the floor
 * under ProcessProposal, which must check every extension signature once. */
export function verifyCostMs(iterations = 2000): number {
  const [v] = makeValidators(1);
  const msg = utf8('x'.repeat(150));
  const sig = sign(v!.privKey, msg);
  for (let i = 0; i < 200; i++) verify(v!.pubKey, msg, sig);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) verify(v!.pubKey, msg, sig);
  return (performance.now() - t0) / iterations;
}
