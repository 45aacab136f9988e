// A test-only contract that emits the five LockingPool events with whatever arguments a test gives,
// plus a raw `log` for malformed logs. It is compiled here with the pinned npm solc (decision 11) so
// the bridge tests do not wait on the real LockingPool; the event signatures match bridge/locking-pool-abi.ts.
import solc from 'solc';
import { parseAbi, type Abi, type Hex } from 'viem';

const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract LockingPoolEmitter {
  event Locked(uint256 indexed sequencerId, address indexed signer, uint256 nonce, uint256 amount, uint256 total, bytes signerPubkey);
  event Relocked(uint256 indexed sequencerId, uint256 nonce, uint256 amount, uint256 total);
  event UnlockInit(uint256 indexed sequencerId, address indexed signer, uint256 nonce, uint256 deactivationTime, uint256 amount);
  event Unlocked(uint256 indexed sequencerId, address indexed signer, uint256 nonce, uint256 amount);
  event SignerChange(uint256 indexed sequencerId, uint256 nonce, address indexed oldSigner, address indexed newSigner, bytes signerPubkey);
  function locked(uint256 id, address signer, uint256 nonce, uint256 amount, uint256 total, bytes calldata pk) external { emit Locked(id, signer, nonce, amount, total, pk); }
  function relocked(uint256 id, uint256 nonce, uint256 amount, uint256 total) external { emit Relocked(id, nonce, amount, total); }
  function unlockInit(uint256 id, address signer, uint256 nonce, uint256 t, uint256 amount) external { emit UnlockInit(id, signer, nonce, t, amount); }
  function unlocked(uint256 id, address signer, uint256 nonce, uint256 amount) external { emit Unlocked(id, signer, nonce, amount); }
  function signerChange(uint256 id, uint256 nonce, address o, address n, bytes calldata pk) external { emit SignerChange(id, nonce, o, n, pk); }
  function raw2(bytes32 t0, bytes32 t1, bytes calldata data) external {
    bytes memory d = data;
    assembly { log2(add(d, 32), mload(d), t0, t1) }
  }
}`;

export const emitterAbi = parseAbi([
  'function locked(uint256 id, address signer, uint256 nonce, uint256 amount, uint256 total, bytes pk)',
  'function relocked(uint256 id, uint256 nonce, uint256 amount, uint256 total)',
  'function unlockInit(uint256 id, address signer, uint256 nonce, uint256 t, uint256 amount)',
  'function unlocked(uint256 id, address signer, uint256 nonce, uint256 amount)',
  'function signerChange(uint256 id, uint256 nonce, address o, address n, bytes pk)',
  'function raw2(bytes32 t0, bytes32 t1, bytes data)',
]);

/** Compiles the emitter once per process; returns its ABI and creation bytecode. */
export function compileEmitter(): { abi: Abi; bytecode: Hex } {
  const input = {
    language: 'Solidity',
    sources: { 'Emitter.sol': { content: SOURCE } },
    settings: { optimizer: { enabled: false }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(`emitter does not compile:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const c = out.contracts?.['Emitter.sol']?.['LockingPoolEmitter'];
  if (!c) throw new Error('solc produced no LockingPoolEmitter');
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
}
