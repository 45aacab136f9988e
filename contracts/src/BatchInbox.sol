// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FrostAuthorized} from "./FrostAuthorized.sol";
import {ForcedQueue} from "./ForcedQueue.sol";

/// @title BatchInbox
/// @notice L1 record of the rollup's batches (DESIGN flow 3). A batch is accepted only with the
/// pool's FROST signature over its header and only if it continues the chain of batches: next
/// index, the previous batch's hash, and the L2 block right after the last one. Anyone may submit
/// (the producer or a relayer): the signature, which names the producer, is the authorisation.
/// The batch's data (protocol/batch-data.ts: the L2 blocks, compressed) rides in the calldata and
/// must hash to the signed header's dataHash, so L1 holds what anyone needs to rebuild the L2
/// (`seqpool l2 verify`). The contract stores only the hash; the data stays in L1 history.
/// Every batch also moves the forced-inclusion queue's cursor (ForcedQueue): a pool batch must
/// consume every overdue entry, and when the pool appends nothing, anyone may append a forced-only
/// batch (appendForcedBatch, the escape hatch).
contract BatchInbox is FrostAuthorized, ForcedQueue {
    struct BatchHeader {
        uint256 batchIndex;
        bytes32 prevBatchHash;
        uint256 l2StartBlock;
        uint256 l2EndBlock;
        bytes32 dataHash;
        /// Zero only in a forced-only batch (appendForcedBatch); a pool batch names its producer.
        address producer;
        /// Queue entries consumed by this batch and every one before it.
        uint256 forcedCursor;
        /// forcedChainAt(forcedCursor): binds the signature to exactly the consumed entries.
        bytes32 forcedChainHash;
    }

    bytes32 internal constant APPEND_BATCH = keccak256("appendBatch");
    /// Most entries one escape batch consumes: each becomes one L2 block, so this bounds the L2
    /// blocks a verifier derives from one call (more come in further calls, each allowed at once
    /// when its oldest entry is just as overdue).
    uint256 public constant MAX_FORCED_PER_BATCH = 64;

    uint256 public nextBatchIndex;
    /// Hash of the last accepted header (zero before the first batch).
    bytes32 public lastBatchHash;
    /// The L2 block the next batch must start at.
    uint256 public nextL2Block;
    mapping(uint256 batchIndex => bytes32 batchHash) public batchHashes;

    event BatchAppended(uint256 indexed batchIndex, bytes32 batchHash, uint256 l2StartBlock, uint256 l2EndBlock, bytes32 dataHash, address indexed producer);
    /// A forced-only batch: entries firstEntry .. firstEntry + count - 1, one per L2 block from l2StartBlock.
    event ForcedBatchAppended(uint256 indexed batchIndex, uint256 firstEntry, uint256 count, uint256 l2StartBlock);

    error WrongBatchIndex(uint256 expected, uint256 got);
    error WrongPrevBatchHash(bytes32 expected, bytes32 got);
    error WrongL2Start(uint256 expected, uint256 got);
    error EmptyL2Range();
    error ZeroProducer();
    error EmptyData();
    error DataHashMismatch(bytes32 expected, bytes32 got);
    error NotDirectCall();
    error EmptyForcedBatch();
    error ForcedBatchTooLarge(uint256 max, uint256 got);
    error EscapeTooEarly(uint256 allowedAt);

    /// @param firstL2Block the L2 block the first batch starts at.
    /// @param forceFee_ wei per forceInclude (localnet 0.001 ether).
    /// @param forceWindow_ seconds a batch may leave an entry out (localnet 20 s, mainnet-style 10 min).
    /// @param escapeDelay_ seconds an entry stays overdue before the escape hatch opens (localnet 60 s,
    /// mainnet-style 1 day).
    constructor(address initialOwner, bytes memory initialGroupKey, uint256 firstL2Block, uint256 forceFee_, uint256 forceWindow_, uint256 escapeDelay_)
        FrostAuthorized(initialOwner, initialGroupKey)
        ForcedQueue(forceFee_, forceWindow_, escapeDelay_)
    {
        nextL2Block = firstL2Block;
    }

    /// @notice Appends a batch. Signed message: purpose "appendBatch", payload abi.encode(header);
    /// replay is impossible because the index must be the next one. `data` is the batch's encoded
    /// L2 blocks; keccak256(data) must equal header.dataHash, which the pool signed only after every
    /// signer re-derived the same data from its own L2. The header's forcedCursor must not go back
    /// nor past the queue, forcedChainHash must be the queue's chain hash there, and the first entry
    /// it leaves unconsumed must not be overdue (ForcedQueue._checkForcedCursor).
    /// @dev Only a top-level call from a plain EOA: a verifier finds the data by decoding the
    /// calldata of the transaction that emitted BatchAppended, so the data must BE that
    /// transaction's calldata. Through a contract (a multisig, a batching wrapper) the top-level
    /// calldata could be anything (the data could come from storage), and a verifier would need
    /// call traces, which plain L1 RPCs do not serve. msg.sender == tx.origin alone is not enough
    /// since EIP-7702: an EOA delegated to code passes it while running that code, so a sender
    /// with code (the 0xef0100 delegation designator) is refused too.
    function appendBatch(BatchHeader calldata header, bytes calldata data, bytes calldata signature) external {
        if (msg.sender != tx.origin || msg.sender.code.length != 0) revert NotDirectCall();
        if (data.length == 0) revert EmptyData();
        bytes32 got = keccak256(data);
        if (got != header.dataHash) revert DataHashMismatch(header.dataHash, got);
        uint256 index = nextBatchIndex;
        if (header.batchIndex != index) revert WrongBatchIndex(index, header.batchIndex);
        if (header.prevBatchHash != lastBatchHash) revert WrongPrevBatchHash(lastBatchHash, header.prevBatchHash);
        if (header.l2StartBlock != nextL2Block) revert WrongL2Start(nextL2Block, header.l2StartBlock);
        if (header.l2EndBlock < header.l2StartBlock) revert EmptyL2Range();
        if (header.producer == address(0)) revert ZeroProducer();
        _checkForcedCursor(header.forcedCursor, header.forcedChainHash);
        bytes memory encoded = abi.encode(header);
        _authorize(APPEND_BATCH, encoded, signature);
        bytes32 h = keccak256(encoded);
        _record(index, h, header.l2EndBlock, header.forcedCursor);
        emit BatchAppended(index, h, header.l2StartBlock, header.l2EndBlock, header.dataHash, header.producer);
    }

    /// @notice The escape hatch: appends a forced-only batch of the next `count` queue entries,
    /// one L2 block each, without the pool's signature. Anyone may call, once the oldest
    /// unconsumed entry has been overdue for escapeDelay; no pool batch can have been appended
    /// since it became overdue, since every batch after its deadline had to consume it.
    /// @dev The header is built here: dataHash and producer zero (a pool batch can have neither,
    /// so a zero producer always means forced), the L2 range right after the last batch, the cursor
    /// moved by `count`. Its hash continues the batch chain, so the pool's next batch builds on it.
    /// Any caller is fine (no NotDirectCall): the L2 blocks are derived from the ForcedInclusion
    /// events of the consumed entries, not from this call's calldata.
    /// @return batchIndex the index of the appended batch.
    function appendForcedBatch(uint256 count) external returns (uint256 batchIndex) {
        if (count == 0) revert EmptyForcedBatch();
        // Before the sum below, which a huge count would overflow.
        if (count > MAX_FORCED_PER_BATCH) revert ForcedBatchTooLarge(MAX_FORCED_PER_BATCH, count);
        uint256 cursor = forcedCursor;
        uint256 len = _forcedEntries.length;
        if (cursor + count > len) revert ForcedCursorPastQueue(len, cursor + count);
        uint256 allowedAt = uint256(_forcedEntries[cursor].timestamp) + forceWindow + escapeDelay;
        if (block.timestamp <= allowedAt) revert EscapeTooEarly(allowedAt);
        batchIndex = nextBatchIndex;
        uint256 start = nextL2Block;
        BatchHeader memory header = BatchHeader({
            batchIndex: batchIndex,
            prevBatchHash: lastBatchHash,
            l2StartBlock: start,
            l2EndBlock: start + count - 1,
            dataHash: bytes32(0),
            producer: address(0),
            forcedCursor: cursor + count,
            forcedChainHash: _forcedEntries[cursor + count - 1].chainHash
        });
        bytes32 h = keccak256(abi.encode(header));
        _record(batchIndex, h, header.l2EndBlock, header.forcedCursor);
        emit BatchAppended(batchIndex, h, start, header.l2EndBlock, bytes32(0), address(0));
        emit ForcedBatchAppended(batchIndex, cursor, count, start);
    }

    /// @notice keccak256(abi.encode(header)): the value the next header's prevBatchHash must carry.
    function batchHash(BatchHeader calldata header) external pure returns (bytes32) {
        return keccak256(abi.encode(header));
    }

    /// @dev Advances the batch chain and the queue cursor past an accepted batch.
    function _record(uint256 index, bytes32 h, uint256 l2EndBlock, uint256 cursor) private {
        batchHashes[index] = h;
        lastBatchHash = h;
        nextBatchIndex = index + 1;
        nextL2Block = l2EndBlock + 1;
        _advanceForcedCursor(cursor);
    }
}
