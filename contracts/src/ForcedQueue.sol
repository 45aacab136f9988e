// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title ForcedQueue
/// @notice The L1 forced-inclusion queue (DESIGN decision 15, issue 16): anyone pays `forceFee` to
/// enqueue a signed L2 transaction, and the batches that BatchInbox accepts must consume every
/// entry within `forceWindow` of its L1 timestamp. A single sequencer can censor; a pool could
/// collude to. This queue makes censorship visible and bounded on L1: a batch that leaves an
/// overdue entry out reverts, and if the pool appends nothing at all, anyone may append a
/// forced-only batch once the oldest entry has been overdue for `escapeDelay` (BatchInbox's
/// escape hatch). The whole pool colluding or gone can delay a forced transaction by at most
/// forceWindow + escapeDelay, never drop it.
/// @dev The queue is a hash chain: chain[0] = 0 and chain[i+1] = keccak256(abi.encode(chain[i],
/// keccak256(l2Tx_i), uint64 l1Block_i, uint64 timestamp_i)). A batch header names its cursor (the
/// number of entries consumed by it and every batch before it) and chain[cursor], so the pool's
/// signature covers exactly the entries it consumed: after an L1 reorg that changes them, the
/// signed header no longer matches and the batch must be re-signed. Only the chain hash and the
/// entry's L1 block and time are stored (2 slots); the transaction itself is in the
/// ForcedInclusion event, so an L2 node reads the whole queue with eth_getLogs alone.
///
/// Parameters (immutable): localnet forceFee 0.001 ether, forceWindow 20 s, escapeDelay 60 s
/// (contracts/deploy.ts LOCALNET_*); mainnet-style forceWindow 10 minutes (a few batches: room for
/// an L1 reorg and one failover of a censoring producer) and escapeDelay 1 day (Arbitrum's
/// delayed-inbox force inclusion waits about 24 h: long enough that an outage the pool recovers
/// from never forks the L2 by an escape batch, short enough to bound censorship).
abstract contract ForcedQueue is Ownable {
    struct ForcedEntry {
        /// chain[index + 1]: the chain hash after this entry.
        bytes32 chainHash;
        uint64 l1Block;
        uint64 timestamp;
    }

    /// The largest forced transaction (bytes): a plain L2 transfer is ~110 bytes, a contract call a
    /// few hundred; 16 KB bounds the calldata an escape batch's derivation must replay per entry.
    uint256 public constant MAX_FORCED_TX_BYTES = 16384;

    /// Wei paid per entry (spam resistance: each entry costs the pool an L2 slot and a check on L1).
    uint256 public immutable forceFee;
    /// Seconds after an entry's L1 timestamp by which a batch must have consumed it.
    uint256 public immutable forceWindow;
    /// Seconds after an entry became overdue from which anyone may append a forced-only batch.
    uint256 public immutable escapeDelay;

    /// Entries consumed by the appended batches (pool or forced): the next entry a batch must take.
    uint256 public forcedCursor;

    ForcedEntry[] internal _forcedEntries;

    event ForcedInclusion(uint256 indexed index, bytes32 chainHash, uint64 l1Block, uint64 timestamp, bytes l2Tx);
    event ForceFeesWithdrawn(address indexed to, uint256 amount);

    error ForceFeeTooLow(uint256 required, uint256 paid);
    error EmptyForcedTx();
    error ForcedTxTooLarge(uint256 max, uint256 got);
    error NoForcedEntry(uint256 index, uint256 length);
    error ForcedCursorBackwards(uint256 current, uint256 got);
    error ForcedCursorPastQueue(uint256 length, uint256 got);
    error ForcedChainHashMismatch(bytes32 expected, bytes32 got);
    error ForcedEntryOverdue(uint256 index, uint256 deadline);
    error ZeroRecipient();
    error ForceFeeTransferFailed(address to, uint256 amount);

    constructor(uint256 forceFee_, uint256 forceWindow_, uint256 escapeDelay_) {
        forceFee = forceFee_;
        forceWindow = forceWindow_;
        escapeDelay = escapeDelay_;
    }

    /// @notice Enqueues a signed L2 transaction the pool must include (or consume as invalid on L2,
    /// by the L2's own rules: its nonce and signature are the replay protection) within
    /// `forceWindow`. Anyone may call, also through a contract: the transaction is read from the
    /// ForcedInclusion event, not from calldata. An overpayment is kept like the fee.
    /// @return index the entry's position in the queue (0-based).
    function forceInclude(bytes calldata l2Tx) external payable returns (uint256 index) {
        if (msg.value < forceFee) revert ForceFeeTooLow(forceFee, msg.value);
        if (l2Tx.length == 0) revert EmptyForcedTx();
        if (l2Tx.length > MAX_FORCED_TX_BYTES) revert ForcedTxTooLarge(MAX_FORCED_TX_BYTES, l2Tx.length);
        index = _forcedEntries.length;
        bytes32 prev = index == 0 ? bytes32(0) : _forcedEntries[index - 1].chainHash;
        uint64 l1Block = uint64(block.number);
        uint64 timestamp = uint64(block.timestamp);
        bytes32 chainHash = keccak256(abi.encode(prev, keccak256(l2Tx), l1Block, timestamp));
        _forcedEntries.push(ForcedEntry(chainHash, l1Block, timestamp));
        emit ForcedInclusion(index, chainHash, l1Block, timestamp, l2Tx);
    }

    /// @notice Sends the collected fees to `to`. The fees pay for nothing on L1; the owner may
    /// route them to whoever runs the pool.
    function withdrawForceFees(address payable to) external onlyOwner {
        if (to == address(0)) revert ZeroRecipient();
        uint256 amount = address(this).balance;
        (bool ok, ) = to.call{value: amount}("");
        if (!ok) revert ForceFeeTransferFailed(to, amount);
        emit ForceFeesWithdrawn(to, amount);
    }

    /// @notice Number of entries ever enqueued (consumed or not).
    function forcedQueueLength() external view returns (uint256) {
        return _forcedEntries.length;
    }

    /// @notice Entry `index` (0-based): the chain hash after it, its L1 block and timestamp.
    function forcedEntry(uint256 index) external view returns (bytes32 chainHash, uint64 l1Block, uint64 timestamp) {
        uint256 len = _forcedEntries.length;
        if (index >= len) revert NoForcedEntry(index, len);
        ForcedEntry storage e = _forcedEntries[index];
        return (e.chainHash, e.l1Block, e.timestamp);
    }

    /// @notice chain[cursor]: zero for cursor 0, else the chain hash after entry cursor - 1. The
    /// value a header consuming the first `cursor` entries must carry as forcedChainHash.
    function forcedChainAt(uint256 cursor) public view returns (bytes32) {
        if (cursor == 0) return bytes32(0);
        uint256 len = _forcedEntries.length;
        if (cursor > len) revert ForcedCursorPastQueue(len, cursor);
        return _forcedEntries[cursor - 1].chainHash;
    }

    /// @dev A pool batch's queue checks: the cursor moves forward within the queue, names the
    /// entries it consumed by their chain hash, and leaves no overdue entry behind. Entries are in
    /// L1 time order, so only the first unconsumed one can be the oldest: O(1) whatever the count.
    /// A batch mined exactly at the deadline may still leave the entry out.
    function _checkForcedCursor(uint256 cursor, bytes32 chainHash) internal view {
        uint256 current = forcedCursor;
        if (cursor < current) revert ForcedCursorBackwards(current, cursor);
        uint256 len = _forcedEntries.length;
        if (cursor > len) revert ForcedCursorPastQueue(len, cursor);
        bytes32 expected = cursor == 0 ? bytes32(0) : _forcedEntries[cursor - 1].chainHash;
        if (chainHash != expected) revert ForcedChainHashMismatch(expected, chainHash);
        if (cursor < len) {
            uint256 deadline = uint256(_forcedEntries[cursor].timestamp) + forceWindow;
            if (block.timestamp > deadline) revert ForcedEntryOverdue(cursor, deadline);
        }
    }

    /// @dev Records the cursor after an accepted batch (skips the write when nothing was consumed).
    function _advanceForcedCursor(uint256 cursor) internal {
        if (cursor != forcedCursor) forcedCursor = cursor;
    }
}
