// Does an L2 block carry the recommitEpoch that hands its height to a re-span's producer? Read from
// the block's raw transactions: one of them must call SequencerSet.recommitEpoch with the new epoch
// id. Whether it succeeded is geth's to say when it executes the block; this check only stops a
// producer from leaving the call out (after which SequencerSet could never record the re-span).
import { decodeFunctionData, parseTransaction, type Abi, type Hex } from 'viem';
import { abiOf } from '../contracts/artifacts.js';

let setAbi: Abi | undefined;

/** True when one of `transactions` calls recommitEpoch(_, newEpochId, …) on `sequencerSet`. */
export function carriesRecommit(transactions: readonly Hex[], sequencerSet: Hex, newEpochId: bigint): boolean {
  setAbi ??= abiOf('SequencerSet');
  const target = sequencerSet.toLowerCase();
  for (const raw of transactions) {
    let to: string | undefined | null;
    let data: Hex | undefined;
    try {
      ({ to, data } = parseTransaction(raw as `0x02${string}`));
    } catch {
      continue; // not ours to judge: geth validates transactions
    }
    if (!to || to.toLowerCase() !== target || !data) continue;
    try {
      const call = decodeFunctionData({ abi: setAbi, data });
      if (call.functionName === 'recommitEpoch' && (call.args as readonly unknown[])[1] === newEpochId) return true;
    } catch {
      // another function, or garbage
    }
  }
  return false;
}
