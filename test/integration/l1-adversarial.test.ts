// Flow 1 under attack and under reorgs, on real processes (4 validators, L1 and L2 anvils; the L1
// finalizes two blocks behind its head and the bridges follow its finalized block): a byzantine
// validator attesting a Locked event that never happened is outvoted; a lock removed by an L1 reorg
// before it was final is never applied; a reorg shallower than finality leaves a final lock applied
// exactly once; a reorg deeper than finality that removes an applied lock is reconciled (decision 38):
// the pool drops it, and the id L1 then gives to another key is applied afresh.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Address } from 'viem';
import { ensureAllowance, l1Session, lockFor, TOKEN, unlock, type L1Session } from '../../client/locking-pool-client.js';
import { generateValidatorKey } from '../../cometbft-config/keys.js';
import { readDeployment } from '../../contracts/deploy.js';
import { QueryCode } from '../../protocol/codes.js';
import { toHex } from '../../common/bytes.js';
import { LOCALNET_DEPLOYER_KEY } from '../../localnet/l1-chains.js';
import { appLogFile } from '../../localnet/processes.js';
import { cometValidators, nodeStatus, waitForHeight } from '../../localnet/rpc.js';
import { assertAppHashesAgree, byzantineNode, eventually, rpcQuery, runCli, startTestnet, type Testnet } from './testnet.js';

const FAKE_ID = '77';
let net: Testnet;
let l1: L1Session;
let pool: Address;
const rpc = () => net.manifest.nodes[0]!.rpcUrl;
const anvil = (method: string, params: unknown[] = []) => l1.pub.request({ method: method as never, params: params as never });

beforeAll(async () => {
  net = await startTestnet({
    validators: 4,
    l1: true,
    params: { l1Confirmations: 2, exitDelaySeconds: 60 },
    // No sidecars, so no group key and no batches: the tests below stop L1's mining and read its
    // mempool, which the pool's appendBatch and relay txs would crowd.
    noSidecars: true,
    nodeOptions: (i) => (i === 3 ? byzantineNode({ fakeL1Event: FAKE_ID }) : {}),
  });
  const d = readDeployment(net.dir).l1!;
  pool = d.lockingPool as Address;
  l1 = await l1Session(d.rpcUrl, LOCALNET_DEPLOYER_KEY);
  await ensureAllowance(l1, pool, 10n ** 30n); // so each lock below is a single transaction
}, 120_000);

afterAll(async () => net?.stop(), 60_000);

test('a Locked event only one validator claims to have seen is outvoted and never applied', async () => {
  const h = (await nodeStatus(rpc())).height;
  await waitForHeight(rpc(), h + 8n, 60_000);
  expect((await rpcQuery(rpc(), `/sequencer/${FAKE_ID}`)).code).toBe(QueryCode.NOT_FOUND);
  expect((await cometValidators(rpc())).validators).toHaveLength(4);
  expect(readFileSync(appLogFile(net.manifest.nodes[3]!.home), 'utf8')).toMatch(/BYZANTINE TEST NODE.*fakeL1Event|fakeL1Event.*BYZANTINE TEST NODE/);
  await assertAppHashesAgree(net.manifest.nodes.map((n) => n.rpcUrl));
});

/** Stop L1's interval mining, lock for a fresh key, mine exactly `blocks` blocks (the lock in the first). */
async function lockWithManualMining(blocks: number) {
  const key = generateValidatorKey();
  await anvil('evm_setIntervalMining', [0]);
  const pending = lockFor(l1, pool, key.pubKey, 30_000n * TOKEN);
  await eventually('the lock in the L1 mempool', async () => ((await anvil('txpool_status')) as { pending: string }).pending !== '0x0' || undefined, 10_000);
  await anvil('anvil_mine', [`0x${blocks.toString(16)}`]);
  const locked = await pending;
  return { key, locked, address: toHex(key.address) };
}

test('a lock removed by an L1 reorg before it was final is never applied', async () => {
  const { address, locked } = await lockWithManualMining(1); // the lock is the head: not final
  await anvil('anvil_reorg', [1, []]); // replace the head block, without the lock
  await anvil('anvil_dropAllTransactions');
  await anvil('evm_setIntervalMining', [1]);
  const l1Head = await l1.pub.getBlockNumber();
  await eventually('6 more L1 blocks', async () => ((await l1.pub.getBlockNumber()) >= l1Head + 6n ? true : undefined), 30_000);
  const h = (await nodeStatus(rpc())).height;
  await waitForHeight(rpc(), h + 4n, 30_000);
  expect((await rpcQuery(rpc(), `/validator/${address}`)).code).toBe(QueryCode.NOT_FOUND);
  expect((await rpcQuery(rpc(), `/sequencer/${locked.sequencerId}`)).code).toBe(QueryCode.NOT_FOUND);
}, 90_000);

