// `seqpool l2 force-include` (cli/force-include-command.ts) from dist/ (`npm run build` first) against
// a real anvil with BatchInbox deployed by deployL1 and a real geth as the L2 (never driven: its
// genesis state answers the nonce, fee, chain id and eth_simulateV1 checks). An entry lands and the
// contract's forcedEntry matches what is printed; the built transfer is the one promised; a --tx the
// pool would consume as invalid is refused with the reason (and lands with --force-invalid); the
// localnet layout of --dir supplies everything; bad arguments exit 2 with the usage line; an
// unreachable L1, a low fee, an oversized tx and a missing localnet are clear exit-1 errors.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublicClient, http, keccak256, parseEventLogs, parseTransaction, recoverTransactionAddress, type Address, type Hex, type PublicClient, type TransactionSerializedEIP1559 } from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { deployL1, writeDeployment, type L1Deployment } from '../../contracts/deploy.js';
import { ANVIL_DEV_KEY, type Anvil } from '../../contracts/devnet.js';
import { l2Genesis } from '../../l2/genesis.js';
import { initGeth, launchGeth } from '../../localnet/geth.js';
import { DEV_MNEMONIC } from '../../localnet/l2-chain.js';
import { FORCED_QUEUE_ABI } from '../../protocol/forced-queue.js';
import { viemWaitSources } from '../../client/forced-wait.js';
import { startTestAnvil } from '../anvil.js';
import { track } from '../children.js';
import { freePort } from '../ports.js';

const L2_CHAIN = 9914;
const SEQPOOL_BIN = fileURLToPath(new URL('../../bin/seqpool.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'seqpool-force-include-'));
const USER_KEY = `0x${'cd'.repeat(32)}` as Hex;
const USER = privateKeyToAccount(USER_KEY);
const LOCALNET_SENDER = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 2 });
const WINDOW = 20n;
const DELAY = 60n;
const FEE = 10n ** 15n;
/** anvil's second development account pays on L1 (the first deployed). */
const DEV_KEY_1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' as Hex;

let anvil: Anvil;
let l1: PublicClient;
let deployment: L1Deployment;
let l2Url: string;
let l1KeyFile: string;
let l2KeyFile: string;

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SEQPOOL_BIN, 'l2', 'force-include', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    track({ stop: async () => void child.kill('SIGKILL') });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const target = () => ['--l1', anvil.url, '--inbox', deployment.batchInbox, '--key', l1KeyFile];

/** The entry the contract holds and the transaction its ForcedInclusion event carries. */
async function onChain(index: bigint): Promise<{ l1Block: bigint; timestamp: bigint; tx: Hex }> {
  const [, l1Block, timestamp] = (await l1.readContract({ address: deployment.batchInbox, abi: FORCED_QUEUE_ABI, functionName: 'forcedEntry', args: [index] })) as readonly [Hex, bigint, bigint];
  const logs = await l1.getContractEvents({ address: deployment.batchInbox, abi: FORCED_QUEUE_ABI, eventName: 'ForcedInclusion', fromBlock: 0n, toBlock: 'latest' });
  const ev = parseEventLogs({ abi: FORCED_QUEUE_ABI, logs, eventName: 'ForcedInclusion' }).find((l) => l.args.index === index)!;
  return { l1Block, timestamp, tx: ev.args.l2Tx };
}

const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString().replace('.000Z', 'Z');

