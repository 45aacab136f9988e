// The node's bridge tasks (docs/bridge.md), built from HOME/seqpool/node.json and the validator key:
//   - L2HeadSource (l2 section): the L2 head for ExtendVote; created before the app opens.
//   - L1Listener (l1 section): LockingPool staking events and, with l1.batchInbox, BatchAppended.
//   - Batcher (l2 section): requests batch signatures while this validator is the producer.
//   - L1BatchSubmitter (l1.batchInbox): appendBatch for signed batches.
//   - Relayer: commitEpoch/recommitEpoch to L2 (l2 section), distributeRewards/slash to L1 (l1 section).
// Everything that signs uses HOME/config/priv_validator_key.json (decision 3: one key for CometBFT, L1
// and L2). Each EVM account has its own submitter database under HOME/seqpool/.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicClient, http, type Hex, type PublicClient } from 'viem';
import { parse as parseToml } from 'smol-toml';
import { loadValidatorKey, PRIV_VALIDATOR_KEY_FILE, type ValidatorKey } from '../cometbft-config/keys.js';
import { toHex } from '../common/bytes.js';
import type { CommitListener } from '../app/app.js';
import type { Logger } from '../common/log.js';
import { L1Listener } from '../bridge/listener.js';
import { L2HeadSource } from '../bridge/l2-head-source.js';
import { PoolView, type PoolQuery } from '../bridge/pool-view.js';
import { CometRpc } from '../protocol/comet-rpc.js';
import { Batcher } from '../bridge/batcher.js';
import type { L2PayloadSource } from '../protocol/batch-data.js';
import { L2PayloadReader } from '../protocol/l2-payload-reader.js';
import { ethAddressOf } from '../protocol/l1-signer.js';
import { EvmTxSender } from '../bridge/evm-tx-sender.js';
import { L1BatchSubmitter } from '../bridge/l1-submitter.js';
import { Relayer } from '../bridge/relayer.js';
import type { StakingStateView } from '../protocol/staking-state-view.js';
import type { NodeConfig } from './node-config.js';
import { forcedQueueOf } from './forced-queue.js';
import type { NodeMetrics } from './metrics.js';

/** The L2 head source for SeqpoolApp's `l2Head`, started (it polls once before returning). */
export async function startL2Head(config: NodeConfig, log: Logger): Promise<L2HeadSource | undefined> {
  if (!config.l2) {
    log.info('no l2 section in HOME/seqpool/node.json: this node reports no L2 head, builds no batches and relays no epochs');
    return undefined;
  }
  const src = new L2HeadSource({ rpcUrl: config.l2.rpcUrl, chainId: config.l2.chainId, pollIntervalMs: config.l2.pollIntervalMs, logger: log.child({ component: 'l2-head' }) });
  await src.start();
  return src;
}

