#!/usr/bin/env node
// A byzantine validator's node, for the integration tests only. It is the production node
// (dist/node/node.js, started exactly as `seqpool node start` starts it) with some of its parts
// wrapped through NodeSeams, as the BYZANTINE environment variable (JSON) asks:
//   {"voteExtension": "garbage" | "oversize"}  invalid vote extensions
//   {"fakeL1Event": "<sequencerId>"}           attest a Locked event that never happened on L1
//   {"batchMismatch": true}                    request batch signatures over a wrong dataHash
//   {"censorForced": "when-flagged"}           while HOME/censor-forced exists, build no forced blocks
//                                              as producer (censor L1's queue); the test flips it
// The localnet runs it through LaunchOptions.appProgram. It lives under test/ so that no flag or
// environment variable of the shipped `seqpool` binary can make an operator's node misbehave.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { startNode } from '../../dist/node/node.js';
import { readNodeConfig } from '../../dist/node/node-config.js';
import { createLogger } from '../../dist/common/log.js';
import { fromHex, utf8 } from '../../dist/common/bytes.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { home: { type: 'string' }, observations: { type: 'string' } } });
if (positionals.join(' ') !== 'node start' || !values.home) throw new Error('usage: byzantine-node.mjs node start --home HOME [--observations FILE]');
const mode = JSON.parse(process.env.BYZANTINE ?? '{}');
const log = createLogger('seqpool-node');
log.warn({ byzantine: mode }, 'BYZANTINE TEST NODE: this process deliberately misbehaves (test/entry/byzantine-node.mjs)');

const seams = {};
if (mode.voteExtension === 'garbage') seams.voteExtension = () => Uint8Array.of(0xff, 0xff, 0xff, 0x01, 0x02);
else if (mode.voteExtension === 'oversize') seams.voteExtension = () => new Uint8Array(1024 * 1024).fill(0x0a);
else if (mode.voteExtension !== undefined) throw new Error(`BYZANTINE.voteExtension must be garbage or oversize, got ${mode.voteExtension}`);

if (mode.fakeL1Event !== undefined) {
  // Well-formed in every respect except that it never happened: only the power of the nodes that
  // fake it is behind it.
  const l1 = readNodeConfig(values.home).l1;
  if (!l1) throw new Error('BYZANTINE.fakeL1Event needs the l1 section of node.json');
  const id = String(mode.fakeL1Event);
  const pubkey64 = secp256k1.getPublicKey(sha256(utf8(`fake-sequencer-${id}`)), false).subarray(1);
  const total = (30_000n * 10n ** 18n).toString();
  const fake = {
    l1Staking: {
      chainId: BigInt(l1.chainId),
      contract: fromHex(l1.lockingPool),
      blockHash: sha256(utf8(`fake-block-${id}`)),
      blockNumber: 1n,
      logIndex: 0,
      txHash: sha256(utf8(`fake-tx-${id}`)),
      sequencerId: BigInt(id),
      nonce: 1n,
      locked: { signer: keccak_256(pubkey64).subarray(12), amount: total, total, signerPubkey: pubkey64 },
    },
  };
  seams.observations = { 'fake-l1': { pending: () => [fake] } };
}

if (mode.batchMismatch) {
  // The batcher encodes the batch data from these blocks: every state root is off, so the request
  // carries data the sidecars cannot re-derive from their own L2 and they must refuse to sign.
  seams.batcherL2 = (l2) => ({
    payload: async (n) => {
      const p = await l2.payload(n);
      return { ...p, stateRoot: `0x${Buffer.from(keccak_256(fromHex(p.stateRoot))).toString('hex')}` };
    },
  });
}

if (mode.censorForced === 'when-flagged') {
  // The L2 adapter builds forced blocks from this queue: while the flag file exists it shows no
  // entry, so this producer leaves every forced-inclusion entry out. As a follower the node still
  // checks honestly (the seam wraps only what it builds from).
  const flag = join(values.home, 'censor-forced');
  seams.forcedQueue = (q) => ({
    view: async (from, max) => (existsSync(flag) ? { ...(await q.view(from, 0)), entries: [] } : q.view(from, max)),
    nextL2Block: () => q.nextL2Block(),
  });
} else if (mode.censorForced !== undefined) throw new Error(`BYZANTINE.censorForced must be "when-flagged", got ${mode.censorForced}`);

const running = await startNode({ home: values.home, observationsFile: values.observations, logger: log, seams });
const stop = () => void running.stop().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
