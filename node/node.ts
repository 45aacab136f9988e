// `seqpool node start`: one app process for one CometBFT home. It opens the state database in
// HOME/seqpool/, serves ABCI where config.toml's proxy_app points, and shuts down cleanly on
// SIGINT/SIGTERM (the last Commit is already on disk, so a kill -9 loses nothing either).
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
import { byzantineExtensionHook, fakeL1EventSource } from './test-hooks.js';
import { readNodeConfig } from './node-config.js';
import { L1Listener } from '../bridge/listener.js';

export interface NodeOptions {
  home: string;
  /** Override config.toml's proxy_app. */
  abciAddress?: string;
  /** JSON file of synthetic observations to attest (until the bridge feeds real ones). */
  observationsFile?: string;
  maxFrameSize?: number;
  logger?: Logger;
}

export interface RunningNode {
  app: SeqpoolApp;
  server: AbciServer;
  /** The L1 bridge, when HOME/seqpool/node.json has an l1 section. */
  listener?: L1Listener;
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
  const dataDir = join(opts.home, 'seqpool');
  mkdirSync(dataDir, { recursive: true });
  const persistence = new LevelPersistence(join(dataDir, 'state'));
  await persistence.open();
  const observations = new CombinedObservationSource(log);
  if (opts.observationsFile) observations.add('file', new FileObservationSource(opts.observationsFile, log));
  const fake = fakeL1EventSource(config.l1, log);
  if (fake) observations.add('fake-l1', fake);
  let app: SeqpoolApp;
  let listener: L1Listener | undefined;
  try {
    app = await SeqpoolApp.open({
      persistence,
      logger: log.child({ component: 'app' }),
      observations,
      tamperVoteExtension: byzantineExtensionHook(log),
    });
    if (config.l1) {
      // The listener reads committed app state (which nonce comes next, what is settled), so it is
      // built after the app opened; until it has confirmed events, it simply offers nothing.
      listener = new L1Listener({ ...config.l1, dbPath: join(dataDir, 'bridge'), stateView: app.stakingView(), logger: log.child({ component: 'bridge' }) });
      await listener.start();
      observations.add('l1', listener);
    } else {
      log.info('no l1 section in HOME/seqpool/node.json: this node attests no L1 events');
    }
  } catch (e) {
    await listener?.stop();
    await persistence.close();
    throw e;
  }
  log.info({ home: opts.home, height: app.height.toString(), appHash: toHex(app.appHash) }, 'state loaded');
  const server = new AbciServer({ app, logger: log.child({ component: 'abci' }), maxFrameSize: opts.maxFrameSize });
  const bound = await server.listen(address);
  log.info({ address: bound }, 'ABCI server listening; waiting for cometbft');
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // The bridge first: its store must close before the process exits, and nothing needs it once
      // ABCI stops asking for extensions.
      await listener?.stop();
      await server.close();
      await persistence.close();
      log.info('node stopped');
    })());
  return { app, server, listener, address: bound, stop };
}
