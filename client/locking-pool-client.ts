// Operator-side LockingPool calls with viem: lock stake for a validator key, relock, unlock, rotate
// the signer, and read sequencers back. Used by `seqpool l1 ...`, `seqpool localnet up/join`, the
// integration tests and bench:join. The signer of a lock is always the Ethereum address of the
// CometBFT validator key (DESIGN.md decision 3), so callers pass that key, never a bare address.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { getAddress, maxUint256, parseEventLogs, type Address, type Hex, type PublicClient, type TransactionReceipt } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { artifact } from '../contracts/artifacts.js';
import { accountClients } from '../contracts/clients.js';
import { ethAddress } from '../protocol/l1-signer.js';

const poolAbi = artifact('LockingPool').abi;
const tokenAbi = artifact('StakeToken').abi;
export const TOKEN = 10n ** 18n;

export interface L1Session {
  pub: PublicClient;
  account: PrivateKeyAccount;
  send(address: Address, abi: 'LockingPool' | 'StakeToken', functionName: string, args: unknown[]): Promise<TransactionReceipt>;
}

/** viem's revert errors span a dozen lines; an operator needs the contract's error and its values. */
function revertLine(e: unknown): string {
  const x = e as { shortMessage?: string; message?: string; metaMessages?: string[] };
  const meta = (x.metaMessages ?? []).map((m) => m.trim()).filter((m) => m && !m.startsWith('Contract Call'));
  return [x.shortMessage ?? x.message?.split('\n')[0] ?? String(e), ...meta.slice(0, 2)].join(' ');
}

export async function l1Session(rpcUrl: string, key: Hex): Promise<L1Session> {
  const { pub, wallet, account, chain } = await accountClients(rpcUrl, key);
  return {
    pub,
    account,
    async send(address, name, functionName, args) {
      const abi = name === 'LockingPool' ? poolAbi : tokenAbi;
      // Simulate first so that a revert reports the contract's reason instead of a bare status 0.
      const { request } = await pub.simulateContract({ abi, address, functionName, args, account, chain } as never).catch((e: unknown) => {
        throw new Error(`${name}.${functionName} would revert: ${revertLine(e)}`);
      });
      const hash = await wallet.writeContract(request as never);
      const r = await pub.waitForTransactionReceipt({ hash });
      if (r.status !== 'success') throw new Error(`${name}.${functionName} reverted (tx ${hash})`);
      return r;
    },
  };
}

/** Ethereum signer address (protocol/l1-signer.ts) and the 64-byte uncompressed key (no 0x04) that lockFor takes. */
export function signerOf(pubKey33: Uint8Array): { signer: Address; pubkey64: Hex } {
  const raw = secp256k1.Point.fromBytes(pubKey33).toBytes(false).subarray(1);
  const signer = getAddress(`0x${Buffer.from(ethAddress(pubKey33)).toString('hex')}`);
  return { signer, pubkey64: `0x${Buffer.from(raw).toString('hex')}` };
}

export const privKeyHex = (privKey: Uint8Array): Hex => `0x${Buffer.from(privKey).toString('hex')}`;

export interface PoolEvent {
  eventName: string;
  sequencerId: bigint;
  nonce: bigint;
  blockNumber: bigint;
  txHash: Hex;
}

function poolEvent(r: TransactionReceipt, pool: Address, name: string): PoolEvent {
  const logs = parseEventLogs({ abi: poolAbi, logs: r.logs.filter((l) => l.address.toLowerCase() === pool.toLowerCase()) }) as unknown as { eventName: string; args: { sequencerId: bigint; nonce: bigint } }[];
  const ev = logs.find((l) => l.eventName === name);
  if (!ev) throw new Error(`no ${name} event in tx ${r.transactionHash}`);
  return { eventName: name, sequencerId: ev.args.sequencerId, nonce: ev.args.nonce, blockNumber: r.blockNumber, txHash: r.transactionHash };
}

/** Approves the pool once (max allowance) so that later locks are one transaction each. */
export async function ensureAllowance(s: L1Session, pool: Address, amount: bigint): Promise<void> {
  const token = (await s.pub.readContract({ abi: poolAbi, address: pool, functionName: 'token' })) as Address;
  const allowance = (await s.pub.readContract({ abi: tokenAbi, address: token, functionName: 'allowance', args: [s.account.address, pool] })) as bigint;
  if (allowance < amount) await s.send(token, 'StakeToken', 'approve', [pool, maxUint256]);
}

/** lockFor(signer of `pubKey33`, amount): the caller must be whitelisted and hold the tokens. */
export async function lockFor(s: L1Session, pool: Address, pubKey33: Uint8Array, amount: bigint): Promise<PoolEvent & { signer: Address }> {
  const { signer, pubkey64 } = signerOf(pubKey33);
  await ensureAllowance(s, pool, amount);
  const r = await s.send(pool, 'LockingPool', 'lockFor', [signer, amount, pubkey64]);
  return { ...poolEvent(r, pool, 'Locked'), signer };
}

export async function relock(s: L1Session, pool: Address, sequencerId: bigint, amount: bigint): Promise<PoolEvent> {
  await ensureAllowance(s, pool, amount);
  return poolEvent(await s.send(pool, 'LockingPool', 'relock', [sequencerId, amount]), pool, 'Relocked');
}

export async function unlock(s: L1Session, pool: Address, sequencerId: bigint): Promise<PoolEvent> {
  return poolEvent(await s.send(pool, 'LockingPool', 'unlock', [sequencerId]), pool, 'UnlockInit');
}

/** Called by the current signer (the session's key must be the sequencer's validator key). */
export async function updateSigner(s: L1Session, pool: Address, sequencerId: bigint, newPubKey33: Uint8Array): Promise<PoolEvent> {
  return poolEvent(await s.send(pool, 'LockingPool', 'updateSigner', [sequencerId, signerOf(newPubKey33).pubkey64]), pool, 'SignerChange');
}
