// A test-only contract that forwards a call and bubbles up the callee's revert data: what a multisig
// or a batching wrapper does when it submits for someone. BatchInbox must refuse such a caller
// (NotDirectCall), since a verifier reads the batch data from the top-level transaction's calldata.
// Compiled here with the pinned npm solc, like test/bridge/emitter.ts.
import solc from 'solc';
import type { Abi, Hex } from 'viem';

const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Forwarder {
  function forward(address to, bytes calldata data) external {
    (bool ok, bytes memory ret) = to.call(data);
    if (!ok) assembly { revert(add(ret, 32), mload(ret)) }
  }
}`;

/** The forwarder's ABI and creation bytecode. */
export function compileForwarder(): { abi: Abi; bytecode: Hex } {
  const input = {
    language: 'Solidity',
    sources: { 'Forwarder.sol': { content: SOURCE } },
    settings: { optimizer: { enabled: false }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(`forwarder does not compile:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const c = out.contracts?.['Forwarder.sol']?.['Forwarder'];
  if (!c) throw new Error('solc produced no Forwarder');
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
}
