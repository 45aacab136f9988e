// A deployed StakeToken + LockingPool on a test anvil, with a whitelisted locker holding tokens and
// helpers for signer keys and decoded events.
import { parseEther, parseEventLogs, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { artifact } from '../../contracts/artifacts.js';
import { PoolKey, startChain, type Chain } from './helpers.js';

export const TOKENS = (n: number | bigint): bigint => parseEther(String(n));

export interface PoolFixture {
  chain: Chain;
  key: PoolKey;
  token: Address;
  pool: Address;
  owner: PrivateKeyAccount;
  locker: PrivateKeyAccount;
  stranger: PrivateKeyAccount;
}

/** A new signer key: its account (funded) and the 64-byte pubkey lockFor takes. */
export async function newSigner(chain: Chain): Promise<{ account: PrivateKeyAccount; pubkey: Hex }> {
  const account = privateKeyToAccount(generatePrivateKey());
  await chain.pub.request({ method: 'anvil_setBalance' as never, params: [account.address, '0x56bc75e2d63100000'] as never });
  return { account, pubkey: `0x${account.publicKey.slice(4)}` };
}

/** `anvilArgs`: e.g. ['--slots-in-an-epoch', '1'] for an L1 whose finalized block trails the head by two. */
export async function deployPool(opts: { groupKey?: Hex; anvilArgs?: string[] } = {}): Promise<PoolFixture> {
  const chain = await startChain(31337, opts.anvilArgs);
  const [owner, locker, stranger] = chain.accounts as [PrivateKeyAccount, PrivateKeyAccount, PrivateKeyAccount];
  const key = new PoolKey(4, 3);
  const token = await chain.deploy('StakeToken', [owner.address]);
  const pool = await chain.deploy('LockingPool', [token, owner.address, opts.groupKey ?? key.groupKey]);
  for (const who of [locker, stranger]) {
    await chain.write(owner, token, 'StakeToken', 'mint', [who.address, TOKENS(1_000_000)]);
    await chain.write(who, token, 'StakeToken', 'approve', [pool, 2n ** 255n]);
  }
  await chain.write(owner, pool, 'LockingPool', 'setWhitelist', [locker.address, true]);
  return { chain, key, token, pool, owner, locker, stranger };
}

export interface DecodedEvent {
  eventName: string;
  args: Record<string, unknown>;
}

/** Events of the LockingPool (or another contract) in a receipt's logs. */
export function events(logs: Parameters<typeof parseEventLogs>[0]['logs'], name: 'LockingPool' | 'BatchInbox' | 'SequencerSet' = 'LockingPool'): DecodedEvent[] {
  return parseEventLogs({ abi: artifact(name).abi, logs }) as unknown as DecodedEvent[];
}

export const balanceOf = (f: PoolFixture, who: Address): Promise<bigint> => f.chain.read<bigint>(f.token, 'StakeToken', 'balanceOf', [who]);

export interface SequencerView {
  owner: Address;
  signer: Address;
  amount: bigint;
  deactivationTime: bigint;
  nonce: bigint;
  status: number;
}

export async function sequencer(f: PoolFixture, id: bigint): Promise<SequencerView> {
  const [owner, signer, amount, deactivationTime, nonce, status] = await f.chain.read<[Address, Address, bigint, bigint, bigint, number]>(f.pool, 'LockingPool', 'sequencers', [id]);
  return { owner, signer, amount, deactivationTime, nonce, status };
}
