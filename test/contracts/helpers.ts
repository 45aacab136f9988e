// Shared helpers for the contract tests: a trusted-dealer FROST key made with mpc/ and signing over
// L1 digests, one anvil per test file with viem clients, deployment and revert assertions.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { createPublicClient, createWalletClient, http, keccak256, toHex, type Abi, type Address, type Hex, type PublicClient, type WalletClient } from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { encodeL1GroupKey, encodeL1Signature, l1Digest, type KeyShare } from '../../mpc/index.js';
import { l1DealerKey, thresholdSign } from '../../bench/mpc-dealer.js';
import { artifact, type ContractName } from '../../contracts/artifacts.js';
import { startAnvil, type Anvil } from '../../contracts/devnet.js';
import { track } from '../children.js';
import { freePort } from '../ports.js';

export const hex = (b: Uint8Array): Hex => `0x${bytesToHex(b)}`;
export const bytes = (h: Hex): Uint8Array => hexToBytes(h.slice(2));

/** A t-of-n FROST key from a trusted dealer (tests only), re-dealt until the L1 can take it (Px < n). */
export const dealKey = (n: number, t: number): KeyShare[] => l1DealerKey(n, t, 'test');

/** RFC 9591 two-round signing with the first t shares; the 65-byte signature. */
export const frostSign = (shares: KeyShare[], msg: Uint8Array): Uint8Array => thresholdSign(shares, msg)!;

/** A FROST key as the L1 contracts hold it, and a signer for their digests. */
export class PoolKey {
  readonly shares: KeyShare[];
  constructor(n = 4, t = 3) {
    this.shares = dealKey(n, t);
  }
  get groupKey(): Hex {
    return hex(encodeL1GroupKey(this.shares[0]!.public.groupKey));
  }
  signDigest(digest: Uint8Array): Hex {
    return hex(encodeL1Signature(frostSign(this.shares, digest)));
  }
  /** 96-byte signature over l1Digest(chainId, contract, purpose, payload). */
  sign(chainId: number, contract: Address, purpose: string, payload: Hex): Hex {
    return this.signDigest(l1Digest({ chainId: BigInt(chainId), verifier: bytes(contract), purpose, payload: bytes(payload) }));
  }
}

/** anvil's first development accounts (public, well-known keys). */
export const DEV_KEYS: Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
];

export interface Chain {
  anvil: Anvil;
  chainId: number;
  pub: PublicClient;
  accounts: PrivateKeyAccount[];
  wallet(account: PrivateKeyAccount): WalletClient;
  deploy(name: ContractName, args: unknown[], from?: PrivateKeyAccount): Promise<Address>;
  /** Sends a transaction and waits for it; throws (with the decoded custom error) on revert. */
  write(from: PrivateKeyAccount, address: Address, name: ContractName, functionName: string, args: unknown[]): Promise<{ gasUsed: bigint; blockNumber: bigint; logs: readonly { topics: readonly Hex[]; data: Hex; address: Address }[] }>;
  read<T>(address: Address, name: ContractName, functionName: string, args?: unknown[]): Promise<T>;
  increaseTime(seconds: number): Promise<void>;
  /** A fresh random account with 100 ETH. */
  fundedAccount(): Promise<PrivateKeyAccount>;
  stop(): Promise<void>;
}

/** An anvil on a port from the test allocator, stopped at the end of the test file whatever happens. */
export async function startChain(chainId = 31337, extraArgs: string[] = []): Promise<Chain> {
  const anvil = track(await startAnvil({ port: await freePort(), chainId, extraArgs }));
  const transport = http(anvil.url);
  const pub = createPublicClient({ transport }) as PublicClient;
  const accounts = DEV_KEYS.map((k) => privateKeyToAccount(k));
  const chain = { id: chainId, name: 'anvil', nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [anvil.url] } } } as const;
  const wallet = (account: PrivateKeyAccount): WalletClient => createWalletClient({ account, chain, transport });
  const rpc = (method: string, params: unknown[]) => pub.request({ method: method as never, params: params as never });
  return {
    anvil,
    chainId,
    pub,
    accounts,
    wallet,
    async deploy(name, args, from = accounts[0]!) {
      const a = artifact(name);
      const hash = await wallet(from).deployContract({ abi: a.abi, bytecode: a.bytecode, args, account: from, chain });
      const r = await pub.waitForTransactionReceipt({ hash });
      if (!r.contractAddress || r.status !== 'success') throw new Error(`deploy ${name} failed`);
      return r.contractAddress;
    },
    async write(from, address, name, functionName, args) {
      const hash = await wallet(from).writeContract({ abi: artifact(name).abi as Abi, address, functionName, args, account: from, chain });
      const r = await pub.waitForTransactionReceipt({ hash });
      if (r.status !== 'success') throw new Error(`${functionName} reverted`);
      return r;
    },
    async read<T>(address: Address, name: ContractName, functionName: string, args: unknown[] = []) {
      return (await pub.readContract({ abi: artifact(name).abi as Abi, address, functionName, args })) as T;
    },
    async increaseTime(seconds) {
      await rpc('evm_increaseTime', [seconds]);
      await rpc('evm_mine', []);
    },
    async fundedAccount() {
      const account = privateKeyToAccount(generatePrivateKey());
      await rpc('anvil_setBalance', [account.address, '0x56bc75e2d63100000']);
      return account;
    },
    stop: () => anvil.stop(),
  };
}

/** Expects the promise to reject with the named custom error (viem decodes it from the ABI). */
export async function expectRevert(p: Promise<unknown>, errorName: string): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error(`expected revert ${errorName}, but the call succeeded`);
  const text = `${(err as Error).message}`;
  // Errors raised inside library code are not in the caller's ABI: match their selector too.
  const selector = keccak256(toHex(`${errorName}()`)).slice(0, 10);
  if (!text.includes(errorName) && !text.includes(selector)) throw new Error(`expected revert ${errorName}, got: ${text.split('\n').slice(0, 6).join(' | ')}`);
}