test('a reorg shallower than finality leaves a final lock applied exactly once', async () => {
  const { address, locked } = await lockWithManualMining(3); // lock block + 2 on top: final
  await anvil('anvil_reorg', [1, []]); // depth 1: the lock's block stays canonical
  await anvil('evm_setIntervalMining', [1]);
  const s = await eventually('the sequencer in state', async () => (await rpcQuery<{ sequencerId: string; l1Nonce: string; power: string }>(rpc(), `/validator/${address}`)).value, 60_000);
  expect(s).toMatchObject({ sequencerId: locked.sequencerId.toString(), l1Nonce: '1', power: '30000' });
  const h = (await nodeStatus(rpc())).height;
  await waitForHeight(rpc(), h + 4n, 30_000);
  expect((await rpcQuery<{ l1Nonce: string }>(rpc(), `/validator/${address}`)).value).toMatchObject({ l1Nonce: '1' });
  await assertAppHashesAgree(net.manifest.nodes.map((n) => n.rpcUrl));
}, 120_000);

test('a reorg deeper than finality that removes an applied lock is reconciled: the pool drops it, and the id L1 gives to another key is applied', async () => {
  // The earlier tests' locks are keys no node runs: at an epoch boundary they would join the validator
  // set offline, and with this test's too, over a third of the power would be silent and the chain
  // would halt. They leave first (an unlock takes their power at once).
  const count = (await l1.pub.readContract({ address: pool, abi: [{ type: 'function', name: 'sequencerCount', stateMutability: 'view', inputs: [], outputs: [{ type: 'uint256' }] }], functionName: 'sequencerCount' })) as bigint;
  for (let id = 5n; id <= count; id++) {
    await unlock(l1, pool, id);
    await eventually(`sequencer ${id} unlocking in the pool`, async () => ((await rpcQuery<{ status: string }>(rpc(), `/sequencer/${id}`)).value?.status === 'unlocking' ? true : undefined), 60_000);
  }
  const { address, locked } = await lockWithManualMining(3);
  await anvil('evm_setIntervalMining', [1]);
  await eventually('the lock applied', async () => (await rpcQuery(rpc(), `/sequencer/${locked.sequencerId}`)).value, 60_000);
  // L1 drops every block from the lock's on, though the bridges had it as final.
  const head = await l1.pub.getBlockNumber();
  await anvil('anvil_reorg', [Number(head - locked.blockNumber + 1n), []]);
  await anvil('anvil_dropAllTransactions'); // the orphaned lock must not simply be mined again
  expect(await l1.pub.readContract({ address: pool, abi: [{ type: 'function', name: 'sequencerCount', stateMutability: 'view', inputs: [], outputs: [{ type: 'uint256' }] }], functionName: 'sequencerCount' })).toBe(locked.sequencerId - 1n);
  // On a loaded machine this takes longest: say what each bridge did if it does not happen.
  await eventually('the pool corrected to L1', async () => ((await rpcQuery(rpc(), `/sequencer/${locked.sequencerId}`)).code === QueryCode.NOT_FOUND ? true : undefined), 150_000).catch((e: Error) => {
    const lines = net.manifest.nodes.flatMap((n) =>
      readFileSync(appLogFile(n.home), 'utf8')
        .split('\n')
        .filter((l) => /L1 reorg below|disagrees with L1|differs from L1|correction settled|pool state corrected|comparing the pool with L1 failed|observation_rejected|attested observation rejected/.test(l))
        .slice(-6)
        .map((l) => `${n.name}: ${l.slice(0, 400)}`),
    );
    throw new Error(`${e.message}\n${lines.join('\n')}`);
  });
  expect((await rpcQuery<{ status: string; sequencerId: string }>(rpc(), `/validator/${address}`)).value).toMatchObject({ status: 'exited', sequencerId: '0' });
  const corrections = readFileSync(appLogFile(net.manifest.nodes[0]!.home), 'utf8').split('\n').filter((l) => l.includes('pool state corrected to L1'));
  expect(corrections.length).toBeGreaterThanOrEqual(1);
  // Another key locks: on L1 it gets the same id, and the pool applies it as a new sequencer.
  const next = generateValidatorKey();
  const again = await lockFor(l1, pool, next.pubKey, 25_000n * TOKEN);
  expect(again.sequencerId).toBe(locked.sequencerId);
  const s = await eventually('the new lock applied', async () => (await rpcQuery<{ address: string; power: string; status: string }>(rpc(), `/sequencer/${again.sequencerId}`)).value, 60_000);
  expect(s).toMatchObject({ address: toHex(next.address).toUpperCase(), power: '25000', status: 'active' });
  const status = await runCli(['l1', 'status', '--dir', net.dir]);
  expect(status).toMatch(/L1 and the pool agree\./);
  await assertAppHashesAgree(net.manifest.nodes.map((n) => n.rpcUrl));
}, 300_000);
