// node.ts + node/bridge-wiring.ts: node.json's l1/l2/cometRpcUrl/gateway sections start every bridge
// task with the validator key, the L2 head reaches the node, and stop() releases everything (a second
// start on the same home opens the same databases). Plus L2HeadSource on its own.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicClient, createTestClient, http, type PublicClient } from 'viem';
import { foundry } from 'viem/chains';
import { deployL1, deployL2, type L1Deployment, type L2Deployment } from '../../contracts/deploy.js';
import { ANVIL_DEV_KEY, type Anvil } from '../../contracts/devnet.js';
import { startTestAnvil } from '../anvil.js';
import { generateValidatorKey, writeValidatorKey } from '../../cometbft-config/keys.js';
import { silentLogger } from '../../common/log.js';
import { startNode } from '../../node/node.js';
import { readNodeConfig, writeNodeConfig } from '../../node/node-config.js';
import { cometRpcUrl } from '../../node/bridge-wiring.js';
import { L2HeadSource } from '../../bridge/index.js';
import { ethAddressOf } from '../../protocol/l1-signer.js';
import { tempDir } from './pool-fake.js';

let l1: Anvil;
let l2: Anvil;
let d1: L1Deployment;
let d2: L2Deployment;
let l2pub: PublicClient;
const dirs: { cleanup(): void }[] = [];

beforeAll(async () => {
  [l1, l2] = await Promise.all([startTestAnvil({ chainId: 31337 }), startTestAnvil({ chainId: 59902 })]);
  d1 = await deployL1({ rpcUrl: l1.url, deployerKey: ANVIL_DEV_KEY });
  d2 = await deployL2({ rpcUrl: l2.url, deployerKey: ANVIL_DEV_KEY, initialSigner: '0x000000000000000000000000000000000000dEaD', firstStartBlock: 1n, firstEndBlock: 100n });
  l2pub = createPublicClient({ transport: http(l2.url) }) as PublicClient;
  await createTestClient({ mode: 'anvil', chain: foundry, transport: http(l2.url) }).mine({ blocks: 5 });
}, 60_000);

afterAll(async () => {
  await Promise.all([l1?.stop(), l2?.stop()]);
  for (const d of dirs) d.cleanup();
});

function home(): string {
  const d = tempDir('seqpool-node-');
  dirs.push(d);
  mkdirSync(join(d.path, 'config'), { recursive: true });
  writeFileSync(join(d.path, 'config', 'config.toml'), 'proxy_app = "tcp://127.0.0.1:0"\n\n[rpc]\nladdr = "tcp://0.0.0.0:46106"\n');
  return d.path;
}

describe('node wiring', () => {
  test('node.json: the new sections parse, typos and bad values are refused with their path', () => {
    const h = home();
    writeNodeConfig(h, {
      l1: { rpcUrl: l1.url, chainId: 31337, lockingPool: d1.lockingPool, batchInbox: d1.batchInbox },
      l2: { rpcUrl: l2.url, chainId: 59902, sequencerSet: d2.sequencerSet },
      gateway: { listen: '127.0.0.1:1317' },
    });
    const c = readNodeConfig(h);
    expect(c.l2).toEqual({ rpcUrl: l2.url, chainId: 59902, sequencerSet: d2.sequencerSet, pollIntervalMs: 1000, blockTimeMs: 1000, peers: [] });
    expect(c.l1?.batchInbox).toBe(d1.batchInbox);
    expect(cometRpcUrl(h, c)).toBe('http://127.0.0.1:46106'); // config.toml [rpc] laddr, wildcard -> loopback
    expect(cometRpcUrl(h, { ...c, cometRpcUrl: 'http://10.0.0.5:26657' })).toBe('http://10.0.0.5:26657');
    const bad = (json: unknown) => {
      writeFileSync(join(h, 'seqpool', 'node.json'), JSON.stringify(json));
      return () => readNodeConfig(h);
    };
    expect(bad({ l2: { rpcUrl: l2.url, chainId: 1, sequencerSet: d2.sequencerSet, pollInterval: 5 } })).toThrow(/l2: Unrecognized key.*pollInterval/);
    expect(bad({ l1: { rpcUrl: l1.url, chainId: 1, lockingPool: d1.lockingPool, batchInbox: '0x12' } })).toThrow(/l1.batchInbox: l1.batchInbox must be a 0x-prefixed 20-byte address/);
    expect(bad({ gateway: { listen: '1317' } })).toThrow(/gateway.listen: gateway.listen must be host:port/);
  });

  test('startNode starts every bridge task with the validator key and stop() releases them all', async () => {
    const h = home();
    const key = generateValidatorKey();
    writeValidatorKey(h, key);
    writeNodeConfig(h, {
      l1: { rpcUrl: l1.url, chainId: 31337, lockingPool: d1.lockingPool, batchInbox: d1.batchInbox, startBlock: Number(d1.startBlock), confirmations: 1, pollIntervalMs: 200 },
      l2: { rpcUrl: l2.url, chainId: 59902, sequencerSet: d2.sequencerSet, pollIntervalMs: 100 },
      gateway: { listen: '127.0.0.1:0' },
    });
    for (let round = 0; round < 2; round++) {
      const node = await startNode({ home: h, logger: silentLogger() });
      try {
        expect(node.bridge?.ethAddress).toBe(ethAddressOf(key.privKey));
        expect(node.listener).toBeDefined();
        expect(node.bridge?.batcher).toBeDefined();
        expect(node.bridge?.l1Submitter).toBeDefined();
        expect(node.bridge?.relayer).toBeDefined();
        expect(node.l2Head?.current()).toBe(await l2pub.getBlockNumber({ cacheTime: 0 }));
        const res = await fetch(`${node.gateway!.url}/health`);
        expect(res.status).toBeGreaterThanOrEqual(200);
        await res.arrayBuffer();
      } finally {
        await node.stop();
      }
    }
  });

  test('a node without l2 and without a validator key only listens to L1', async () => {
    const h = home();
    writeNodeConfig(h, { l1: { rpcUrl: l1.url, chainId: 31337, lockingPool: d1.lockingPool, startBlock: Number(d1.startBlock) } });
    const node = await startNode({ home: h, logger: silentLogger() });
    try {
      expect(node.listener).toBeDefined();
      expect(node.l2Head).toBeUndefined();
      expect(node.bridge?.batcher).toBeUndefined();
      expect(node.bridge?.relayer).toBeUndefined();
      expect(node.gateway).toBeUndefined();
    } finally {
      await node.stop();
    }
  });
});

describe('L2HeadSource', () => {
  test('reports the L2 head, follows it, and withholds it on a wrong chain id or when stale', async () => {
    const src = new L2HeadSource({ rpcUrl: l2.url, chainId: 59902, pollIntervalMs: 50, staleMs: 400 });
    await src.start();
    try {
      const h0 = await l2pub.getBlockNumber({ cacheTime: 0 });
      expect(src.current()).toBe(h0);
      await createTestClient({ mode: 'anvil', chain: foundry, transport: http(l2.url) }).mine({ blocks: 3 });
      const deadline = Date.now() + 5_000;
      while (src.current() !== h0 + 3n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(src.current()).toBe(h0 + 3n);
    } finally {
      await src.stop();
    }
    await new Promise((r) => setTimeout(r, 450));
    expect(src.current()).toBeUndefined(); // stopped polling: stale

    const wrong = new L2HeadSource({ rpcUrl: l2.url, chainId: 1, pollIntervalMs: 50 });
    await wrong.start();
    await wrong.stop();
    expect(wrong.current()).toBeUndefined();
  });
});
