// `seqpool node start`: one app process for one CometBFT home. It opens the state database in
// HOME/seqpool/, serves ABCI where config.toml's proxy_app points, runs the bridge tasks node.json
// asks for (node/bridge-wiring.ts) and shuts down cleanly on SIGINT/SIGTERM (the last Commit is
// already on disk, so a kill -9 loses nothing either). With node.json metrics, it serves Prometheus
// /metrics on its own port (node/metrics.ts) and times the app's ABCI methods (node/abci-metrics.ts).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { AbciServer } from '../abci/server.js';
import { SeqpoolApp } from '../app/app.js';
import { toHex } from '../common/bytes.js';
import { createLogger, type Logger } from '../common/log.js';
import { LevelPersistence } from './level-persistence.js';
import { FileObservationSource } from './observation-file.js';
import { CombinedObservationSource } from './combined-observations.js';
import { nodeConfigFile, readNodeConfig } from './node-config.js';
import type { L1Listener } from '../bridge/listener.js';
import type { L2HeadSource } from '../bridge/l2-head-source.js';
import type { L2PayloadSource } from '../protocol/batch-data.js';
import type { ObservationSource } from '../protocol/observations.js';
import { appQuery } from '../bridge/pool-view.js';
import { startGateway, type Gateway } from './gateway.js';
import { forcedQueueOf } from './forced-queue.js';
import { readRpcUrl } from './chain-watch.js';
import { startBridge, startL2Head, wakeOnCommit, type RunningBridge } from './bridge-wiring.js';
import { startL2Adapter, type RunningL2 } from './l2-wiring.js';
import type { ForcedQueueSource } from '../l2/forced-builder.js';
import { NodeMetrics } from './metrics.js';
import { meteredApp } from './abci-metrics.js';
import { startMetricsServer, type MetricsServer } from '../common/metrics-server.js';
import { loadValidatorKey, PRIV_VALIDATOR_KEY_FILE } from '../cometbft-config/keys.js';

export interface NodeOptions {
  home: string;
  /** Override config.toml's proxy_app. */
  abciAddress?: string;
  /** JSON file of synthetic observations to attest (until the bridge feeds real ones). */
  observationsFile?: string;
  maxFrameSize?: number;
  logger?: Logger;
  /** For a program that embeds the node and wraps its parts; the `seqpool` command sets none. */
  seams?: NodeSeams;
}

/**
 * Where an embedding program may wrap the production parts of a node. The integration tests'
 * byzantine validators are such programs (test/entry/): byzantine behaviour lives in test code and
 * no environment variable or flag of the shipped binary can make a node misbehave.
 */
export interface NodeSeams {
  /** Further sources of observations this node attests, by name. */
  observations?: Record<string, ObservationSource>;
  /** Rewrites this node's vote extension after the app built it. */
  voteExtension?: (honest: Uint8Array) => Uint8Array;
  /** Wraps the L2 reader the batcher derives a batch's data from. */
  batcherL2?: (l2: L2PayloadSource) => L2PayloadSource;
  /** Wraps the forced-inclusion queue the L2 adapter builds forced blocks from. */
  forcedQueue?: (q: ForcedQueueSource) => ForcedQueueSource;
}

export interface RunningNode {
  app: SeqpoolApp;
  server: AbciServer;
  /** The L1 listener, when HOME/seqpool/node.json has an l1 section. */
  listener?: L1Listener;
  /** The L2 head source, when node.json has an l2 section without an engine. */
  l2Head?: L2HeadSource;
  /** The L2 adapter driving this validator's geth, when node.json has l2.engineUrl. */
  l2?: RunningL2;
  /** Every bridge task (listener, batcher, submitter, relayer). */
  bridge?: RunningBridge;
  /** The REST gateway, when node.json has a gateway section. */
  gateway?: Gateway;
  /** http://host:port/metrics, when node.json has a metrics section. */
  metricsUrl?: string;
  address: string;
  stop(): Promise<void>;
}

/** proxy_app of a CometBFT home, the address our ABCI server must listen on. */
export function readProxyApp(home: string): string {
  const file = join(home, 'config', 'config.toml');
  if (!existsSync(file)) throw new Error(`${file} not found: --home must be a CometBFT home (generate one with \`seqpool localnet up\`)`);
  const config = parseToml(readFileSync(file, 'utf8')) as { proxy_app?: unknown };
  if (typeof config.proxy_app !== 'string' || !/^(tcp|unix):\/\//.test(config.proxy_app)) {
    throw new Error(`${file}: proxy_app must be tcp://host:port or unix:///path, got ${JSON.stringify(config.proxy_app)}`);
  }
  return config.proxy_app;
}