beforeAll(async () => {
  anvil = await startTestAnvil({ chainId: 31337 });
  l1 = createPublicClient({ transport: http(anvil.url) }) as PublicClient;
  deployment = await deployL1({ rpcUrl: anvil.url, deployerKey: ANVIL_DEV_KEY, forceFee: FEE, forceWindow: WINDOW, escapeDelay: DELAY });
  const genesisFile = join(dir, 'genesis.json');
  writeFileSync(genesisFile, JSON.stringify(l2Genesis({ chainId: L2_CHAIN, alloc: { [USER.address]: 10n ** 21n, [LOCALNET_SENDER.address]: 10n ** 21n }, timestamp: BigInt(Math.floor(Date.now() / 1000)) })));
  const home = join(dir, 'geth');
  await initGeth(home, genesisFile);
  const ports = { http: await freePort(), auth: await freePort(), p2p: await freePort() };
  await launchGeth({
    home,
    chainId: L2_CHAIN,
    ports,
    onSpawn: (child) =>
      track({
        stop: async () => {
          try {
            process.kill(child.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
        },
      }),
  });
  l2Url = `http://127.0.0.1:${ports.http}`;
  l1KeyFile = join(dir, 'l1.key');
  writeFileSync(l1KeyFile, `${DEV_KEY_1}\n`);
  l2KeyFile = join(dir, 'l2.key');
  writeFileSync(l2KeyFile, USER_KEY);
}, 90_000);

test('a built transfer lands: the entry, its deadline and escape time are printed and match forcedEntry', async () => {
  const r = await runCli([...target(), '--l2', l2Url, '--l2-key', l2KeyFile]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('forceInclude on BatchInbox') });
  const e = await onChain(0n);
  const lines = r.stdout.trim().split('\n');
  expect(lines[0]).toMatch(new RegExp(`^entry 0: L1 block ${e.l1Block}, L1 tx 0x[0-9a-f]{64}, fee ${FEE} wei$`));
  expect(lines[1]).toBe(`L2 tx ${keccak256(e.tx)} (from ${USER.address}, nonce 0)`);
  expect(lines[2]).toMatch(new RegExp(`^deadline ${iso(e.timestamp + WINDOW)} \\((in \\d+ s|\\d+ s ago)\\): `));
  expect(lines[3]).toMatch(new RegExp(`^escape ${iso(e.timestamp + WINDOW + DELAY)} \\(in \\d+ s\\): .*appendForcedBatch`));
  // The transaction is the promised transfer: EIP-1559 for the L2's chain, to the sender itself, 1 gwei,
  // its fee cap 4x the L2's base fee plus the tip.
  const tx = parseTransaction(e.tx);
  const l2 = createPublicClient({ transport: http(l2Url) });
  const base = (await l2.getBlock()).baseFeePerGas!;
  expect(tx).toMatchObject({ type: 'eip1559', chainId: L2_CHAIN, nonce: 0, to: USER.address.toLowerCase(), value: 1_000_000_000n, gas: 21_000n });
  expect(tx.maxFeePerGas).toBe(4n * base + tx.maxPriorityFeePerGas!);
  expect(await recoverTransactionAddress({ serializedTransaction: e.tx as TransactionSerializedEIP1559 })).toBe(USER.address);
}, 60_000);

test('--tx the pool would consume as invalid is refused with the reason; --force-invalid sends it anyway', async () => {
  const legacy = await USER.signTransaction({ type: 'legacy', chainId: L2_CHAIN, nonce: 0, to: USER.address, value: 1n, gas: 21_000n, gasPrice: 10n ** 10n });
  const wrongChain = await USER.signTransaction({ type: 'eip1559', chainId: 1, nonce: 0, to: USER.address, value: 1n, gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n });
  // Nonce 7 of an account at nonce 0: eth_simulateV1 refuses it, as the producer's derivation would.
  const gap = await USER.signTransaction({ type: 'eip1559', chainId: L2_CHAIN, nonce: 7, to: USER.address, value: 1n, gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n });
  const cases: [Hex, RegExp][] = [
    [legacy, /a legacy transaction; forced transactions are EIP-1559 \(type 2\)/],
    [wrongChain, new RegExp(`for chain 1, not ${L2_CHAIN}`)],
    [gap, /the L2 refuses it now: .*nonce too high/i],
  ];
  const before = (await l1.readContract({ address: deployment.batchInbox, abi: FORCED_QUEUE_ABI, functionName: 'forcedQueueLength' })) as bigint;
  for (const [tx, reason] of cases) {
    const r = await runCli([...target(), '--l2', l2Url, '--tx', tx]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^error: the pool would consume this transaction as invalid, without executing it: /m);
    expect(r.stderr).toMatch(reason);
    expect(r.stderr).toContain('pass --force-invalid to enqueue it anyway');
  }
  expect(await l1.readContract({ address: deployment.batchInbox, abi: FORCED_QUEUE_ABI, functionName: 'forcedQueueLength' })).toBe(before);
  const forced = await runCli([...target(), '--l2', l2Url, '--tx', wrongChain, '--force-invalid']);
  expect(forced.code).toBe(0);
  expect(forced.stderr).toContain(`warning: the pool would consume this transaction as invalid (for chain 1, not ${L2_CHAIN})`);
  expect(forced.stdout).toMatch(new RegExp(`^entry ${before}: `));
  expect(forced.stdout).toContain(`L2 tx ${keccak256(wrongChain)} (from ${USER.address}, nonce 0)`); // the sender, though for another chain
  expect((await onChain(before)).tx).toBe(wrongChain);
}, 60_000);

test('--tx without an L2 is checked statically and lands; --dir reads a localnet layout and signs from its funded account', async () => {
  const tx = await USER.signTransaction({ type: 'eip1559', chainId: L2_CHAIN, nonce: 1, to: USER.address, value: 5n, gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n });
  const bare = await runCli([...target(), '--tx', tx]);
  expect(bare.code).toBe(0);
  expect(bare.stderr).toContain('note: the L2 chain id is not known (no --l2 or --dir): not checked');
  expect(bare.stdout).toContain(`L2 tx ${keccak256(tx)} (from ${USER.address}, nonce 1)`);

  // A localnet's files: deployment.json (L1, BatchInbox, the L2 chain id), localnet.json (node0's L2 RPC).
  const net = join(dir, 'net');
  mkdirSync(net);
  writeDeployment(net, { l1: deployment, l2: { chainId: L2_CHAIN, rpcUrl: l2Url, deployer: USER.address, startBlock: 0n, sequencerSet: USER.address } });
  writeFileSync(join(net, 'localnet.json'), JSON.stringify({ chainId: 'x', dir: net, nodes: [{ name: 'node0', rpcUrl: 'http://127.0.0.1:1', home: net, abciAddress: '', l2RpcUrl: l2Url, pids: {} }] }));
  const to = '0x000000000000000000000000000000000000dEaD' as Address;
  const viaDir = await runCli(['--dir', net, '--to', to, '--value', '12345']);
  expect({ code: viaDir.code, stderr: viaDir.stderr }).toEqual({ code: 0, stderr: expect.stringContaining(`signed a transfer of 12345 wei from ${LOCALNET_SENDER.address} to ${to}`) });
  const index = BigInt(/^entry (\d+): /.exec(viaDir.stdout)![1]!);
  const t = parseTransaction((await onChain(index)).tx);
  expect(t).toMatchObject({ chainId: L2_CHAIN, to: to.toLowerCase(), value: 12_345n, nonce: 0 });
  // The localnet's deployer paid on L1.
  const receipt = await l1.getTransactionReceipt({ hash: /L1 tx (0x[0-9a-f]{64})/.exec(viaDir.stdout)![1] as Hex });
  expect(receipt.from).toBe(privateKeyToAccount(ANVIL_DEV_KEY).address.toLowerCase());
  // A deployment.json whose L2 chain id is not the L2's is named.
  writeDeployment(net, { l1: deployment, l2: { chainId: 777, rpcUrl: l2Url, deployer: USER.address, startBlock: 0n, sequencerSet: USER.address } });
  const mismatch = await runCli(['--dir', net]);
  expect({ code: mismatch.code, stderr: mismatch.stderr }).toEqual({ code: 1, stderr: `error: the L2 at ${l2Url} has chain id ${L2_CHAIN}, deployment.json records 777: is it this localnet's L2?\n` });
}, 60_000);

test('--wait follows the entry: the L2 here never mines, so it times out naming what it waited for (exit 1); the viem sources read real nodes', async () => {
  const tx = await USER.signTransaction({ type: 'eip1559', chainId: L2_CHAIN, nonce: 0, to: USER.address, value: 3n, gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n });
  const r = await runCli([...target(), '--l2', l2Url, '--tx', tx, '--wait', '--timeout', '2']);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/^entry \d+: /);
  expect(r.stdout).not.toMatch(/^L2 block/m);
  expect(r.stderr).toContain(`error: no L2 block after 2 s: still waiting for transaction ${keccak256(tx)} on the L2. Raise --timeout`);
  const s = viemWaitSources(l1, createPublicClient({ transport: http(l2Url) }) as PublicClient, deployment.batchInbox);
  expect(await s.l2.receipt(keccak256(tx))).toBeNull();
  expect(await s.l1.forcedCursor()).toBe(0n);
  expect(await s.l1.batches(0n, await s.l1.head())).toEqual([]);
}, 60_000);