/** The CometBFT RPC URL this node sends its txs to: node.json cometRpcUrl, else config.toml [rpc] laddr. */
export function cometRpcUrl(home: string, config: NodeConfig): string {
  if (config.cometRpcUrl) return config.cometRpcUrl;
  const file = join(home, 'config', 'config.toml');
  const toml = existsSync(file) ? (parseToml(readFileSync(file, 'utf8')) as { rpc?: { laddr?: unknown } }) : {};
  const laddr = toml.rpc?.laddr;
  if (typeof laddr !== 'string' || !/^tcp:\/\/[^:]+:[0-9]+$/.test(laddr)) {
    throw new Error(`${file}: [rpc] laddr must be tcp://host:port (got ${JSON.stringify(laddr)}); or set cometRpcUrl in HOME/seqpool/node.json`);
  }
  // A wildcard listen address is reached on loopback.
  return laddr.replace(/^tcp:\/\//, 'http://').replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//127.0.0.1:');
}

export interface BridgeWiringOptions {
  home: string;
  dataDir: string;
  config: NodeConfig;
  query: PoolQuery;
  stakingView: StakingStateView;
  log: Logger;
  /** Wraps the batcher's L2 reader (NodeSeams.batcherL2). */
  batcherL2?: (l2: L2PayloadSource) => L2PayloadSource;
  /** Where the EVM tx senders report (node.json metrics). */
  metrics?: NodeMetrics;
}

export interface RunningBridge {
  listener?: L1Listener;
  batcher?: Batcher;
  l1Submitter?: L1BatchSubmitter;
  relayer?: Relayer;
  /** This validator's Ethereum address (L1 and L2 signer), when a validator key was found. */
  ethAddress?: Hex;
  /** The EVM tx senders (L1: batches, rewards, slashes; L2: epochs), for their pending txs. */
  senders: { chain: 'L1' | 'L2'; sender: EvmTxSender }[];
  stop(): Promise<void>;
}

/**
 * What a committed block wakes (the in-process app calls this after each Commit) so the bridge acts
 * within the block instead of at its next poll: the batcher follows every block (the attested L2
 * head, its requests' inclusion, who produces after a re-span); the L1 submitter and the relayer act
 * on new signatures. Their intervals stay as the fallback.
 */
export function wakeOnCommit(b: RunningBridge): CommitListener {
  return (_height, eventTypes) => {
    b.batcher?.poke();
    if (eventTypes.includes('sign_completed')) {
      b.l1Submitter?.poke();
      b.relayer?.poke();
    }
  };
}

export async function startBridge(o: BridgeWiringOptions): Promise<RunningBridge> {
  const { config, log } = o;
  const stops: (() => Promise<void>)[] = [];
  const running: RunningBridge = { senders: [], stop: async () => {
    // Reverse start order: loops before the databases they write.
    for (const s of stops.reverse()) await s().catch((e: unknown) => log.error({ err: (e as Error).message }, 'bridge task did not stop cleanly'));
    stops.length = 0;
  } };
  try {
    if (config.l1) {
      const listener = new L1Listener({ ...config.l1, dbPath: join(o.dataDir, 'bridge'), stateView: o.stakingView, logger: log.child({ component: 'bridge' }) });
      await listener.start();
      stops.push(() => listener.stop());
      running.listener = listener;
    } else {
      log.info('no l1 section in HOME/seqpool/node.json: this node attests no L1 events and submits nothing to L1');
    }
    if (!config.l1 && !config.l2) return running;

    const key = readKey(o.home, log);
    if (!key) return running;
    const privateKey = `0x${toHex(key.privKey)}` as Hex;
    running.ethAddress = ethAddressOf(key.privKey);
    const pool = new PoolView(o.query);
    log.info({ ethAddress: running.ethAddress, validator: toHex(key.address).toUpperCase() }, 'bridge signs L1/L2 txs with the validator key');

    let l1Sender: EvmTxSender | undefined;
    let l2Sender: EvmTxSender | undefined;
    if (config.l1) {
      const s = new EvmTxSender({ label: 'L1', rpcUrl: config.l1.rpcUrl, chainId: config.l1.chainId, privateKey, dbPath: join(o.dataDir, 'l1-tx'), logger: log.child({ component: 'l1-tx' }), ...(o.metrics ? { observe: o.metrics.txSender('L1') } : {}) });
      await s.open();
      stops.push(() => s.close());
      running.senders.push({ chain: 'L1', sender: s });
      l1Sender = s;
    }
    if (config.l2) {
      const s = new EvmTxSender({ label: 'L2', rpcUrl: config.l2.rpcUrl, chainId: config.l2.chainId, privateKey, dbPath: join(o.dataDir, 'l2-tx'), logger: log.child({ component: 'l2-tx' }), ...(o.metrics ? { observe: o.metrics.txSender('L2') } : {}) });
      await s.open();
      stops.push(() => s.close());
      running.senders.push({ chain: 'L2', sender: s });
      l2Sender = s;

      const l2Client: L2PayloadSource = new L2PayloadReader(config.l2.rpcUrl, 15_000);
      const comet = new CometRpc(cometRpcUrl(o.home, config));
      const forced = forcedQueueOf(config);
      const batcher = new Batcher({
        pool,
        l2: o.batcherL2 ? o.batcherL2(l2Client) : l2Client,
        broadcast: (tx) => comet.broadcastTx(tx),
        privKey: key.privKey,
        ...(forced ? { forcedQueue: forced } : {}),
        logger: log.child({ component: 'batcher' }),
      });
      batcher.start();
      stops.push(() => batcher.stop());
      running.batcher = batcher;
      log.info({ cometRpc: comet.url }, 'batcher started: it requests batch signatures while this validator produces');
    }
    if (config.l1?.batchInbox && l1Sender) {
      const sub = new L1BatchSubmitter({ sender: l1Sender, batchInbox: config.l1.batchInbox as Hex, pool, ...(config.l2?.rpcUrl ? { l2: new L2PayloadReader(config.l2.rpcUrl, 15_000) } : {}), logger: log.child({ component: 'l1-submitter' }) });
      sub.start();
      stops.push(() => sub.stop());
      running.l1Submitter = sub;
    } else if (config.l1) {
      log.warn('l1.batchInbox is not set in HOME/seqpool/node.json: this node neither attests BatchAppended nor submits batches to L1');
    }
    const relayer = new Relayer({
      pool,
      address: running.ethAddress,
      l2: l2Sender && config.l2 ? { sender: l2Sender, sequencerSet: config.l2.sequencerSet as Hex } : undefined,
      l1: l1Sender && config.l1 ? { sender: l1Sender, lockingPool: config.l1.lockingPool as Hex } : undefined,
      logger: log.child({ component: 'relayer' }),
    });
    relayer.start();
    stops.push(() => relayer.stop());
    running.relayer = relayer;
    return running;
  } catch (e) {
    await running.stop();
    throw e;
  }
}

function readKey(home: string, log: Logger): ValidatorKey | undefined {
  const file = join(home, PRIV_VALIDATOR_KEY_FILE);
  if (!existsSync(file)) {
    log.warn({ file }, 'no validator key: this node builds no batches and relays nothing (a non-validator node only attests)');
    return undefined;
  }
  return loadValidatorKey(home);
}
