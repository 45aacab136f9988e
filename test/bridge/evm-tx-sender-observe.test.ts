// What EvmTxSender reports to its observer (the node's seqpool_tx_sender_* metrics), on anvil: a new
// tx with its nonce, a fee bump of a tx left unmined, the tx mined, and the failures an operator
// must see (a call that would revert, an account without gas money).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createPublicClient, createTestClient, createWalletClient, http, parseAbi, parseEther, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { ANVIL_DEV_KEY, type Anvil } from '../../contracts/devnet.js';
import { startTestAnvil } from '../anvil.js';
import { EvmTxSender, FundsError, WouldRevertError, type TxSenderEvent } from '../../bridge/evm-tx-sender.js';
import { tempDir, testValidator } from './pool-fake.js';

let anvil: Anvil;
const dir = tempDir();
const CHAIN = 4243;
const ping = { address: '0x00000000000000000000000000000000000000e1' as Hex, abi: parseAbi(['function ping(uint256 x)']), functionName: 'ping', args: [7n] };

beforeAll(async () => {
  anvil = await startTestAnvil({ chainId: CHAIN });
}, 30_000);
afterAll(async () => {
  await anvil?.stop();
  dir.cleanup();
});

test('sent with its nonce, bumped when left unmined, mined; would-revert and funds failures', async () => {
  const test = createTestClient({ mode: 'anvil', chain: { ...foundry, id: CHAIN }, transport: http(anvil.url) });
  const v = testValidator();
  await test.setBalance({ address: v.eth, value: parseEther('1') });
  await test.setAutomine(false);
  const seen: TxSenderEvent[] = [];
  const s = new EvmTxSender({ label: 'L1', rpcUrl: anvil.url, chainId: CHAIN, privateKey: v.privHex, dbPath: `${dir.path}/a`, bumpAfterBlocks: 2, observe: (e) => seen.push(e) });
  await s.open();
  try {
    const rec = await s.submit('job/1', 'ping', ping);
    expect(seen).toEqual([{ kind: 'sent', nonce: 0 }]);
    // The tx leaves the pool unmined: after bumpAfterBlocks the sender replaces it with higher fees.
    await test.dropTransaction({ hash: rec.txs[0]!.hash });
    await test.mine({ blocks: 2 });
    await s.tick();
    expect(seen.slice(1)).toEqual([{ kind: 'bumped', nonce: 0 }]);
    await test.mine({ blocks: 1 });
    await s.tick();
    expect(seen.slice(2)).toEqual([{ kind: 'mined', nonce: 0 }]);
    // A call that reverts in simulation is refused, and reported: a contract whose code is
    // PUSH1 0 PUSH1 0 REVERT, deployed with init code that copies it.
    const wallet = createWalletClient({ account: privateKeyToAccount(ANVIL_DEV_KEY), chain: { ...foundry, id: CHAIN }, transport: http(anvil.url) });
    const deploy = await wallet.sendTransaction({ data: '0x6005600c60003960056000f360006000fd' });
    await test.mine({ blocks: 1 });
    const reverter = (await createPublicClient({ transport: http(anvil.url) }).getTransactionReceipt({ hash: deploy })).contractAddress!;
    await expect(s.submit('job/2', 'a reverting call', { ...ping, address: reverter })).rejects.toBeInstanceOf(WouldRevertError);
    expect(seen.slice(3)).toEqual([{ kind: 'failed', reason: 'would_revert' }]);
  } finally {
    await s.close();
  }
  const poor = testValidator();
  const p = new EvmTxSender({ label: 'L1', rpcUrl: anvil.url, chainId: CHAIN, privateKey: poor.privHex, dbPath: `${dir.path}/b`, observe: (e) => seen.push(e) });
  await p.open();
  try {
    await expect(p.submit('job/1', 'ping', ping)).rejects.toBeInstanceOf(FundsError);
    expect(seen[seen.length - 1]).toEqual({ kind: 'failed', reason: 'funds' });
  } finally {
    await p.close();
  }
});
