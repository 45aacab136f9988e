// Test-only behaviours, switched on by environment variables so the byzantine-validator integration
// tests can run real processes. Each logs a loud warning; none is reachable through config files.
//   SEQPOOL_TEST_BYZANTINE_VE=garbage|oversize  this node's vote extensions are invalid
//   SEQPOOL_TEST_FAKE_L1_EVENT=<sequencerId>    this node attests a LockingPool Locked event that
//                                                never happened on L1
import { keccak_256 } from '@noble/hashes/sha3.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { ObservationSource } from '../app/observations.js';
import { fromHex, utf8 } from '../common/bytes.js';
import type { Logger } from '../common/log.js';
import type { Observation } from '../proto/seqpool.js';
import type { NodeL1Config } from './node-config.js';

export function byzantineExtensionHook(log: Logger): ((honest: Uint8Array) => Uint8Array) | undefined {
  const mode = process.env.SEQPOOL_TEST_BYZANTINE_VE;
  if (!mode) return undefined;
  log.warn({ mode }, 'BYZANTINE TEST MODE: this node sends invalid vote extensions');
  if (mode === 'garbage') return () => Uint8Array.of(0xff, 0xff, 0xff, 0x01, 0x02);
  if (mode === 'oversize') return () => new Uint8Array(1024 * 1024).fill(0x0a);
  throw new Error(`SEQPOOL_TEST_BYZANTINE_VE must be garbage or oversize, got ${mode}`);
}

/** A well-formed Locked event for a sequencer that never locked: valid for the app in every respect
 * except that no honest validator saw it, so only the power of the nodes that fake it is behind it. */
export function fakeL1EventSource(l1: NodeL1Config | undefined, log: Logger): ObservationSource | undefined {
  const raw = process.env.SEQPOOL_TEST_FAKE_L1_EVENT;
  if (!raw) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) throw new Error(`SEQPOOL_TEST_FAKE_L1_EVENT must be a sequencer id, got ${raw}`);
  if (!l1) throw new Error('SEQPOOL_TEST_FAKE_L1_EVENT needs the l1 section of node.json');
  const sequencerId = BigInt(raw);
  const pubkey64 = secp256k1.getPublicKey(sha256(utf8(`fake-sequencer-${raw}`)), false).subarray(1);
  const total = (30_000n * 10n ** 18n).toString();
  const fake: Observation = {
    l1Staking: {
      chainId: BigInt(l1.chainId),
      contract: fromHex(l1.lockingPool),
      blockHash: sha256(utf8(`fake-block-${raw}`)),
      blockNumber: 1n,
      logIndex: 0,
      txHash: sha256(utf8(`fake-tx-${raw}`)),
      sequencerId,
      nonce: 1n,
      locked: { signer: keccak_256(pubkey64).subarray(12), amount: total, total, signerPubkey: pubkey64 },
    },
  };
  log.warn({ sequencerId: raw }, 'BYZANTINE TEST MODE: this node attests a Locked event that never happened on L1');
  return { pending: () => [fake] };
}