export async function startNode(opts: NodeOptions): Promise<RunningNode> {
  const log = opts.logger ?? createLogger('node');
  const address = opts.abciAddress ?? readProxyApp(opts.home);
  const config = readNodeConfig(opts.home); // before opening anything: a bad file fails fast
  const metrics = config.metrics ? new NodeMetrics({ l1: config.l1 !== undefined, l2: config.l2 !== undefined, confirmations: config.l1?.confirmations }) : undefined;
  const dataDir = join(opts.home, 'seqpool');
  mkdirSync(dataDir, { recursive: true });
  const persistence = new LevelPersistence(join(dataDir, 'state'));
  await persistence.open();
  const observations = new CombinedObservationSource(log);
  if (opts.observationsFile) observations.add('file', new FileObservationSource(opts.observationsFile, log));
  for (const [name, source] of Object.entries(opts.seams?.observations ?? {})) observations.add(name, source);
  let app: SeqpoolApp;
  let l2Head: L2HeadSource | undefined;
  let l2: RunningL2 | undefined;
  let bridge: RunningBridge | undefined;
  try {
    l2Head = config.l2?.engineUrl ? undefined : await startL2Head(config, log);
    const head = l2Head ? () => l2Head!.current() : config.l2?.engineUrl ? () => l2?.head() : undefined;
    app = await SeqpoolApp.open({
      persistence,
      logger: log.child({ component: 'app' }),
      observations,
      ...(opts.seams?.voteExtension ? { tamperVoteExtension: opts.seams.voteExtension } : {}),
      // ExtendVote reports this node's L2 head (docs/pool.md "L2 head"); undefined = unknown.
      l2Head: head,
    });
    const running = app;
    l2 = await startL2Adapter({
      home: opts.home,
      dataDir,
      config,
      query: appQuery(app),
      height: () => running.height,
      time: () => running.blockTime,
      log,
      ...(metrics?.l2Driver ? { events: metrics.l2Driver } : {}),
      ...(opts.seams?.forcedQueue ? { forcedQueue: opts.seams.forcedQueue } : {}),
    });
    // The bridge reads committed app state (which nonce comes next, what is settled, who produces),
    // so it is built after the app opened; until there is work, it simply offers and sends nothing.
    bridge = await startBridge({
      home: opts.home,
      dataDir,
      config,
      query: appQuery(app),
      // BatchMeta.finalized: BatchAppended observations are offered in the app's L1 order.
      stakingView: app.stakingView(),
      log,
      ...(opts.seams?.batcherL2 ? { batcherL2: opts.seams.batcherL2 } : {}),
      ...(metrics ? { metrics } : {}),
    });
    if (bridge.listener) observations.add('l1', bridge.listener);
    app.onCommit(wakeOnCommit(bridge));
    if (metrics) {
      const running = bridge;
      const keyFile = join(opts.home, PRIV_VALIDATOR_KEY_FILE);
      metrics.sources = {
        app,
        listener: () => running.listener?.status(),
        l2Head: () => head?.(),
        txPending: () => running.senders.map(({ chain, sender }) => ({ chain, pending: sender.pendingJobs().length })),
        ...(existsSync(keyFile) ? { self: toHex(loadValidatorKey(opts.home).address).toUpperCase() } : {}),
      };
    }
  } catch (e) {
    await bridge?.stop();
    await l2?.stop();
    await l2Head?.stop();
    await persistence.close();
    throw e;
  }
  log.info({ home: opts.home, height: app.height.toString(), appHash: toHex(app.appHash) }, 'state loaded');
  const server = new AbciServer({ app: metrics ? meteredApp(app, metrics) : app, logger: log.child({ component: 'abci' }), maxFrameSize: opts.maxFrameSize });
  let bound: string;
  let gateway: Gateway | undefined;
  let metricsServer: MetricsServer | undefined;
  try {
    bound = await server.listen(address);
    if (config.gateway) {
      const [host, port] = splitHostPort(config.gateway.listen);
      const cometRpc = readRpcUrl(opts.home); // for the dashboard's missed votes, block times and node health
      const forcedQueue = forcedQueueOf(config); // the gateway's own reader of BatchInbox's queue, for /forced-queue
      gateway = await startGateway({ query: appQuery(app), host, port, logger: log.child({ component: 'gateway' }), ...(cometRpc ? { cometRpc } : {}), ...(forcedQueue ? { forcedQueue } : {}) });
      log.info({ url: gateway.url }, 'REST gateway listening');
    }
    if (metrics && config.metrics) {
      metricsServer = await startMetricsServer({ registry: metrics.registry, listen: config.metrics.listen, what: 'node', configFile: nodeConfigFile(opts.home), logger: log.child({ component: 'metrics' }) });
      log.info({ url: metricsServer.url }, 'metrics listening');
    }
  } catch (e) {
    await gateway?.close();
    await server.close().catch(() => undefined);
    await bridge.stop();
    await l2?.stop();
    await l2Head?.stop();
    await persistence.close();
    throw e;
  }
  log.info({ address: bound }, 'ABCI server listening; waiting for cometbft');
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // The bridge first: its stores must close before the process exits, and nothing needs it once
      // ABCI stops asking for extensions.
      await gateway?.close();
      await metricsServer?.close();
      await bridge?.stop();
      await l2?.stop();
      await l2Head?.stop();
      await server.close();
      await persistence.close();
      log.info('node stopped');
    })());
  return { app, server, listener: bridge?.listener, l2Head, ...(l2 ? { l2 } : {}), bridge, gateway, ...(metricsServer ? { metricsUrl: metricsServer.url } : {}), address: bound, stop };
}

function splitHostPort(listen: string): [string, number] {
  const i = listen.lastIndexOf(':');
  const port = Number(listen.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`node.json gateway.listen ${JSON.stringify(listen)} must be host:port`);
  return [listen.slice(0, i), port];
}
