// The Engine API against real geth (the L2 execution client, decision 13): a producer's geth builds a
// block with a transaction a user sent to another validator's geth (static peers carry it), that
// geth imports the block, and both have the same head. A wrong JWT secret is refused with a clear error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, createWalletClient, getAddress, http, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { EngineClient, EngineError, ZERO_HASH, type ExecutionPayload } from '../../l2/engine.js';
import { l2Genesis } from '../../l2/genesis.js';
import { readJwtSecret } from '../../l2/jwt.js';
import { enodeOf, gethHome, initGeth, launchGeth, writeGethPeers } from '../../localnet/geth.js';
import { track } from '../children.js';
import { freePort } from '../ports.js';
import { predeploySequencerSet, type Predeployed } from '../../contracts/predeploy.js';
import { ANVIL_DEV_KEY } from '../../contracts/devnet.js';
import { abiOf } from '../../contracts/artifacts.js';

const CHAIN_ID = 9901;
const USER = privateKeyToAccount(`0x${'ab'.repeat(32)}`);
const FEE_RECIPIENT: Hex = `0x${'42'.repeat(20)}`;
const dir = mkdtempSync(join(tmpdir(), 'seqpool-geth-'));
let predeployed: Predeployed;
const nodes: { home: string; http: number; auth: number; p2p: number; engine?: EngineClient }[] = [];

async function startGeth(home: string, ports: { http: number; auth: number; p2p: number }): Promise<void> {
  const pid = (await launchGeth({ home, chainId: CHAIN_ID, ports })).pid!;
  track({
    stop: async () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  });
}

beforeAll(async () => {
  const genesisFile = join(dir, 'genesis.json');
  predeployed = await predeploySequencerSet({ chainId: CHAIN_ID, port: await freePort(), deployerKey: ANVIL_DEV_KEY, initialSigner: FEE_RECIPIENT, firstStartBlock: 1n, firstEndBlock: 20n });
  writeFileSync(genesisFile, JSON.stringify(l2Genesis({ chainId: CHAIN_ID, alloc: { [USER.address]: 10n ** 21n }, accounts: predeployed.alloc })));
  for (const name of ['producer', 'follower']) {
    const home = join(dir, name);
    await initGeth(home, genesisFile);
    nodes.push({ home, http: await freePort(), auth: await freePort(), p2p: await freePort() });
  }
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  writeGethPeers(a.home, [enodeOf(gethHome(b.home).nodekeyFile, '127.0.0.1', b.p2p)]);
  writeGethPeers(b.home, [enodeOf(gethHome(a.home).nodekeyFile, '127.0.0.1', a.p2p)]);
  for (const n of nodes) {
    await startGeth(n.home, n);
    n.engine = new EngineClient({ url: `http://127.0.0.1:${n.auth}`, secret: readJwtSecret(gethHome(n.home).jwtFile) });
  }
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the producer builds a block with a transaction sent to the follower; the follower imports it', async () => {
  const [p, f] = nodes as [Required<(typeof nodes)[0]>, Required<(typeof nodes)[0]>];
  const chain = { id: CHAIN_ID, name: 'l2', nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [`http://127.0.0.1:${f.http}`] } } } as const;
  const wallet = createWalletClient({ account: USER, chain, transport: http() });
  const producerRpc = createPublicClient({ transport: http(`http://127.0.0.1:${p.http}`) });
  // A geth takes part in transaction gossip once a consensus client told it its head (before, it
  // counts itself as still syncing and ignores announced transactions).
  const genesis0 = (await p.engine.block('latest'))!;
  for (const n of [p, f]) await n.engine.forkchoiceUpdated({ headBlockHash: genesis0.hash, safeBlockHash: genesis0.hash, finalizedBlockHash: ZERO_HASH });
  // The geths peer (static peers), then a transfer sent to the follower reaches the producer's pool.
  for (let i = 0; i < 100 && Number(await producerRpc.request({ method: 'net_peerCount' as never })) === 0; i++) await new Promise((r) => setTimeout(r, 100));
  const tx = await wallet.sendTransaction({ to: FEE_RECIPIENT, value: 1n, maxPriorityFeePerGas: 1_000_000_000n, maxFeePerGas: 5_000_000_000n });
  for (let i = 0; i < 100; i++) {
    const pool = (await producerRpc.request({ method: 'txpool_status' as never })) as { pending: Hex };
    if (Number(pool.pending) > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const genesis = (await p.engine.block('latest'))!;
  const fcu = await p.engine.forkchoiceUpdated(
    { headBlockHash: genesis.hash, safeBlockHash: genesis.hash, finalizedBlockHash: ZERO_HASH },
    { timestamp: `0x${Math.floor(Date.now() / 1000).toString(16)}`, prevRandao: ZERO_HASH, suggestedFeeRecipient: FEE_RECIPIENT, withdrawals: [], parentBeaconBlockRoot: ZERO_HASH },
  );
  expect(fcu.payloadStatus.status).toBe('VALID');
  await new Promise((r) => setTimeout(r, 300));
  const payload: ExecutionPayload = await p.engine.getPayload(fcu.payloadId!);
  expect(payload.transactions).toHaveLength(1);
  expect(payload.feeRecipient).toBe(FEE_RECIPIENT);
  for (const n of [p, f]) {
    expect((await n.engine.newPayload(payload)).status).toBe('VALID');
    expect((await n.engine.forkchoiceUpdated({ headBlockHash: payload.blockHash, safeBlockHash: genesis.hash, finalizedBlockHash: ZERO_HASH })).payloadStatus.status).toBe('VALID');
  }
  expect((await f.engine.block('latest'))!.hash).toBe(payload.blockHash);
  const receipt = await createPublicClient({ transport: http(`http://127.0.0.1:${f.http}`) }).getTransactionReceipt({ hash: tx });
  expect(receipt.blockHash).toBe(payload.blockHash);
  // A block whose contents do not hash to its blockHash is refused.
  const forged: ExecutionPayload = { ...payload, blockNumber: '0x2', parentHash: payload.blockHash, feeRecipient: `0x${'66'.repeat(20)}` as Hex };
  expect(['INVALID_BLOCK_HASH', 'INVALID']).toContain((await f.engine.newPayload(forged)).status);
}, 60_000);

test('SequencerSet is in the genesis: epoch 0 and its producer from block 0, the deployer at nonce 1', async () => {
  const rpc = createPublicClient({ transport: http(`http://127.0.0.1:${nodes[1]!.http}`) });
  const read = (functionName: string, args: unknown[] = []) => rpc.readContract({ address: predeployed.sequencerSet, abi: abiOf('SequencerSet'), functionName, args, blockNumber: 0n });
  expect(await read('getSequencer', [1n])).toBe(getAddress(FEE_RECIPIENT));
  expect(await read('getSequencer', [21n])).toBe('0x0000000000000000000000000000000000000000');
  expect(await read('currentEpochId')).toBe(0n);
  expect(await rpc.getTransactionCount({ address: predeployed.deployer, blockNumber: 0n })).toBe(1);
});

test('a wrong JWT secret is refused with an error that names the setting', async () => {
  const wrong = new EngineClient({ url: `http://127.0.0.1:${nodes[0]!.auth}`, secret: new Uint8Array(32).fill(7) });
  await expect(wrong.block('latest')).rejects.toThrow(EngineError);
  await expect(wrong.block('latest')).rejects.toThrow(/refused our JWT .*jwtSecretFile/);
});
