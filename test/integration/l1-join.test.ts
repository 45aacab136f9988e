// Flow 1 end to end on real processes: a 4-validator localnet with L1 and L2 anvils (genesis
// validators backed by LockingPool locks) and its sidecars; a fifth node joins by locking on L1 and,
// after K = 2 confirmations and attestation by > 2/3 of power, enters CometBFT's validator set with
// power = tokens at the next epoch boundary, gets a share of the group key by reshare, and signs blocks; a relock changes its power, a signer change rotates its key, an unlock removes it.
// App hashes agree across all nodes after each step. Ports 27000-27029 (nodes) and 27100-27101 (anvils), below the ephemeral range.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Address } from 'viem';
import { generateValidatorKey } from '../../cometbft-config/keys.js';
import { l1Session, privKeyHex, relock, signerOf, TOKEN, unlock, updateSigner } from '../../client/locking-pool-client.js';
import { readDeployment } from '../../contracts/deploy.js';
import { LOCALNET_DEPLOYER_KEY } from '../../localnet/l1-chains.js';
import { localnetJoin, type JoinResult } from '../../localnet/join.js';
import { cometValidators, commitSigners, tryNodeStatus } from '../../localnet/rpc.js';
import { loadValidatorKey } from '../../cometbft-config/keys.js';
import { assertAppHashesAgree, eventually, rpcQuery, startTestnet, type Testnet } from './testnet.js';

let net: Testnet;
let joined: JoinResult;
let rpcUrls: string[];
let pool: Address;
let l1Url: string;

beforeAll(async () => {
  net = await startTestnet({ validators: 4, l1: true, params: { l1Confirmations: 2, exitDelaySeconds: 60 } });
  const d = readDeployment(net.dir).l1!;
  pool = d.lockingPool as Address;
  l1Url = d.rpcUrl;
}, 200_000);

afterAll(async () => {
  if (joined) net.processes.push(joined.processes);
  await net?.stop();
}, 60_000);

const powerOf = async (address: string): Promise<bigint | undefined> => (await cometValidators(rpcUrls[0]!)).validators.find((v) => v.address === address)?.power;

test('genesis validators are backed by L1 locks: power = locked tokens', async () => {
  const v = await cometValidators(net.manifest.nodes[0]!.rpcUrl);
  expect(v.validators.map((x) => x.power)).toEqual([20_000n, 20_000n, 20_000n, 20_000n]);
  const s = await rpcQuery<{ sequencerId: string; l1Nonce: string; locked: string }>(net.manifest.nodes[0]!.rpcUrl, '/sequencer/1');
  expect(s.value).toMatchObject({ sequencerId: '1', l1Nonce: '1', locked: (20_000n * TOKEN).toString() });
});

test('a fifth node locks on L1 and becomes a validator that signs blocks', async () => {
  const lines: string[] = [];
  joined = await localnetJoin({ dir: net.dir, amount: 30_000n * TOKEN, logLevel: 'debug', onProgress: (l) => lines.push(l), timeoutMs: 120_000 });
  rpcUrls = [...net.manifest.nodes.map((n) => n.rpcUrl), joined.node.rpcUrl];
  const stages = [/^home created/, /^syncing: (geth, )?app, sidecar and cometbft/, /^synced at height/, /^locked 30000 tokens in L1 block/, /^confirmed/, /^attested/, /^validator at height \d+ with power 30000/, /^share of group key .* held from key epoch 1/];
  expect(lines).toHaveLength(stages.length);
  stages.forEach((re, i) => expect(lines[i]).toMatch(re));
  expect(joined.power).toBe(30_000n);
  // Confirmation before attestation: the app never applies an event with fewer than K blocks on top.
  expect(joined.attested.l1Block).toBeGreaterThanOrEqual(joined.lockBlock + 2n);
  const address = joined.node.validatorAddress;
  await eventually('the new validator in a commit', async () => {
    const h = (await tryNodeStatus(rpcUrls[0]!))!.height;
    return (await commitSigners(rpcUrls[0]!, h)).includes(address) ? true : undefined;
  }, 30_000);
  await assertAppHashesAgree(rpcUrls);
}, 150_000);

test('relock raises its power; a signer change rotates its key; unlock removes it', async () => {
  const address = joined.node.validatorAddress;
  const deployer = await l1Session(l1Url, LOCALNET_DEPLOYER_KEY);
  await relock(deployer, pool, joined.sequencerId, 5_000n * TOKEN);
  await eventually('power 35000', async () => ((await powerOf(address)) === 35_000n ? true : undefined), 45_000);
  await assertAppHashesAgree(rpcUrls);

  // updateSigner is sent by the current signer: the validator key itself, funded with L1 gas.
  const key = loadValidatorKey(joined.node.home);
  const signer = signerOf(key.pubKey).signer;
  await deployer.pub.request({ method: 'anvil_setBalance' as never, params: [signer, '0x56bc75e2d63100000'] as never });
  const next = generateValidatorKey();
  const nextAddress = Buffer.from(next.address).toString('hex').toUpperCase();
  await updateSigner(await l1Session(l1Url, privKeyHex(key.privKey)), pool, joined.sequencerId, next.pubKey);
  await eventually('the key rotated in /validators', async () => ((await powerOf(nextAddress)) === 35_000n && (await powerOf(address)) === undefined ? true : undefined), 45_000);
  await assertAppHashesAgree(rpcUrls);

  await unlock(deployer, pool, joined.sequencerId);
  await eventually('the sequencer out of /validators', async () => ((await powerOf(nextAddress)) === undefined ? true : undefined), 45_000);
  const s = await rpcQuery<{ status: string; power: string }>(rpcUrls[0]!, `/sequencer/${joined.sequencerId}`);
  expect(s.value).toMatchObject({ status: 'unlocking', power: '0' });
  expect((await cometValidators(rpcUrls[0]!)).validators.map((v) => v.power)).toEqual([20_000n, 20_000n, 20_000n, 20_000n]);
  await assertAppHashesAgree(rpcUrls);
}, 200_000);
