// viem clients for one account on one Ethereum JSON-RPC, shared by the deploy step and the operator
// commands (seqpool l1 ...): the chain is read from the node, receipts are polled quickly.
import { createPublicClient, createWalletClient, defineChain, http, type Chain, type Hex, type PublicClient, type WalletClient } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';

export interface AccountClients {
  pub: PublicClient;
  wallet: WalletClient;
  account: PrivateKeyAccount;
  chain: Chain;
  chainId: number;
}

export async function accountClients(rpcUrl: string, key: Hex): Promise<AccountClients> {
  const transport = http(rpcUrl);
  // Devnets mine about every second; viem's default 4 s receipt polling would dominate every call.
  const pub = createPublicClient({ transport, pollingInterval: 200 }) as PublicClient;
  const chainId = await pub.getChainId();
  const chain = defineChain({ id: chainId, name: `chain-${chainId}`, nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
  const account = privateKeyToAccount(key);
  return { pub, wallet: createWalletClient({ account, chain, transport, pollingInterval: 200 }), account, chain, chainId };
}
