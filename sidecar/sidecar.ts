// The MPC sidecar process: follows its node's committed state, keeps the channel's allowlist on the
// current key members and session parties, binds its peer id on chain, drives key sessions
// (keygen.ts) and signing (signing.ts). startSidecar() wires it from a HOME (the CLI) or from
// injected parts (tests: a fake chain, an in-memory transport, a fake L2).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { fromHex, toHex } from '../common/bytes.js';
import { createLogger, type Logger } from '../common/log.js';
import { pubKeyToAddress, publicKeyOf } from '../common/secp.js';
import { loadValidatorKey } from '../cometbft-config/keys.js';
import { equalBytes, open } from '../mpc/envelope.js';
import { IdentityKey } from '../mpc/identity.js';
import { MpcChannel } from './net/channel.js';
import { LevelShareVault, type ShareVault } from './store/share-vault.js';
import type { ScryptParams } from './store/secret-box.js';
import { Approver, CATCH_UP_MS, type ForcedInclusionDeps, type L2PayloadSource } from './approval.js';
import { forcedInclusionView } from './forced-view.js';
import { L2PayloadReader } from '../protocol/l2-payload-reader.js';
import { AbciPath, parseBatchData } from '../protocol/views/index.js';
import { CometRpc } from '../protocol/comet-rpc.js';
import { CometFollower, type ChainClient, type HeightSource } from './chain.js';
import { keyPackage, decodeKey, decodePending, decodeSession, decodeValidator, type DecodedKey, type DecodedSession, type DecodedValidator } from './chain-view.js';
import { CONFIG_FILE, loadSidecarConfig, parseSidecarConfig, SIDECAR_DIR, sidecarPassphrase, type SidecarConfig } from './config.js';
import { FileDealtLog, type DealtLog } from './dealt-log.js';
import { KeygenDriver } from './keygen.js';
import { SidecarMetrics } from './metrics.js';
import { startMetricsServer, type MetricsServer } from '../common/metrics-server.js';
import { PeerBinder } from './peer-binding.js';
import { SigningDriver } from './signing.js';
import type { Transport, TransportPeer } from './transport.js';
import { PoolTxSender } from './pool-tx-sender.js';

export interface SidecarOptions {
  /** CometBFT home: config from HOME/sidecar/sidecar.json, key from HOME/config/priv_validator_key.json, stores under HOME/sidecar. */
  home?: string;
  /** Config overrides (or the whole config when there is no home). */
  config?: Partial<SidecarConfig>;
  /** The validator's secp256k1 private key (default: from HOME). */
  privKey?: Uint8Array;
  /** Key-store passphrase (default: SEQPOOL_KEY_PASSPHRASE or passphraseFile). */
  passphrase?: string;
  /** Where keys/, nonces/, sessions/ and peer-key live (default HOME/sidecar). */
  dataDir?: string;
  /** The node (default: CometRpc at cometRpcUrl). */
  chain?: ChainClient;
  /** New committed heights (default: WebSocket NewBlock + status poll at cometRpcUrl). */
  heights?: HeightSource;
  /** The private channel (default: sidecar/net MpcChannel listening on `listen`). */
  transport?: Transport;
  /** L2 block hashes (default: viem on l2RpcUrl). */
  l2?: L2PayloadSource;
  /** The forced-inclusion view (default: from sidecar.json's l1 section and l2RpcUrl; none without them). */
  forced?: ForcedInclusionDeps;
  /** Where our key shares and nonces live (default: LevelShareVault, keys/ and nonces/ under dataDir);
   * the sidecar only asks it for commitments, signature shares, dealings and public packages. */
  vault?: ShareVault;
  dealtLog?: DealtLog;
  /** scrypt cost of the encrypted stores (tests use a cheap one). */
  scrypt?: ScryptParams;
  logger?: Logger;
  /**
   * Wraps the channel (the injected one or the default): for a program that embeds the sidecar, such
   * as the integration tests' byzantine sidecars (test/entry/). The `seqpool` command sets none, and
   * no flag or environment variable of the shipped binary makes a sidecar misbehave (decision 32).
   */
  wrapTransport?: (transport: Transport) => Transport;
  now?: () => number;
  /** Keep the on-chain peer binding equal to the channel, re-binding when it is missing or differs (default true). */
  bindPeer?: boolean;
}

export interface SidecarStatus {
  height: bigint;
  address: string;
  peerId: string;
  keyEpoch: number | undefined;
  sessions: string[];
  signed: number;
  bound: boolean;
}

export interface RunningSidecar {
  readonly address: string;
  readonly identity: Uint8Array;
  readonly peerId: string;
  status(): SidecarStatus;
  /** Resolves once a committed height >= h has been processed. */
  waitForHeight(h: bigint): Promise<void>;
  stop(): Promise<void>;
}

