// EvmTxSender on a chain without EIP-1559 (anvil at the berlin hardfork: blocks have no base fee): it
// notices, sends legacy gasPrice txs and follows them to mined like any other; a job is sent once; a
// call that would revert is not sent.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createPublicClient, createTestClient, createWalletClient, http, parseAbi, parseEther, type PublicClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { ANVIL_DEV_KEY, type Anvil } from '../../contracts/devnet.js';
import { startTestAnvil } from '../anvil.js';
import { EvmTxSender, WouldRevertError } from '../../bridge/index.js';
import { tempDir, testValidator, type TestValidator } from './pool-fake.js';

let anvil: Anvil;
let pub: PublicClient;
let v: TestValidator;
const dir = tempDir();

beforeAll(async () => {
  anvil = await startTestAnvil({ chainId: 4242, extraArgs: ['--hardfork', 'berlin'] });
  pub = createPublicClient({ transport: http(anvil.url) }) as PublicClient;
  v = testValidator();
  await createTestClient({ mode: 'anvil', chain: foundry, transport: http(anvil.url) }).setBalance({ address: v.eth, value: parseEther('1') });
}, 30_000);
afterAll(async () => {
  await anvil?.stop();
  dir.cleanup();
});

test('legacy gasPrice txs on a chain without a base fee', async () => {
  expect((await pub.getBlock()).baseFeePerGas ?? null).toBeNull();
  const s = new EvmTxSender({ label: 'L2', rpcUrl: anvil.url, chainId: 4242, privateKey: v.privHex, dbPath: `${dir.path}/tx` });
  await s.open();
  try {
    // A call to an address without code succeeds (and costs only the calldata): enough to exercise the sender.
    const target = '0x00000000000000000000000000000000000000e1';
    const rec = await s.submit('job/1', 'ping', { address: target, abi: parseAbi(['function ping(uint256 x)']), functionName: 'ping', args: [7n] });
    const tx = await pub.getTransaction({ hash: rec.txs[0]!.hash });
    expect(tx.type).toBe('legacy');
    expect(tx.nonce).toBe(0);
    await pub.waitForTransactionReceipt({ hash: rec.txs[0]!.hash, pollingInterval: 50 });
    await s.tick();
    expect(s.job('job/1')?.status).toBe('mined');
    // Submitting the same job again sends nothing.
    await s.submit('job/1', 'ping', { address: target, abi: parseAbi(['function ping(uint256 x)']), functionName: 'ping', args: [7n] });
    expect(await pub.getTransactionCount({ address: v.eth })).toBe(1);
    // A call that reverts in simulation is refused before it costs gas: a contract whose code is
    // PUSH1 0 PUSH1 0 REVERT (deployed with init code that copies it; valid at berlin).
    const wallet = createWalletClient({ account: privateKeyToAccount(ANVIL_DEV_KEY), chain: { ...foundry, id: 4242 }, transport: http(anvil.url) });
    const deploy = await wallet.sendTransaction({ type: 'legacy', gasPrice: await pub.getGasPrice(), data: '0x6005600c60003960056000f360006000fd' });
    const reverter = (await pub.waitForTransactionReceipt({ hash: deploy, pollingInterval: 50 })).contractAddress!;
    expect(await pub.getCode({ address: reverter })).toBe('0x60006000fd');
    const err = await s
      .submit('job/2', 'a reverting call', { address: reverter, abi: parseAbi(['function f(uint256)']), functionName: 'f', args: [1n] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WouldRevertError);
    expect((err as Error).message).toMatch(/^a reverting call would revert on L2: /);
    expect(s.job('job/2')).toBeUndefined();
    expect(await pub.getTransactionCount({ address: v.eth })).toBe(1);
  } finally {
    await s.close();
  }
});
