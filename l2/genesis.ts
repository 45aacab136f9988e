// The L2's genesis (DESIGN.md decision 13): post-merge from block 0 (terminal total difficulty 0, every
// fork at 0 up to Cancun, so the chain is driven by the Engine API from its first block). Prague is
// left out: it needs its system contracts (EIP-2935, 7002, 7251) predeployed, and nothing here needs
// it yet. The same file initialises every validator's geth and the verifier's (`seqpool l2 verify`).
import type { Hex } from 'viem';

export interface L2GenesisOptions {
  chainId: number;
  /** Accounts funded at genesis (gas money for validators and the deployer). */
  alloc: Record<Hex, bigint>;
  /** Accounts with code, storage or a nonce at genesis (contracts/predeploy.ts: SequencerSet). */
  accounts?: Record<Hex, { nonce?: Hex; code?: Hex; storage?: Record<Hex, Hex> }>;
  /** Block gas limit (default 30M). */
  gasLimit?: bigint;
  /** Genesis timestamp, unix seconds (default 0). */
  timestamp?: bigint;
}

export function l2Genesis(o: L2GenesisOptions): Record<string, unknown> {
  const hex = (n: bigint) => `0x${n.toString(16)}`;
  return {
    config: {
      chainId: o.chainId,
      homesteadBlock: 0,
      eip150Block: 0,
      eip155Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      berlinBlock: 0,
      londonBlock: 0,
      mergeNetsplitBlock: 0,
      terminalTotalDifficulty: 0,
      shanghaiTime: 0,
      cancunTime: 0,
      blobSchedule: { cancun: { target: 3, max: 6, baseFeeUpdateFraction: 3338477 } },
    },
    difficulty: '0x0',
    gasLimit: hex(o.gasLimit ?? 30_000_000n),
    baseFeePerGas: hex(1_000_000_000n),
    timestamp: hex(o.timestamp ?? 0n),
    extraData: '0x',
    alloc: genesisAlloc(o),
  };
}

function genesisAlloc(o: L2GenesisOptions): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const at = (a: string) => (out[a.toLowerCase()] ??= { balance: '0x0' });
  for (const [a, acc] of Object.entries(o.accounts ?? {})) Object.assign(at(a), acc, { balance: '0x0' });
  for (const [a, v] of Object.entries(o.alloc)) at(a).balance = `0x${v.toString(16)}`;
  return out;
}
