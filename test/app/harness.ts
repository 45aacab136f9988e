// Drives SeqpoolApp the way CometBFT does (InitChain, then Prepare/Process/ExtendVote/
// VerifyVoteExtension/FinalizeBlock/Commit per height), signing vote extensions with the validators'
// keys exactly as CometBFT would, so the app's ABCI contract can be tested in-process.
import { ExtendedCommitInfo, RequestInitChain } from 'cosmjs-types/tendermint/abci/types';
import { SeqpoolApp } from '../../app/app.js';
import { buildAppState } from '../../app/genesis-state.js';
import type { Observation } from '../../proto/seqpool.js';
import { observationDigest, type ObservationSource } from '../../protocol/observations.js';
import { toHex } from '../../common/bytes.js';
import { MemoryPersistence, type StatePersistence } from '../../app/persistence.js';
import { utf8 } from '../../common/bytes.js';
import { extendedCommit as benchExtendedCommit, finalizeRequest, makeValidators as makeKeys, type BenchValidator } from '../../bench/harness.js';


/** An in-memory observation source the tests fill (the node's comes from its bridge). */
export class MemoryObservationSource implements ObservationSource {
  private items = new Map<string, Observation>();

  add(obs: Observation): void {
    this.items.set(toHex(observationDigest(obs)), obs);
  }

  replace(all: Observation[]): void {
    this.items.clear();
    for (const o of all) this.add(o);
  }

  pending(): Observation[] {
    return [...this.items.values()];
  }
}

export { finalizeRequest };

export const CHAIN_ID = 'seqpool-test';
export const VE_HEIGHT = 2n;

export type TestValidator = BenchValidator;

export const makeValidators = (n: number, power = 10n): TestValidator[] => makeKeys(n, power, 'seqpool-test-validator');

export function initChainRequest(vals: TestValidator[], veHeight = VE_HEIGHT, appState: unknown = buildAppState(vals)): RequestInitChain {
  return RequestInitChain.fromPartial({
    chainId: CHAIN_ID,
    initialHeight: 1n,
    time: { seconds: 1_700_000_000n, nanos: 0 },
    validators: vals.map((v) => ({ pubKey: { secp256k1: v.pubKey }, power: v.power })),
    consensusParams: { abci: { voteExtensionsEnableHeight: veHeight } },
    appStateBytes: utf8(JSON.stringify(appState)),
  });
}

export async function openApp(opts: { persistence?: StatePersistence; source?: MemoryObservationSource } = {}): Promise<SeqpoolApp> {
  return SeqpoolApp.open({ persistence: opts.persistence ?? new MemoryPersistence(), observations: opts.source });
}

/** Extended commit for `height` as CometBFT would build it from each validator's extension. */
export const extendedCommit = (vals: TestValidator[], height: bigint, extensions: (Uint8Array | undefined)[], round = 0): ExtendedCommitInfo =>
  benchExtendedCommit(vals, height, extensions, round, CHAIN_ID);

/** Run one height through the proposer's PrepareProposal and the app's Process/Finalize/Commit. */
export async function runBlock(app: SeqpoolApp, vals: TestValidator[], height: bigint, txs: Uint8Array[], lastExtensions: (Uint8Array | undefined)[], absent?: number[]) {
  const proposer = vals[Number(height) % vals.length]!;
  const prepared = await app.prepareProposal({
    maxTxBytes: 1_000_000n,
    txs,
    localLastCommit: extendedCommit(vals, height - 1n, lastExtensions),
    misbehavior: [],
    height,
    time: { seconds: 1_700_000_000n + height, nanos: 0 },
    nextValidatorsHash: new Uint8Array(32),
    proposerAddress: proposer.address,
  });
  const blockTxs = prepared.txs as Uint8Array[];
  const req = finalizeRequest(height, blockTxs, proposer);
  // The decided last commit, when a test says who did not vote (ABSENT = 1, COMMIT = 2).
  if (absent) req.decidedLastCommit = { round: 0, votes: vals.map((v, i) => ({ validator: { address: v.address, power: v.power }, blockIdFlag: absent.includes(i) ? 1 : 2 })) };
  const processed = await app.processProposal({ ...req, proposedLastCommit: { round: 0, votes: [] } });
  const finalized = await app.finalizeBlock(req);
  await app.commit({});
  return { blockTxs, processed, finalized };
}

