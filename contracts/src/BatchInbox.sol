// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FrostAuthorized} from "./FrostAuthorized.sol";

/// @title BatchInbox
/// @notice L1 record of the rollup's batches (DESIGN flow 3). A batch is accepted only with the
/// pool's FROST signature over its header and only if it continues the chain of batches: next
/// index, the previous batch's hash, and the L2 block right after the last one. Anyone may submit
/// (the producer or a relayer): the signature, which names the producer, is the authorisation.
/// The batch's data (protocol/batch-data.ts: the L2 blocks, compressed) rides in the calldata and
/// must hash to the signed header's dataHash, so L1 holds what anyone needs to rebuild the L2
/// (`seqpool l2 verify`). The contract stores only the hash; the data stays in L1 history.
contract BatchInbox is FrostAuthorized {
    struct BatchHeader {
        uint256 batchIndex;
        bytes32 prevBatchHash;
        uint256 l2StartBlock;
        uint256 l2EndBlock;
        bytes32 dataHash;
        address producer;
    }

    bytes32 internal constant APPEND_BATCH = keccak256("appendBatch");

    uint256 public nextBatchIndex;
    /// Hash of the last accepted header (zero before the first batch).
    bytes32 public lastBatchHash;
    /// The L2 block the next batch must start at.
    uint256 public nextL2Block;
    mapping(uint256 batchIndex => bytes32 batchHash) public batchHashes;

    event BatchAppended(uint256 indexed batchIndex, bytes32 batchHash, uint256 l2StartBlock, uint256 l2EndBlock, bytes32 dataHash, address indexed producer);

    error WrongBatchIndex(uint256 expected, uint256 got);
    error WrongPrevBatchHash(bytes32 expected, bytes32 got);
    error WrongL2Start(uint256 expected, uint256 got);
    error EmptyL2Range();
    error ZeroProducer();
    error EmptyData();
    error DataHashMismatch(bytes32 expected, bytes32 got);
    error NotDirectCall();

    /// @param firstL2Block the L2 block the first batch starts at.
    constructor(address initialOwner, bytes memory initialGroupKey, uint256 firstL2Block) FrostAuthorized(initialOwner, initialGroupKey) {
        nextL2Block = firstL2Block;
    }

    /// @notice Appends a batch. Signed message: purpose "appendBatch", payload abi.encode(header);
    /// replay is impossible because the index must be the next one. `data` is the batch's encoded
    /// L2 blocks; keccak256(data) must equal header.dataHash, which the pool signed only after every
    /// signer re-derived the same data from its own L2.
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
        bytes memory encoded = abi.encode(header);
        _authorize(APPEND_BATCH, encoded, signature);
        bytes32 h = keccak256(encoded);
        batchHashes[index] = h;
        lastBatchHash = h;
        nextBatchIndex = index + 1;
        nextL2Block = header.l2EndBlock + 1;
        emit BatchAppended(index, h, header.l2StartBlock, header.l2EndBlock, header.dataHash, header.producer);
    }

    /// @notice keccak256(abi.encode(header)): the value the next header's prevBatchHash must carry.
    function batchHash(BatchHeader calldata header) external pure returns (bytes32) {
        return keccak256(abi.encode(header));
    }
}
