// Did an L2 block hand its height to a re-span's producer? The first block a re-span builds must
// leave SequencerSet recording the new epoch (its signer, starting at that block): SequencerSet
// refuses a start block in the past, so a later block could never record it, and L2's record of
// producers would part from the pool's for good. Read from the block's own post-state (eth_call at
// its hash, canonical or not), so a recommitEpoch call that reverted (a bad signature, or sent
// before the commitEpoch it depends on) does not count: only what geth executed does.
import { decodeFunctionResult, encodeFunctionData, type Abi, type Hex } from 'viem';
import { abiOf } from '../contracts/artifacts.js';
import type { EngineClient } from './engine.js';

let setAbi: Abi | undefined;

/** True when, after block `blockHash`, SequencerSet's epoch `epochId` is `signer`'s from `startBlock`. */
export async function recordsEpoch(engine: EngineClient, sequencerSet: Hex, blockHash: Hex, epoch: { epochId: bigint; signer: Hex; startBlock: bigint }): Promise<boolean> {
  setAbi ??= abiOf('SequencerSet');
  const data = encodeFunctionData({ abi: setAbi, functionName: 'epochs', args: [epoch.epochId] });
  let out: Hex;
  try {
    out = await engine.call<Hex>('eth_call', [{ to: sequencerSet, data }, { blockHash, requireCanonical: false }]);
  } catch (e) {
    // An id past the last epoch reverts: the epoch is not recorded. Anything else (geth down) is not
    // a verdict on the block and is thrown.
    if (/revert/i.test((e as Error).message)) return false;
    throw e;
  }
  const e = decodeFunctionResult({ abi: setAbi, functionName: 'epochs', data: out }) as { signer: Hex; startBlock: bigint };
  return e.signer.toLowerCase() === epoch.signer.toLowerCase() && e.startBlock === epoch.startBlock;
}
