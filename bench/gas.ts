// npm run bench:gas: gas of one FROST verification, of BatchInbox.appendBatch and of the
// forced-inclusion queue (forceInclude, appendBatch consuming 0 / 1 / 16 entries), next to the
// Heimdall-style alternative (floor(2n/3)+1 ECDSA signatures checked one by one) for n = 4..100,
// all measured on one anvil in one run. Writes the `gas` section of docs/BENCHMARKS.md.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { createPublicClient, createWalletClient, encodeAbiParameters, http, keccak256, parseGwei, toHex, type Abi, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { encodeL1GroupKey, encodeL1Signature, l1Digest, thresholdFor, type KeyShare } from '../mpc/index.js';
import { l1DealerKey, thresholdSign } from './mpc-dealer.js';
import { artifact, type ContractName } from '../contracts/artifacts.js';
import { LOCALNET_ESCAPE_DELAY, LOCALNET_FORCE_FEE } from '../contracts/deploy.js';
import { BATCH_HEADER_ABI } from '../protocol/signed-payloads.js';
import { ANVIL_DEV_KEY, anvilBinary, startAnvil } from '../contracts/devnet.js';
import { markdownTable, writeBenchSection } from './report.js';

const PORT = Number(process.env.BENCH_GAS_PORT ?? 24100);
const SIZES = [4, 10, 25, 50, 100];
const hex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`;
const bytes = (h: Hex): Uint8Array => Uint8Array.from(Buffer.from(h.slice(2), 'hex'));

/** 96-byte L1 signature by a key from an in-process trusted dealer (the figures do not depend on how it was made). */
const frostSign96 = (shares: KeyShare[], msg: Uint8Array): Hex => hex(encodeL1Signature(thresholdSign(shares, msg)!));

async function main(): Promise<void> {
  const anvil = await startAnvil({ port: PORT, chainId: 31337 });
  try {
    const transport = http(anvil.url);
    const pub = createPublicClient({ transport, pollingInterval: 100 });
    const account = privateKeyToAccount(ANVIL_DEV_KEY);
    const chain = { id: 31337, name: 'anvil', nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [anvil.url] } } } as const;
    const wallet = createWalletClient({ account, chain, transport });
    const deploy = async (name: ContractName, args: unknown[]): Promise<Address> => {
      const a = artifact(name);
      const r = await pub.waitForTransactionReceipt({ hash: await wallet.deployContract({ abi: a.abi, bytecode: a.bytecode, args }) });
      return r.contractAddress!;
    };
    const read = async <T>(address: Address, name: ContractName, functionName: string, args: unknown[]): Promise<T> =>
      (await pub.readContract({ abi: artifact(name).abi as Abi, address, functionName, args })) as T;
    const send = async (address: Address, name: ContractName, functionName: string, args: unknown[], value?: bigint): Promise<bigint> => {
      const r = await pub.waitForTransactionReceipt({ hash: await wallet.writeContract({ abi: artifact(name).abi as Abi, address, functionName, args, value }) });
      if (r.status !== 'success') throw new Error(`${functionName} reverted`);
      return r.gasUsed;
    };
    const estimate = (address: Address, name: ContractName, functionName: string, args: unknown[]) =>
      pub.estimateContractGas({ abi: artifact(name).abi as Abi, address, functionName, args, account });

    // FROST: one verification, whatever n is (the pool's size only changes who signs off chain).
    const key = l1DealerKey(4, 3, 'bench');
    const groupKey = hex(encodeL1GroupKey(key[0]!.public.groupKey));
    const harness = await deploy('FrostVerifierHarness', []);
    const digest = keccak256(toHex('bench'));
    const sig = frostSign96(key, bytes(digest));
    const [ok, frostInternal] = await read<[boolean, bigint]>(harness, 'FrostVerifierHarness', 'measureVerify', [digest, groupKey, sig]);
    if (!ok) throw new Error('FROST signature did not verify');
    const frostCall = await estimate(harness, 'FrostVerifierHarness', 'verify', [digest, groupKey, sig]);

    // appendBatch: first batch (cold storage) and later ones (steady state), with 1 KB of data each
    // (random: compressed batch data is near incompressible), then one with 120 KB (the default size bound).
    // forceWindow of an hour: no queue entry falls due while the bench runs (the check costs the same either way).
    const deployInbox = () => deploy('BatchInbox', [account.address, groupKey, 1n, LOCALNET_FORCE_FEE, 3600n, LOCALNET_ESCAPE_DELAY]);
    const inbox = await deployInbox();
    const chainId = await pub.getChainId();
    /** Appends the next batch of 200 L2 blocks with `data`, its header's queue cursor at `cursor`; its gas. */
    const appendNext = async (to: Address, data: Hex, cursor: bigint): Promise<bigint> => {
      const start = await read<bigint>(to, 'BatchInbox', 'nextL2Block', []);
      const h = {
        batchIndex: await read<bigint>(to, 'BatchInbox', 'nextBatchIndex', []),
        prevBatchHash: await read<Hex>(to, 'BatchInbox', 'lastBatchHash', []),
        l2StartBlock: start,
        l2EndBlock: start + 199n,
        dataHash: keccak256(data),
        producer: account.address,
        forcedCursor: cursor,
        forcedChainHash: await read<Hex>(to, 'BatchInbox', 'forcedChainAt', [cursor]),
      };
      const payload = encodeAbiParameters(BATCH_HEADER_ABI, [h]);
      const s = frostSign96(key, l1Digest({ chainId: BigInt(chainId), verifier: bytes(to), purpose: 'appendBatch', payload: bytes(payload) }));
      return send(to, 'BatchInbox', 'appendBatch', [h, data, s]);
    };
    const appendGas: bigint[] = [];
    for (let i = 0; i < 4; i++) appendGas.push(await appendNext(inbox, toHex(randomBytes(i < 3 ? 1024 : 120 * 1024)), 0n));

    // The forced-inclusion queue: forceInclude of a signed L2 transfer (the size of a typical forced
    // tx), then appendBatch consuming 0, 1 and 16 entries, each with the same 1 KB of data, after a
    // warm-up batch that writes the fresh slots (and moves the cursor off zero).
    const forcedInbox = await deployInbox();
    const l2Sender = privateKeyToAccount(generatePrivateKey());
    const l2Tx = (nonce: number) =>
      l2Sender.signTransaction({ type: 'eip1559', chainId: 31338, nonce, to: account.address, value: 10n ** 16n, gas: 21_000n, maxFeePerGas: parseGwei('2'), maxPriorityFeePerGas: parseGwei('1') });
    const l2TxBytes = ((await l2Tx(0)).length - 2) / 2;
    const includeGas: bigint[] = [];
    for (let i = 0; i < 19; i++) includeGas.push(await send(forcedInbox, 'BatchInbox', 'forceInclude', [await l2Tx(i)], LOCALNET_FORCE_FEE));
    const forcedData = toHex(randomBytes(1024));
    await appendNext(forcedInbox, forcedData, 1n);
    const consumedGas = [await appendNext(forcedInbox, forcedData, 1n), await appendNext(forcedInbox, forcedData, 2n), await appendNext(forcedInbox, forcedData, 18n)];

    // ECDSA quorum for each n.
    const rows: (string | number)[][] = [];
    for (const n of SIZES) {
      const keys = Array.from({ length: n }, () => privateKeyToAccount(generatePrivateKey()));
      const t = thresholdFor(n);
      const verifier = await deploy('EcdsaQuorumVerifier', [keys.map((k) => k.address)]);
      const signers = keys.slice(0, t).sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
      const sigs = (await Promise.all(signers.map((k) => k.sign({ hash: digest })))).map((x) => x.slice(2)).join('');
      const [qok, ecdsaInternal] = await read<[boolean, bigint]>(verifier, 'EcdsaQuorumVerifier', 'measureVerify', [digest, `0x${sigs}`]);
      if (!qok) throw new Error(`ECDSA quorum n=${n} did not verify`);
      const ecdsaCall = await estimate(verifier, 'EcdsaQuorumVerifier', 'verify', [digest, `0x${sigs}`]);
      const ecdsaSubmit = await send(verifier, 'EcdsaQuorumVerifier', 'submit', [digest, `0x${sigs}`]);
      rows.push([n, t, Number(ecdsaInternal), Number(ecdsaCall), Number(ecdsaSubmit), Number(frostInternal), Number(frostCall), `${(Number(ecdsaCall) / Number(frostCall)).toFixed(1)}x`]);
    }

    const anvilVersion = execFileSync(anvilBinary(), ['--version'], { encoding: 'utf8' }).split('\n')[0];
    const md = [
      '## Gas (`npm run bench:gas`)',
      '',
      `Machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, node ${process.version}, ${anvilVersion}, solc ${artifact('FrostVerifierHarness').solcVersion} (optimizer on), measured on one anvil in one run.`,
      '',
      '"verify only" is the gas of the verification code itself (gasleft() around the library call or loop);',
      '"as a tx" is eth_estimateGas of the external verify call (21,000 base + calldata + dispatch + verification).',
      '',
      `- FrostVerifier.verify (one FROST signature, any pool size): **${frostInternal} gas** verify only, ${frostCall} gas as a tx (96-byte signature).`,
      `- BatchInbox.appendBatch (signature check, continuity checks, data hash check, forced-queue check, 4 storage writes, event) with 1 KB of data: ${appendGas[0]} gas for the first batch, ${appendGas[1]} / ${appendGas[2]} for the next ones; with 120 KB of data: ${appendGas[3]} gas.`,
      `- Forced inclusion: BatchInbox.forceInclude of a ${l2TxBytes}-byte signed L2 transfer: ${includeGas[0]} gas for the first entry, ${includeGas[1]} for the next ones; appendBatch with 1 KB of data consuming 0 entries: ${consumedGas[0]} gas, 1 entry: ${consumedGas[1]}, 16 entries: ${consumedGas[2]} (the check is O(1): the chain hash at the cursor and the first unconsumed entry's time).`,
      '',
      markdownTable(['n validators', 'signatures (floor(2n/3)+1)', 'ECDSA quorum verify only', 'ECDSA quorum as a tx', 'ECDSA submit tx (verify + 1 store + event)', 'FROST verify only', 'FROST as a tx', 'ECDSA / FROST (tx)'], rows),
    ].join('\n');
    const file = writeBenchSection('gas', md);
    console.log(md);
    console.log(`\nwritten to ${file}`);
  } finally {
    await anvil.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
