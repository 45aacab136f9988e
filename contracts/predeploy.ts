// Contracts that exist from an L2's block 0 (issue 12). The L2's SequencerSet must be there before
// any block is built, since it records who builds them, and nobody can deploy it with a transaction
// before the pool's producer builds the first block. So it is constructed for real (its own
// constructor, by the deployer at nonce 0, as deployL2 would) on a throwaway anvil of the same
// chain id, and the accounts that deployment wrote (code, storage, nonces) go into the L2 genesis.
// The address is therefore the one deployL2 would have given, and the deployer's nonce starts at 1.
import { gunzipSync } from 'node:zlib';
import { getAddress, type Address, type Hex } from 'viem';
import { deployL2, type L2DeployOptions } from './deploy.js';
import { startAnvil } from './devnet.js';

/** A genesis alloc entry (geth's genesis.json format). */
export interface GenesisAccount {
  balance: Hex;
  nonce?: Hex;
  code?: Hex;
  storage?: Record<Hex, Hex>;
}

interface DumpedAccount {
  nonce: number;
  balance: Hex;
  code: Hex;
  storage: Record<Hex, Hex>;
}

export interface Predeployed {
  sequencerSet: Address;
  deployer: Address;
  /** The SequencerSet account and the deployer's nonce, for the L2 genesis alloc. */
  alloc: Record<Address, GenesisAccount>;
}

/** SequencerSet with epoch 0 as genesis accounts; `port` is a free loopback port for the anvil. */
export async function predeploySequencerSet(o: Omit<L2DeployOptions, 'rpcUrl'> & { chainId: number; port: number }): Promise<Predeployed> {
  const anvil = await startAnvil({ port: o.port, chainId: o.chainId, accounts: 1 });
  try {
    const { chainId: _c, port: _p, ...deploy } = o;
    const d = await deployL2({ ...deploy, rpcUrl: anvil.url });
    const res = await fetch(anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_dumpState', params: [] }) });
    const body = (await res.json()) as { result?: Hex; error?: { message: string } };
    if (!body.result) throw new Error(`anvil_dumpState failed: ${body.error?.message ?? 'no result'}`);
    const state = JSON.parse(gunzipSync(Buffer.from(body.result.slice(2), 'hex')).toString('utf8')) as { accounts: Record<string, DumpedAccount> };
    const find = (a: Address): DumpedAccount => {
      const hit = Object.entries(state.accounts).find(([k]) => k.toLowerCase() === a.toLowerCase());
      if (!hit) throw new Error(`anvil_dumpState has no account ${a}`);
      return hit[1];
    };
    const set = find(d.sequencerSet);
    const deployer = find(d.deployer);
    const hexN = (n: number): Hex => `0x${n.toString(16)}`;
    return {
      sequencerSet: getAddress(d.sequencerSet),
      deployer: getAddress(d.deployer),
      alloc: {
        [getAddress(d.sequencerSet)]: { balance: '0x0', nonce: hexN(set.nonce), code: set.code, storage: set.storage },
        // Only the nonce: the deployer's balance is the caller's to give.
        [getAddress(d.deployer)]: { balance: '0x0', nonce: hexN(deployer.nonce) },
      },
    };
  } finally {
    await anvil.stop();
  }
}
