// Reads the pool's effects where they land: BatchInbox on L1 (events the contract emitted only after
// verifying the pool's signature), SequencerSet on L2, and the sidecars' structured logs. Shared by
// the end-to-end tests and bench:pool.
import { existsSync, readFileSync } from 'node:fs';
import { createPublicClient, http, type Address, type Hex } from 'viem';
import { abiOf } from '../contracts/artifacts.js';
import { readDeployment } from '../contracts/deploy.js';
import type { PoolClient } from '../client/pool-client.js';
import { sidecarLogFile } from './processes.js';

export interface AppendedBatch {
  batchIndex: bigint;
  batchHash: Hex;
  l2StartBlock: bigint;
  l2EndBlock: bigint;
  dataHash: Hex;
  producer: Address;
  txHash: Hex;
}

export function chainsOf(dir: string) {
  const d = readDeployment(dir);
  const l1 = createPublicClient({ transport: http(d.l1!.rpcUrl) });
  const l2 = createPublicClient({ transport: http(d.l2!.rpcUrl) });
  return { d, l1, l2, inbox: d.l1!.batchInbox as Address, pool: d.l1!.lockingPool as Address, set: d.l2!.sequencerSet as Address };
}

/** Every BatchAppended BatchInbox emitted, in L1 order. */
export async function appendedBatches(dir: string): Promise<AppendedBatch[]> {
  const { l1, inbox } = chainsOf(dir);
  const logs = await l1.getContractEvents({ abi: abiOf('BatchInbox'), address: inbox, eventName: 'BatchAppended', fromBlock: 0n });
  return logs.map((l) => ({ ...(l as unknown as { args: Omit<AppendedBatch, 'txHash'> }).args, txHash: l.transactionHash! }));
}

/** Batches on L1 form one chain: indices 0..n-1 once each, L2 ranges contiguous from block 1. */
export function expectContiguous(batches: AppendedBatch[]): void {
  let next = 1n;
  batches.forEach((b, i) => {
    if (b.batchIndex !== BigInt(i)) throw new Error(`L1 batch ${i} carries index ${b.batchIndex}: a gap or a duplicate`);
    if (b.l2StartBlock !== next) throw new Error(`L1 batch ${i} starts at L2 block ${b.l2StartBlock}, expected ${next}: a gap or an overlap`);
    next = b.l2EndBlock + 1n;
  });
}

export async function l1GroupKeys(dir: string): Promise<Hex[]> {
  const { l1, l2, inbox, pool, set } = chainsOf(dir);
  return Promise.all([
    l1.readContract({ abi: abiOf('BatchInbox'), address: inbox, functionName: 'groupKey' }) as Promise<Hex>,
    l1.readContract({ abi: abiOf('LockingPool'), address: pool, functionName: 'groupKey' }) as Promise<Hex>,
    l2.readContract({ abi: abiOf('SequencerSet'), address: set, functionName: 'groupKey' }) as Promise<Hex>,
  ]);
}

export async function l2CurrentEpochId(dir: string): Promise<bigint> {
  const { l2, set } = chainsOf(dir);
  return (await l2.readContract({ abi: abiOf('SequencerSet'), address: set, functionName: 'currentEpochId' })) as bigint;
}

/** The sidecar log lines of one home with message `msg`, parsed. */
export function sidecarLog(home: string, msg: string): Record<string, unknown>[] {
  const file = sidecarLogFile(home);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * The producer owing the next batch, if its epoch still has at least `minAhead` L2 blocks beyond the
 * attested head. Killing that one makes it stall: one whose in-flight requests already cover its
 * whole epoch hands over to the next epoch's producer without a re-span (and without a miss), which
 * measures nothing about failover.
 */
export async function owingProducerWithWorkAhead(client: PoolClient, minAhead: bigint) {
  const meta = await client.batchMeta();
  const owing = await client.batcherOf(meta.nextL2Start);
  const [epoch, current] = await Promise.all([client.epoch(owing.epochId), client.currentEpoch()]);
  return epoch.endL2 >= current.l2Head + minAhead ? { meta, owing } : undefined;
}