test('bad arguments exit 2 with the usage line', async () => {
  const cases: [string[], string][] = [
    [[], 'say where to force it: --dir DIR (a localnet) or --l1 URL --inbox ADDRESS --key FILE'],
    [['--l1', 'nope', '--inbox', '0x12', '--key', 'k', '--tx', '0x02'], '--l1 must be an http(s) URL; --inbox must be a 20-byte address in 0x hex'],
    [[...target(), '--tx', '0x0'], '--tx must be the signed transaction in 0x hex (whole bytes)'],
    [[...target(), '--tx', '0x02', '--to', USER.address], '--to, --value and --l2-key describe the transfer force-include builds; they cannot go with --tx'],
    [[...target()], 'without --tx, force-include signs a transfer: it needs --l2 URL (nonce and fees) and --l2-key FILE (the sender), or --dir'],
    [[...target(), '--tx', '0x02', '--wait'], '--wait follows the transaction on the L2: give --l2 URL (or --dir)'],
    [[...target(), '--tx', '0x02', '--value', '-1'], '--value must be an amount in wei'],
    [[...target(), '--l2', l2Url, '--tx', '0x02', '--wait', '--timeout', '0'], '--timeout must be a number of seconds from 1 to 86400'],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
    expect(r.stderr).toContain(`error: ${message}`);
    expect(r.stderr).toContain('Usage: seqpool l2 force-include [options]');
  }
  const unknown = await runCli(['--dir', dir, '--bogus']);
  expect({ code: unknown.code, stderr: unknown.stderr }).toEqual({ code: 2, stderr: expect.stringContaining("error: unknown option '--bogus'") });
}, 60_000);

