// L1's record of the pool's contracts at one block, and when the pool disagrees with it (decision 38):
// the one rule the app corrects by (app/l1-correction.ts), the bridge offers a correction by
// (bridge/reconcile.ts) and `seqpool l1 status` reports by (cli/l1-status.ts). readL1State is how every
// honest validator reads that record, so that their L1StateCorrection digests agree.
import { parseAbi, type Hex } from 'viem';
import { equalBytes, fromHex } from '../common/bytes.js';
import { SequencerStatus, type L1SequencerState, type L1StateCorrection, type Sequencer } from '../proto/seqpool.js';

const NONE = new Uint8Array(0);

/** LockingPool.Status. */
export const L1Status = { NONE: 0, ACTIVE: 1, UNLOCKING: 2, UNLOCKED: 3 } as const;

/** The pool's status for a LockingPool status. */
export const statusOf = (l1Status: number): SequencerStatus =>
  l1Status === L1Status.ACTIVE ? SequencerStatus.ACTIVE : l1Status === L1Status.UNLOCKING ? SequencerStatus.UNLOCKING : SequencerStatus.EXITED;

function sameAsL1(s: Sequencer, r: L1SequencerState): boolean {
  return (
    (s.l1Nonce ?? 0n) === r.nonce &&
    (s.status ?? SequencerStatus.ACTIVE) === statusOf(r.status) &&
    (s.locked ?? '0') === r.amount &&
    equalBytes(s.signer ?? NONE, r.signer) &&
    (r.status !== L1Status.UNLOCKING || (s.deactivationTime ?? 0n) === r.deactivationTime)
  );
}

/**
 * Whether the pool's record of an id (`current`, undefined: none) disagrees with L1's record at
 * `block`: the one rule the app applies and the bridge and `seqpool l1 status` report by. A record
 * the pool updated from a later block cannot be judged at `block` and never disagrees.
 */
export function sequencerDisagrees(current: Sequencer | undefined, r: L1SequencerState, block: bigint): boolean {
  if (current && (current.l1Block ?? 0n) > block) return false;
  // A genesis record never updated from L1 (no block known): its lock may simply come after the block.
  if (current && (current.l1Block ?? 0n) === 0n && r.nonce < (current.l1Nonce ?? 0n)) return false;
  if (r.status === L1Status.NONE) return current !== undefined;
  return !current || !sameAsL1(current, r);
}

/** How many batches the pool counts final that L1 does not have at `block` (0: none, or not judgeable
 * there: the first of them was finalized from a later block). */
export function batchesDisagreeing(finalized: bigint, firstMissingL1Block: bigint | undefined, c: Pick<L1StateCorrection, 'batchInbox' | 'nextBatchIndex' | 'blockNumber'>): bigint {
  if (c.batchInbox.length === 0 || c.nextBatchIndex >= finalized) return 0n;
  if (!firstMissingL1Block || firstMissingL1Block > c.blockNumber) return 0n;
  return finalized - c.nextBatchIndex;
}

/** What reading contract state at a block needs of the L1 client (viem's PublicClient has it). */
export interface L1StateReader {
  getBlock(args: { blockNumber: bigint }): Promise<{ hash: Hex | null; number: bigint | null }>;
  readContract(args: { address: Hex; abi: readonly unknown[]; functionName: string; args?: readonly unknown[]; blockNumber: bigint }): Promise<unknown>;
}

const lockingPoolStateAbi = parseAbi([
  'function sequencerCount() view returns (uint256)',
  'function sequencers(uint256) view returns (address owner, address signer, uint256 amount, uint256 deactivationTime, uint256 nonce, uint8 status)',
  'function signerPubkeys(uint256) view returns (bytes)',
]);
const batchInboxStateAbi = parseAbi(['function nextBatchIndex() view returns (uint256)']);

const READ_CONCURRENCY = 8;
const U64_MAX = 2n ** 64n - 1n;

/** The pool contracts on L1 a record is read from. */
export interface L1Contracts {
  chainId: bigint;
  lockingPool: Hex;
  batchInbox?: Hex;
}

/**
 * The pool contracts' record at `block`: every sequencer id from 1 to max(L1's count, `minIds`)
 * (ids only the pool holds are listed as L1 has them: None) and BatchInbox.nextBatchIndex.
 */
export async function readL1State(client: L1StateReader, c: L1Contracts, block: bigint, minIds: bigint): Promise<L1StateCorrection> {
  const header = await client.getBlock({ blockNumber: block });
  if (!header.hash) throw new Error(`L1 block ${block} has no hash`);
  const read = (address: Hex, abi: readonly unknown[], functionName: string, args?: readonly unknown[]) => client.readContract({ address, abi, functionName, ...(args ? { args } : {}), blockNumber: block });
  const count = (await read(c.lockingPool, lockingPoolStateAbi, 'sequencerCount')) as bigint;
  const n = count > minIds ? count : minIds;
  const ids = Array.from({ length: Number(n) }, (_, i) => BigInt(i + 1));
  const out: L1SequencerState[] = new Array(ids.length);
  const queue = [...ids.keys()];
  const worker = async (): Promise<void> => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const id = ids[i]!;
      const [, signer, amount, deactivationTime, nonce, status] = (await read(c.lockingPool, lockingPoolStateAbi, 'sequencers', [id])) as [Hex, Hex, bigint, bigint, bigint, number];
      if (status === L1Status.NONE) {
        out[i] = { id, status, signer: new Uint8Array(0), signerPubkey: new Uint8Array(0), amount: '0', deactivationTime: 0n, nonce: 0n };
        continue;
      }
      const pubkey = (await read(c.lockingPool, lockingPoolStateAbi, 'signerPubkeys', [id])) as Hex;
      // As the event decoder does: a deactivation time beyond 64 bits is saturated, not refused.
      out[i] = { id, status, signer: fromHex(signer), signerPubkey: fromHex(pubkey), amount: amount.toString(), deactivationTime: deactivationTime > U64_MAX ? U64_MAX : deactivationTime, nonce };
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, ids.length) }, worker));
  const nextBatchIndex = c.batchInbox ? ((await read(c.batchInbox, batchInboxStateAbi, 'nextBatchIndex')) as bigint) : 0n;
  return {
    chainId: c.chainId,
    lockingPool: fromHex(c.lockingPool),
    batchInbox: c.batchInbox ? fromHex(c.batchInbox) : new Uint8Array(0),
    blockNumber: block,
    blockHash: fromHex(header.hash),
    sequencers: out,
    nextBatchIndex,
  };
}
