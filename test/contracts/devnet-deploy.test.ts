// The devnet helper (anvil from npm: start, readiness, block time, log file, stop) and the deploy
// step against two anvils standing in for L1 and L2, with the deployment file written and read back.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, http, type Abi, type Address, type Hex } from 'viem';
import { artifact, type ContractName } from '../../contracts/artifacts.js';
import { deployL1, deployL2, initializeGroupKey, readDeployment, writeDeployment, type Deployment } from '../../contracts/deploy.js';
import { ANVIL_DEV_KEY, startAnvil, type Anvil } from '../../contracts/devnet.js';
import { DEV_KEYS, PoolKey } from './helpers.js';
import { privateKeyToAccount } from 'viem/accounts';
import { track } from '../children.js';
import { freePort } from '../ports.js';

const dir = mkdtempSync(join(tmpdir(), 'seqpool-deploy-'));
let l1: Anvil;
let l2: Anvil;

beforeAll(async () => {
  // Each anvil is registered as soon as it runs: if the other one fails to start, this one is still
  // stopped at the end of the file (test/children.ts).
  [l1, l2] = await Promise.all([
    startAnvil({ port: await freePort(), chainId: 31337, logFile: join(dir, 'l1.log') }).then(track),
    startAnvil({ port: await freePort(), chainId: 901, blockTime: 1, logFile: join(dir, 'l2.log') }).then(track),
  ]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = <T>(url: string, address: Address, name: ContractName, functionName: string, args: unknown[] = []) =>
  createPublicClient({ transport: http(url) }).readContract({ abi: artifact(name).abi as Abi, address, functionName, args }) as Promise<T>;

test('anvil answers with its chain id, logs to a file, mines on its block time, and refuses a busy port', async () => {
  const pub = createPublicClient({ transport: http(l2.url) });
  expect(await pub.getChainId()).toBe(901);
  const b0 = await pub.getBlockNumber({ cacheTime: 0 });
  await new Promise((r) => setTimeout(r, 2_200));
  expect(await pub.getBlockNumber({ cacheTime: 0 })).toBeGreaterThan(b0);
  expect(existsSync(join(dir, 'l2.log'))).toBe(true);
  await expect(startAnvil({ port: l1.port, chainId: 5 })).rejects.toThrow(/already answers/);
});

test('deploys L1 and L2, records the addresses, and sets the group key later', async () => {
  const locker = privateKeyToAccount(DEV_KEYS[1]!).address;
  const deployment: Deployment = {
    l1: await deployL1({ rpcUrl: l1.url, deployerKey: ANVIL_DEV_KEY, exitDelay: 30n, whitelist: [locker], mint: [{ to: locker, amount: 10n ** 24n }], firstL2Block: 1n }),
    l2: await deployL2({ rpcUrl: l2.url, deployerKey: ANVIL_DEV_KEY, initialSigner: locker, firstStartBlock: 1n, firstEndBlock: 200n }),
  };
  const file = writeDeployment(dir, deployment);
  expect(readFileSync(file, 'utf8')).toContain('"lockingPool"');
  const back = readDeployment(dir);
  expect(back).toEqual(deployment);
  const { l1: d1, l2: d2 } = back as Required<Deployment>;
  expect(d1.chainId).toBe(31337);
  expect(d2.chainId).toBe(901);
  expect(await read<Address>(l1.url, d1.lockingPool, 'LockingPool', 'token')).toBe(d1.stakeToken);
  expect(await read<bigint>(l1.url, d1.lockingPool, 'LockingPool', 'exitDelay')).toBe(30n);
  expect(await read<boolean>(l1.url, d1.lockingPool, 'LockingPool', 'whitelist', [locker])).toBe(true);
  expect(await read<bigint>(l1.url, d1.stakeToken, 'StakeToken', 'balanceOf', [locker])).toBe(10n ** 24n);
  expect(await read<bigint>(l1.url, d1.batchInbox, 'BatchInbox', 'nextL2Block')).toBe(1n);
  expect(await read<Address>(l2.url, d2.sequencerSet, 'SequencerSet', 'getSequencer', [200n])).toBe(locker);

  const key = new PoolKey();
  for (const [url, a, n] of [[l1.url, d1.lockingPool, 'LockingPool'], [l1.url, d1.batchInbox, 'BatchInbox'], [l2.url, d2.sequencerSet, 'SequencerSet']] as const)
    expect(await read<Hex>(url, a, n, 'groupKey')).toBe('0x');
  await initializeGroupKey(back, ANVIL_DEV_KEY, key.groupKey);
  await initializeGroupKey(back, ANVIL_DEV_KEY, key.groupKey); // idempotent: skips contracts that have one
  for (const [url, a, n] of [[l1.url, d1.lockingPool, 'LockingPool'], [l1.url, d1.batchInbox, 'BatchInbox'], [l2.url, d2.sequencerSet, 'SequencerSet']] as const)
    expect(await read<Hex>(url, a, n, 'groupKey')).toBe(key.groupKey);
}, 60_000);

test('stop ends the anvil process', async () => {
  const a = track(await startAnvil({ port: await freePort(), chainId: 7 }));
  await a.stop();
  expect(() => process.kill(a.pid, 0)).toThrow();
});