test('clear exit-1 errors: L1 unreachable, fee too low, tx too large, no localnet, a bad key file', async () => {
  const tx = await USER.signTransaction({ type: 'eip1559', chainId: L2_CHAIN, nonce: 2, to: USER.address, value: 1n, gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n });
  const deadL1 = `http://127.0.0.1:${await freePort()}`;
  const down = await runCli(['--l1', deadL1, '--inbox', deployment.batchInbox, '--key', l1KeyFile, '--tx', tx]);
  expect({ code: down.code, stderr: down.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(new RegExp(`^error: cannot reach the L1 at ${deadL1}: HTTP request failed`, 'm')) });
  const low = await runCli([...target(), '--tx', tx, '--fee', '5']);
  expect({ code: low.code, stderr: low.stderr }).toEqual({ code: 1, stderr: expect.stringContaining(`error: BatchInbox refuses a fee of 5 wei: forceFee is ${FEE} wei (leave --fee out to pay it)`) });
  const big = await runCli([...target(), '--tx', `0x02${'00'.repeat(16_384)}`]);
  expect({ code: big.code, stderr: big.stderr }).toEqual({ code: 1, stderr: 'error: the transaction is 16385 bytes; BatchInbox takes at most 16384 (MAX_FORCED_TX_BYTES)\n' });
  const none = await runCli(['--dir', join(dir, 'no-such-localnet')]);
  expect({ code: none.code, stderr: none.stderr }).toEqual({ code: 1, stderr: expect.stringContaining(`error: no localnet directory ${join(dir, 'no-such-localnet')}: start one with`) });
  const notInbox = await runCli(['--l1', anvil.url, '--inbox', USER.address, '--key', l1KeyFile, '--tx', tx]);
  expect({ code: notInbox.code, stderr: notInbox.stderr }).toEqual({ code: 1, stderr: expect.stringContaining(`error: no contract at ${USER.address} on the L1 at ${anvil.url} (chain 31337)`) });
  const badKey = join(dir, 'bad.key');
  writeFileSync(badKey, 'hello');
  const bad = await runCli(['--l1', anvil.url, '--inbox', deployment.batchInbox, '--key', badKey, '--tx', tx]);
  expect({ code: bad.code, stderr: bad.stderr }).toEqual({ code: 1, stderr: `error: --key ${badKey} does not hold a private key: expected 0x and 64 hex digits\n` });
}, 60_000);
