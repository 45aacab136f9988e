// The node's L2 adapter (docs/l2.md), built from node.json's l2 section when it names an engine:
// the driver of this validator's geth (l2/driver.ts), its signed-block store (HOME/seqpool/l2),
// its block exchange server (l2.listen) and its peers (l2.peers), and the schedule read from the
// app's committed state (node/l2-schedule.ts). The validator key signs the blocks it builds.
import { join, resolve } from 'node:path';
import { createPublicClient, http } from 'viem';
import { loadValidatorKey } from '../cometbft-config/keys.js';
import type { Logger } from '../common/log.js';
import { PoolView, type PoolQuery } from '../bridge/pool-view.js';
import { L2BlockStore } from '../l2/block-store.js';
import { L2Driver, type L2DriverEvents } from '../l2/driver.js';
import { EngineClient } from '../l2/engine.js';
import { readJwtSecret } from '../l2/jwt.js';
import { HttpL2Peers } from '../l2/peers.js';
import { startL2Server, type L2Server } from '../l2/server.js';
import { ethAddressOf } from '../protocol/l1-signer.js';
import type { NodeConfig } from './node-config.js';
import { PoolL2Schedule } from './l2-schedule.js';
import { forcedQueueOf } from './forced-queue.js';
import { ForcedBuilder, type ForcedQueueSource } from '../l2/forced-builder.js';

export interface RunningL2 {
  driver: L2Driver;
  server: L2Server;
  /** This node's validated L2 head for ExtendVote; undefined until geth was brought to the store. */
  head(): bigint | undefined;
  stop(): Promise<void>;
}

export interface L2WiringOptions {
  home: string;
  dataDir: string;
  config: NodeConfig;
  query: PoolQuery;
  /** The app's committed height and its block time (unix seconds). */
  height: () => bigint;
  time: () => bigint;
  log: Logger;
  events?: L2DriverEvents;
  /** Wraps the forced-inclusion queue (NodeSeams.forcedQueue: test programs only). */
  forcedQueue?: (q: ForcedQueueSource) => ForcedQueueSource;
}

/** The L2 adapter, started; undefined when node.json has no l2.engineUrl. */
export async function startL2Adapter(o: L2WiringOptions): Promise<RunningL2 | undefined> {
  const l2 = o.config.l2;
  if (!l2?.engineUrl || !l2.jwtSecretFile || !l2.listen) return undefined;
  const log = o.log.child({ component: 'l2' });
  const key = loadValidatorKey(o.home);
  const engine = new EngineClient({ url: l2.engineUrl, secret: readJwtSecret(resolve(o.home, l2.jwtSecretFile)) });
  const store = new L2BlockStore(join(o.dataDir, 'l2'));
  await store.open();
  const l1 = o.config.l1 ? createPublicClient({ transport: http(o.config.l1.rpcUrl, { retryCount: 0, timeout: 5_000 }) }) : undefined;
  const schedule = new PoolL2Schedule({
    pool: new PoolView(o.query),
    height: o.height,
    time: o.time,
    ...(l1 ? { l1Finalized: async () => (await l1.getBlock({ blockTag: 'finalized' })).number ?? undefined } : {}),
  });
  const queue = forcedQueueOf(o.config);
  if (!queue) log.warn('no l1.batchInbox in node.json: this node builds no forced blocks, and the pool refuses its batches once a forced-inclusion entry is due');
  const pool = new PoolView(o.query);
  const dueSeconds = async () => (await pool.params())?.forcedDueSeconds ?? 0n;
  // A censoring test program wraps only what its producer builds from; as a follower it checks honestly.
  const l1StartBlock = BigInt(o.config.l1?.startBlock ?? 0);
  const forced = queue && new ForcedBuilder({ queue, rpc: engine, chainId: BigInt(l2.chainId), store, dueSeconds, l1StartBlock, logger: log });
  const building = queue && o.forcedQueue ? new ForcedBuilder({ queue: o.forcedQueue(queue), rpc: engine, chainId: BigInt(l2.chainId), store, dueSeconds, l1StartBlock, logger: log }) : forced;
  const driver = new L2Driver({
    ...(forced ? { forced } : {}),
    ...(building && building !== forced ? { forcedBuilding: building } : {}),
    engine,
    chainId: BigInt(l2.chainId),
    privKey: key.privKey,
    address: ethAddressOf(key.privKey),
    schedule,
    store,
    peers: new HttpL2Peers({ urls: l2.peers, logger: log }),
    sequencerSet: l2.sequencerSet as `0x${string}`,
    blockTimeMs: l2.blockTimeMs,
    logger: log,
    ...(o.events ? { events: o.events } : {}),
  });
  const i = l2.listen.lastIndexOf(':');
  let server: L2Server;
  try {
    server = await startL2Server({ driver, host: l2.listen.slice(0, i), port: Number(l2.listen.slice(i + 1)), logger: log });
  } catch (e) {
    await store.close();
    throw e;
  }
  driver.start();
  log.info({ engine: l2.engineUrl, exchange: server.url, peers: l2.peers.length, producer: ethAddressOf(key.privKey) }, 'L2 adapter started');
  return {
    driver,
    server,
    head: () => (driver.ready ? driver.head().number : undefined),
    stop: async () => {
      await server.close();
      await driver.stop();
      await store.close();
    },
  };
}
