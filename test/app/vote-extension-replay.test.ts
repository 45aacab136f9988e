// Whether a block is valid depends only on the block and committed state (DESIGN decision 16), never
// on what a node remembers: a node that saw the votes in VerifyVoteExtension, a fresh node, and a node
// replaying decided blocks (restart, blocksync: FinalizeBlock without ProcessProposal) must agree.
import { ResponseProcessProposal_ProposalStatus as PS } from 'cosmjs-types/tendermint/abci/types';
import type { SeqpoolApp } from '../../app/app.js';
import { buildVoteExtension, encodeInjected } from '../../app/vote-extensions.js';
import { DEFAULT_PARAMS } from '../../app/params.js';
import { toHex, utf8 } from '../../common/bytes.js';
import { extendedCommit, finalizeRequest, initChainRequest, makeValidators, MemoryObservationSource, openApp, VE_HEIGHT } from './harness.js';

const vals = makeValidators(4);
const obs = (topic: string) => ({ synthetic: { topic, payload: utf8(topic) } });
const ext = (...topics: string[]) => buildVoteExtension(topics.map(obs), DEFAULT_PARAMS, () => false);

async function started(): Promise<SeqpoolApp> {
  const app = await openApp({ source: new MemoryObservationSource() });
  await app.initChain(initChainRequest(vals));
  return app;
}

/** What CometBFT does on a live validator: it verifies each precommit's extension signature, then
 * calls VerifyVoteExtension. */
async function sawVotes(app: SeqpoolApp, height: bigint, exts: Uint8Array[]): Promise<void> {
  for (const [i, e] of exts.entries()) await app.verifyVoteExtension({ hash: new Uint8Array(32), validatorAddress: vals[i]!.address, height, voteExtension: e });
}

async function commitBlock(app: SeqpoolApp, height: bigint, txs: Uint8Array[]): Promise<string> {
  const fin = await app.finalizeBlock(finalizeRequest(height, txs, vals[Number(height) % 4]!));
  await app.commit({});
  return toHex(fin.appHash as Uint8Array);
}

test('a replaced extension signature is refused by a node that saw the vote and by a fresh node alike', async () => {
  const live = await started();
  const fresh = await started();
  // Blocks up to the enable height carry no extensions; the next one carries that height's votes.
  for (const app of [live, fresh]) for (let h = 1n; h <= VE_HEIGHT; h++) await commitBlock(app, h, []);
  const exts = [ext('a'), ext('a'), ext('a'), ext('a')];
  await sawVotes(live, VE_HEIGHT, exts); // the live node's CometBFT checked these signatures
  const commit = extendedCommit(vals, VE_HEIGHT, exts);
  commit.votes[1]!.extensionSignature = new Uint8Array(64).fill(1); // a byzantine proposer's garbage
  const next = VE_HEIGHT + 1n;
  const propose = (app: SeqpoolApp) => app.processProposal({ ...finalizeRequest(next, [encodeInjected(commit)], vals[2]!), proposedLastCommit: { round: 0, votes: [] } });
  expect((await propose(live)).status).toBe(PS.REJECT);
  expect((await propose(fresh)).status).toBe(PS.REJECT);
  // The honest commit is accepted by both.
  const honest = extendedCommit(vals, VE_HEIGHT, exts);
  const ok = (app: SeqpoolApp) => app.processProposal({ ...finalizeRequest(next, [encodeInjected(honest)], vals[2]!), proposedLastCommit: { round: 0, votes: [] } });
  expect((await ok(live)).status).toBe(PS.ACCEPT);
  expect((await ok(fresh)).status).toBe(PS.ACCEPT);
});

test('decided blocks replayed into a fresh app (FinalizeBlock only, as blocksync does) reach the live app hashes', async () => {
  const live = await started();
  const decided: Uint8Array[][] = [];
  const liveHashes: string[] = [];
  let exts: Uint8Array[] = [];
  for (let h = 1n; h <= 12n; h++) {
    const txs = h <= VE_HEIGHT ? [] : [encodeInjected(extendedCommit(vals, h - 1n, exts))];
    const p = await live.processProposal({ ...finalizeRequest(h, txs, vals[Number(h) % 4]!), proposedLastCommit: { round: 0, votes: [] } });
    expect(p.status).toBe(PS.ACCEPT);
    decided.push(txs);
    liveHashes.push(await commitBlock(live, h, txs));
    exts = vals.map((_, i) => ext(`t${h}`, ...(i % 2 === 0 ? [`half${h}`] : []))); // t attested, half not
    await sawVotes(live, h, exts);
  }
  const replay = await started();
  const replayed: string[] = [];
  for (const [i, txs] of decided.entries()) replayed.push(await commitBlock(replay, BigInt(i + 1), txs));
  expect(replayed).toEqual(liveHashes);
  expect(new Set(liveHashes.slice(Number(VE_HEIGHT))).size).toBe(liveHashes.length - Number(VE_HEIGHT)); // each block applied an observation
});
