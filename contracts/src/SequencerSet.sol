// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FrostAuthorized} from "./FrostAuthorized.sol";

/// @title SequencerSet
/// @notice L2 record of which sequencer produces which L2 blocks (DESIGN flows 2 and 4), written
/// only with the pool's FROST signature. Follows Metis's rules: epoch ids are sequential, epochs are
/// contiguous ranges of L2 blocks, and a recommit (failover) ends a stalled epoch early and hands
/// the rest of it to a replacement.
/// @dev Start blocks never decrease with the id (an emptied epoch has end = start - 1), so the
/// producer of a block is found by binary search.
contract SequencerSet is FrostAuthorized {
    struct Epoch {
        uint256 id;
        address signer;
        uint256 startBlock;
        uint256 endBlock;
    }

    bytes32 internal constant COMMIT_EPOCH = keccak256("commitEpoch");
    bytes32 internal constant RECOMMIT_EPOCH = keccak256("recommitEpoch");

    Epoch[] internal _epochs;

    event NewEpoch(uint256 indexed epochId, uint256 startBlock, uint256 endBlock, address indexed signer);
    event ReCommitEpoch(uint256 indexed oldEpochId, uint256 indexed newEpochId, uint256 startBlock, uint256 endBlock, address indexed newSigner);

    error InvalidEpochId(uint256 epochId);
    error NotContiguous(uint256 expectedStart, uint256 startBlock);
    error InvalidRange(uint256 startBlock, uint256 endBlock);
    error StartInPast(uint256 startBlock, uint256 currentBlock);
    error ZeroSigner();

    /// @notice Epoch 0 is set at deployment (the genesis producer).
    constructor(address initialOwner, bytes memory initialGroupKey, address initialSigner, uint256 firstStartBlock, uint256 firstEndBlock)
        FrostAuthorized(initialOwner, initialGroupKey)
    {
        if (initialSigner == address(0)) revert ZeroSigner();
        if (firstEndBlock < firstStartBlock) revert InvalidRange(firstStartBlock, firstEndBlock);
        _epochs.push(Epoch(0, initialSigner, firstStartBlock, firstEndBlock));
        emit NewEpoch(0, firstStartBlock, firstEndBlock, initialSigner);
    }

    /// @notice Appends the next epoch right after the last one.
    /// Signed payload: abi.encode(uint256 epochId, uint256 startBlock, uint256 endBlock, address signer).
    function commitEpoch(uint256 epochId, uint256 startBlock, uint256 endBlock, address signer, bytes calldata signature) external {
        uint256 latest = _epochs.length - 1;
        if (epochId != latest + 1) revert InvalidEpochId(epochId);
        uint256 expected = _epochs[latest].endBlock + 1;
        if (startBlock != expected) revert NotContiguous(expected, startBlock);
        if (endBlock < startBlock) revert InvalidRange(startBlock, endBlock);
        if (signer == address(0)) revert ZeroSigner();
        _authorize(COMMIT_EPOCH, abi.encode(epochId, startBlock, endBlock, signer), signature);
        _epochs.push(Epoch(epochId, signer, startBlock, endBlock));
        emit NewEpoch(epochId, startBlock, endBlock, signer);
    }

    /// @notice Failover: epoch `oldEpochId` ends at startBlock - 1 and `signer` produces from
    /// `startBlock` to `endBlock`. Either old is the latest epoch and newEpochId = old + 1 is
    /// appended, or old is the one before the latest (the next epoch was already committed) and the
    /// latest epoch `newEpochId` is replaced. startBlock must lie in the old epoch and must not be in
    /// the past, so blocks already produced keep their producer.
    /// Signed payload: abi.encode(oldEpochId, newEpochId, startBlock, endBlock, signer).
    function recommitEpoch(uint256 oldEpochId, uint256 newEpochId, uint256 startBlock, uint256 endBlock, address signer, bytes calldata signature)
        external
    {
        uint256 latest = _epochs.length - 1;
        bool append = oldEpochId == latest && newEpochId == latest + 1;
        bool replace = oldEpochId + 1 == latest && newEpochId == latest;
        if (!append && !replace) revert InvalidEpochId(newEpochId);
        Epoch storage old = _epochs[oldEpochId];
        if (startBlock < old.startBlock || startBlock > old.endBlock) revert NotContiguous(old.startBlock, startBlock);
        if (startBlock < block.number) revert StartInPast(startBlock, block.number);
        if (endBlock < startBlock) revert InvalidRange(startBlock, endBlock);
        if (signer == address(0)) revert ZeroSigner();
        _authorize(RECOMMIT_EPOCH, abi.encode(oldEpochId, newEpochId, startBlock, endBlock, signer), signature);
        old.endBlock = startBlock - 1;
        if (append) _epochs.push(Epoch(newEpochId, signer, startBlock, endBlock));
        else _epochs[newEpochId] = Epoch(newEpochId, signer, startBlock, endBlock);
        emit ReCommitEpoch(oldEpochId, newEpochId, startBlock, endBlock, signer);
    }

    /// @notice The producer of `l2Block`, or address(0) if no epoch covers it.
    function getSequencer(uint256 l2Block) external view returns (address) {
        uint256 id = getEpochByBlock(l2Block);
        return id == type(uint256).max ? address(0) : _epochs[id].signer;
    }

    /// @notice The epoch covering `l2Block`, or type(uint256).max.
    function getEpochByBlock(uint256 l2Block) public view returns (uint256) {
        uint256 lo = 0;
        uint256 hi = _epochs.length; // first id with startBlock > l2Block lies in [lo, hi]
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (_epochs[mid].startBlock <= l2Block) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0) return type(uint256).max;
        Epoch storage e = _epochs[lo - 1];
        return l2Block <= e.endBlock ? lo - 1 : type(uint256).max;
    }

    /// @notice The latest committed epoch.
    function currentEpoch() external view returns (Epoch memory) {
        return _epochs[_epochs.length - 1];
    }

    function currentEpochId() external view returns (uint256) {
        return _epochs.length - 1;
    }

    function epochs(uint256 epochId) external view returns (Epoch memory) {
        return _epochs[epochId];
    }
}