export { bindableAddrs } from './peer-binding.js';

async function defaultTransport(privDir: string, cfg: SidecarConfig, logger: Logger): Promise<Transport> {
  return MpcChannel.create({ peerKeyFile: join(privDir, 'peer-key'), listen: cfg.listen, logger: logger.child({ part: 'channel' }), maxMessageBytes: cfg.maxMessageBytes });
}

export async function startSidecar(opts: SidecarOptions): Promise<RunningSidecar> {
  const log = opts.logger ?? createLogger('seqpool-sidecar');
  const home = opts.home;
  const base = home ? loadSidecarConfig(home) : { ...parseSidecarConfig({}), cometRpcUrl: 'http://127.0.0.1:26657' };
  const cfg: SidecarConfig = { ...base, ...opts.config } as SidecarConfig;
  const dataDir = opts.dataDir ?? (home ? join(home, SIDECAR_DIR) : undefined);
  if (!dataDir && (!opts.vault || !opts.dealtLog || !opts.transport)) throw new Error('startSidecar needs `home` or `dataDir` (or an injected vault, dealt log and transport)');
  if (dataDir) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const privKey = opts.privKey ?? (home ? loadValidatorKey(home).privKey : undefined);
  if (!privKey) throw new Error('startSidecar needs `home` (for config/priv_validator_key.json) or `privKey`');
  const identity = IdentityKey.fromSecretKey(privKey);
  const pubKey = publicKeyOf(privKey);
  const address = toHex(pubKeyToAddress(pubKey)).toUpperCase();

  const passphrase = opts.vault ? '' : (opts.passphrase ?? sidecarPassphrase(home ?? dataDir!, cfg));
  const vault = opts.vault ?? (await LevelShareVault.open({ keys: join(dataDir!, 'keys'), nonces: join(dataDir!, 'nonces') }, passphrase, opts.scrypt));
  const dealt = opts.dealtLog ?? new FileDealtLog(join(dataDir!, 'sessions'));
  const chain = opts.chain ?? new CometRpc(cfg.cometRpcUrl);
  const l2Reader = cfg.l2RpcUrl ? new L2PayloadReader(cfg.l2RpcUrl) : undefined;
  const l2 = opts.l2 ?? l2Reader;
  if (!l2) log.warn('no l2RpcUrl in sidecar.json: appendBatch sign requests will be refused (they cannot be checked against L2)');
  const forced = opts.forced ?? (cfg.l1 && l2Reader ? forcedInclusionView(cfg.l1, l2Reader, chain) : undefined);
  if (l2 && !forced) log.warn('no l1 section in sidecar.json: appendBatch sign requests will be refused (their forced inclusion cannot be checked)');
  let transport: Transport;
  let channel: Transport | undefined;
  let metricsServer: MetricsServer | undefined;
  const metrics = cfg.metrics ? new SidecarMetrics() : undefined;
  try {
    transport = channel = opts.transport ?? (await defaultTransport(dataDir!, cfg, log));
    if (opts.wrapTransport) transport = opts.wrapTransport(transport);
    if (metrics && cfg.metrics) {
      const configFile = home ? join(home, SIDECAR_DIR, CONFIG_FILE) : CONFIG_FILE;
      metricsServer = await startMetricsServer({ registry: metrics.registry, listen: cfg.metrics.listen, what: 'sidecar', configFile, logger: log });
      log.info({ url: metricsServer.url }, 'metrics listening');
    }
  } catch (e) {
    if (!opts.transport) await channel?.stop().catch(() => undefined);
    if (!opts.vault) await vault.close();
    throw e;
  }
  const heights = opts.heights ?? new CometFollower({ rpc: chain, rpcUrl: cfg.cometRpcUrl, pollMs: cfg.pollIntervalMs, logger: log });
  const sender = new PoolTxSender(chain, privKey, log);
  const binder = opts.bindPeer === false ? undefined : new PeerBinder({ transport, sender, address: pubKeyToAddress(pubKey), logger: log.child({ part: 'peer-binding' }), ...(cfg.announce ? { announce: cfg.announce } : {}) });

  const readKeyAndPending = async (): Promise<{ key: DecodedKey | undefined; pending: ReturnType<typeof decodePending> }> => {
    const [k, p] = await Promise.all([chain.query('/mpc/key'), chain.query('/sign/pending')]);
    return { key: k ? decodeKey(k.value) : undefined, pending: p ? decodePending(p.value) : [] };
  };
  const packageOf = async (key: DecodedKey) => keyPackage(key, key.commitments ? undefined : (await vault.held(key.keyId, key.keyEpoch))?.public.commitments);

  // Resolved at each new committed height (below), for the approver's catch-up.
  let commitSignals: (() => void)[] = [];
  const approver = new Approver({
    l2,
    forced,
    batchData: async (index) => {
      const a = await chain.query(AbciPath.batchData(index));
      return a ? fromHex(parseBatchData(a.value).data.slice(2)) : undefined;
    },
    logger: log.child({ part: 'approval' }),
    catchUpMs: Math.min(CATCH_UP_MS, Math.floor(cfg.roundTimeoutMs * 0.6)),
    nextCommit: () => new Promise<void>((resolve) => commitSignals.push(resolve)),
    readPending: async () => {
      const { key, pending } = await readKeyAndPending();
      return key ? { pkg: await packageOf(key), requests: pending } : undefined;
    },
  });
  const publish = async (envelope: Uint8Array, what: string): Promise<void> => {
    const b = open(envelope).body;
    const r = await sender.send({ mpcPublic: { session: b.session, envelope } }, what);
    if (r.code !== 0) log.warn({ what, code: r.code, log: r.log }, 'MpcPublic tx rejected');
  };
  const keygen = new KeygenDriver({
    identity,
    chain,
    vault,
    dealt,
    publish,
    sendPrivate: (to, env) => transport.send(to, env),
    logger: log,
    ...(metrics ? { onSessionClosed: (kind: string, outcome: Parameters<SidecarMetrics['sessionClosed']>[1], ms: number | undefined) => metrics.sessionClosed(kind, outcome, ms) } : {}),
  });
  const signing = new SigningDriver({
    identity,
    vault,
    approver,
    send: (to, env) => transport.send(to, env),
    submit: (msg, what) => sender.send(msg, what),
    roundTimeoutMs: cfg.roundTimeoutMs,
    ...(opts.now ? { now: opts.now } : {}),
    logger: log,
    ...(metrics ? { observe: metrics.signing() } : {}),
  });

  // Channel messages: open (signature check) and route by payload.
  transport.onMessage((from, envelope) => {
    let o: ReturnType<typeof open>;
    try {
      o = open(envelope);
    } catch (e) {
      log.debug({ from: bytesToHex(from).slice(0, 16), err: (e as Error).message }, 'unopenable channel message dropped');
      return;
    }
    if (!equalBytes(o.body.sender, from)) {
      log.debug({ from: bytesToHex(from).slice(0, 16) }, 'channel message signed by another identity than its sender peer; dropped');
      return;
    }
    if (o.body.payload === 'share') keygen.onPrivate(bytesToHex(o.body.session), envelope);
    else void signing.onMessage(o).catch((e: unknown) => log.warn({ err: (e as Error).message }, 'signing message handling failed'));
  });

  // ---- the per-height loop ----
  let processed = 0n;
  let latest = 0n;
  let latestSeenAt = 0;
  let running: Promise<void> | undefined;
  let stopped = false;
  let keyEpoch: number | undefined;
  let lastPeers = '';
  const waiters: { h: bigint; resolve: () => void }[] = [];

  const syncPeers = async (key: DecodedKey | undefined, session: DecodedSession | undefined, validators: DecodedValidator[]) => {
    const wanted = new Map<string, Uint8Array>();
    for (const m of key?.members ?? []) wanted.set(bytesToHex(m.identity), m.identity);
    if (session && session.status === 'open') for (const m of [...session.dealers, ...session.receivers]) wanted.set(bytesToHex(m.identity), m.identity);
    wanted.delete(bytesToHex(pubKey));
    const byKey = new Map(validators.map((v) => [bytesToHex(v.pubKey), v]));
    const peers: TransportPeer[] = [];
    for (const [hex, identity] of wanted) {
      let v = byKey.get(hex);
      if (!v) {
        const a = await chain.query(`/validator/${toHex(pubKeyToAddress(identity))}`);
        if (a) v = decodeValidator(a.value);
      }
      if (v?.peer && v.peer.addrs.length) peers.push({ peerId: v.peer.peerId, addrs: v.peer.addrs, identity });
    }
    peers.sort((a, b) => a.peerId.localeCompare(b.peerId));
    const sig = JSON.stringify(peers.map((p) => [p.peerId, p.addrs, bytesToHex(p.identity)]));
    if (sig !== lastPeers) {
      let admitted = peers;
      try {
        transport.setPeers(peers);
      } catch (e) {
        // One bad binding (an unparsable peer id) must not keep every other peer out: admit the good ones.
        log.warn({ err: (e as Error).message }, 'channel refused the peer list; admitting the peers it accepts one by one');
        admitted = peers.filter((p) => {
          try {
            transport.setPeers([p]);
            return true;
          } catch {
            return false;
          }
        });
        transport.setPeers(admitted);
      }
      lastPeers = sig;
      log.info({ peers: admitted.length, wanted: wanted.size }, 'channel allowlist updated');
    }
  };

  /**
   * Identities (hex) of the key's members whose validators signed the canonical commit of the block
   * before `height` (the one block `height` carries: the latest height's own commit is only the votes
   * our node had seen), if the node says.
   */
  const commitMembers = async (height: bigint, key: DecodedKey): Promise<Set<string> | undefined> => {
    if (!chain.commitSigners || height < 2n) return undefined;
    const signed = new Set(await chain.commitSigners(height - 1n).catch(() => undefined));
    if (!signed.size) return undefined;
    return new Set(key.members.filter((m) => signed.has(toHex(pubKeyToAddress(m.identity)).toUpperCase())).map((m) => bytesToHex(m.identity)));
  };

  const step = async (height: bigint, seenAt: number): Promise<void> => {
    const [cur, vals, kp] = await Promise.all([chain.query('/mpc/session/current'), chain.query('/validators'), readKeyAndPending()]);
    const session = cur ? decodeSession(cur.value) : undefined;
    const validators = vals && Array.isArray(vals.value) ? (vals.value as unknown[]).flatMap((v) => { try { return [decodeValidator(v)]; } catch { return []; } }) : [];
    const { key, pending } = kp;
    let me = validators.find((v) => v.address === address);
    if (!me && binder?.wantsRecord(height, key?.keyEpoch)) {
      const a = await chain.query(`/validator/${address}`);
      if (a) me = decodeValidator(a.value);
    }
    // Signing first: a coordinator starts its runs, and participants know the new requests, before
    // the bookkeeping below (peer list, key sessions) spends its queries. Only when the key epoch
    // changed does signing wait for the key session to have stored our new share.
    const pkg = key ? await packageOf(key) : undefined;
    if (pkg) approver.update(pkg, pending);
    const sameKey = key !== undefined && key.keyEpoch === keyEpoch;
    if (sameKey) await signing.onHeight(height, key, pkg, pending, seenAt, pending.length && key ? await commitMembers(height, key) : undefined);
    await binder?.onHeight(height, me, key?.keyEpoch);
    await syncPeers(key, session, validators);
    await keygen.onHeight(height, session, key);
    if (key && key.keyEpoch !== keyEpoch) {
      keyEpoch = key.keyEpoch;
      log.info({ keyEpoch, threshold: key.threshold, members: key.members.length, groupKey: toHex(key.groupKey) }, 'key epoch on chain');
    }
    if (!sameKey) await signing.onHeight(height, key, pkg, pending, seenAt);
  };

  const pump = (): void => {
    if (running || stopped || latest <= processed) return;
    const h = latest;
    const seenAt = latestSeenAt;
    running = step(h, seenAt)
      .then(() => {
        processed = h;
        for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.h <= h) waiters.splice(i, 1)[0]!.resolve();
      })
      .catch((e: unknown) => log.warn({ height: h.toString(), err: (e as Error).message }, 'processing a committed height failed; retrying at the next one'))
      .finally(() => {
        running = undefined;
        pump();
      });
  };
  heights.start((h) => {
    const signals = commitSignals;
    commitSignals = [];
    for (const s of signals) s();
    latest = h;
    latestSeenAt = (opts.now ?? Date.now)();
    pump();
  });
  log.info({ address, peerId: transport.peerId, rpc: opts.chain ? '(injected)' : cfg.cometRpcUrl, listen: cfg.listen, l2: l2 ? (cfg.l2RpcUrl ?? '(injected)') : null }, 'sidecar started');
  if (metrics) {
    const stats = channel && 'stats' in channel && typeof channel.stats === 'function' ? () => (channel as MpcChannel).stats() : undefined;
    metrics.sources = {
      status: () => ({ height: processed, keyEpoch, sessions: keygen.active.length }),
      suspects: () => signing.suspects,
      ...(stats ? { peers: stats } : {}),
      nonceSessions: async () => (stopped ? 0 : (await vault.nonceSessions()).size),
    };
  }

  return {
    address,
    identity: pubKey,
    peerId: transport.peerId,
    status: () => ({ height: processed, address, peerId: transport.peerId, keyEpoch, sessions: keygen.active, signed: signing.signed, bound: binder?.bound ?? true }),
    waitForHeight: (h) => (processed >= h ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ h, resolve }))),
    async stop() {
      if (stopped) return;
      stopped = true;
      await heights.stop();
      signing.stop();
      keygen.stop();
      await running;
      await metricsServer?.close();
      await transport.stop();
      if (!opts.vault) await vault.close();
      for (const w of waiters.splice(0)) w.resolve();
      log.info('sidecar stopped');
    },
  };
}
