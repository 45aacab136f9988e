// Drives SeqpoolApp the way CometBFT does (InitChain, then Prepare/Process/ExtendVote/
// VerifyVoteExtension/FinalizeBlock/Commit per height), signing vote extensions with the validators'
// keys exactly as CometBFT would, so the app's ABCI contract can be tested in-process.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ExtendedCommitInfo, RequestFinalizeBlock, RequestInitChain } from 'cosmjs-types/tendermint/abci/types';
import { BlockIDFlag } from 'cosmjs-types/tendermint/types/validator';
import { sha256 } from '@noble/hashes/sha2.js';
import { SeqpoolApp } from '../../app/app.js';
import { buildAppState } from '../../app/genesis.js';
import { MemoryObservationSource } from '../../app/observations.js';
import { MemoryPersistence, type StatePersistence } from '../../app/persistence.js';
import { voteExtensionSignBytes } from '../../app/vote-extensions.js';
import { utf8 } from '../../common/bytes.js';
import { pubKeyToAddress, publicKeyOf, sign } from '../../common/secp.js';

export const CHAIN_ID = 'seqpool-test';
export const VE_HEIGHT = 2n;

export interface TestValidator {
  privKey: Uint8Array;
  pubKey: Uint8Array;
  address: Uint8Array;
  power: bigint;
}

/** Deterministic keys so failures reproduce. */
export function makeValidators(n: number, power = 10n): TestValidator[] {
  return Array.from({ length: n }, (_, i) => {
    const privKey = sha256(utf8(`seqpool-test-validator-${i}`));
    const pubKey = publicKeyOf(privKey);
    return { privKey, pubKey, address: pubKeyToAddress(pubKey), power };
  });
}

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
export function extendedCommit(vals: TestValidator[], height: bigint, extensions: (Uint8Array | undefined)[], round = 0): ExtendedCommitInfo {
  return ExtendedCommitInfo.fromPartial({
    round,
    votes: vals.map((v, i) => {
      const ext = extensions[i];
      if (ext === undefined) return { validator: { address: v.address, power: v.power }, blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_ABSENT };
      return {
        validator: { address: v.address, power: v.power },
        voteExtension: ext,
        extensionSignature: sign(v.privKey, voteExtensionSignBytes(CHAIN_ID, height, round, ext)),
        blockIdFlag: BlockIDFlag.BLOCK_ID_FLAG_COMMIT,
      };
    }),
  });
}

export function finalizeRequest(height: bigint, txs: Uint8Array[], proposer: TestValidator): RequestFinalizeBlock {
  return RequestFinalizeBlock.fromPartial({
    height,
    txs,
    hash: sha256(utf8(`block-${height}`)),
    time: { seconds: 1_700_000_000n + height, nanos: 0 },
    proposerAddress: proposer.address,
  });
}

/** Run one height through the proposer's PrepareProposal and the app's Process/Finalize/Commit. */
export async function runBlock(app: SeqpoolApp, vals: TestValidator[], height: bigint, txs: Uint8Array[], lastExtensions: (Uint8Array | undefined)[]) {
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
  const processed = await app.processProposal({ ...req, proposedLastCommit: { round: 0, votes: [] } });
  const finalized = await app.finalizeBlock(req);
  await app.commit({});
  return { blockTxs, processed, finalized };
}

export { secp256k1 };
