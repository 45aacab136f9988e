// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {FrostVerifier} from "./FrostVerifier.sol";

/// @title FrostAuthorized
/// @notice Base for contracts whose privileged actions are authorised by the pool's FROST threshold
/// signature rather than by an EOA. The owner may set the group key once (the DKG usually runs
/// after deployment); from then on only a message signed with the current key can replace it.
/// @dev Every message is `FrostVerifier.l1Digest(keccak256(purpose), payload)`. Messages that are not
/// naturally single-use carry `authNonce` as their last payload field and consume it, so a signed
/// message cannot be replayed (the chain id and this contract's address are in the digest).
abstract contract FrostAuthorized is Ownable {
    bytes32 internal constant ROTATE_GROUP_KEY = keccak256("rotateGroupKey");

    /// Group key Px, Py (zero until set).
    uint256 public groupKeyX;
    uint256 public groupKeyY;
    /// Nonce the next nonce-bearing signed message must carry.
    uint256 public authNonce;

    event GroupKeyChanged(bytes groupKey, uint256 authNonce);

    error InvalidGroupKey();
    error GroupKeyAlreadySet();
    error GroupKeyNotSet();
    error InvalidSignature();

    constructor(address initialOwner, bytes memory initialGroupKey) Ownable(initialOwner) {
        if (initialGroupKey.length != 0) _setGroupKey(initialGroupKey);
    }

    /// @notice One-time initialisation by the owner when the key was not known at deployment.
    function initializeGroupKey(bytes calldata newGroupKey) external onlyOwner {
        if (groupKeyX != 0) revert GroupKeyAlreadySet();
        _setGroupKey(newGroupKey);
    }

    /// @notice Replaces the group key; payload = abi.encode(bytes newGroupKey, uint256 authNonce).
    function rotateGroupKey(bytes calldata newGroupKey, bytes calldata signature) external {
        _authorize(ROTATE_GROUP_KEY, abi.encode(newGroupKey, _useNonce()), signature);
        _setGroupKey(newGroupKey);
    }

    /// @notice The current 64-byte group key (empty when not set).
    function groupKey() external view returns (bytes memory) {
        return groupKeyX == 0 ? bytes("") : abi.encodePacked(groupKeyX, groupKeyY);
    }

    /// @notice The digest the pool must sign for `purpose` and `payload` on this contract.
    function digestFor(string calldata purpose, bytes calldata payload) external view returns (bytes32) {
        return FrostVerifier.l1Digest(keccak256(bytes(purpose)), payload);
    }

    /// @dev Reverts unless `signature` is the pool's signature over (purpose, payload).
    function _authorize(bytes32 purposeHash, bytes memory payload, bytes calldata signature) internal view {
        uint256 px = groupKeyX;
        if (px == 0) revert GroupKeyNotSet();
        (uint256 rx, uint256 ry, uint256 z) = FrostVerifier.decodeSignature(signature);
        if (!FrostVerifier.verify(FrostVerifier.l1Digest(purposeHash, payload), px, groupKeyY, rx, ry, z)) revert InvalidSignature();
    }

    /// @dev Returns the current auth nonce and advances it (the signature check comes after, in the
    /// same transaction, so a failed check reverts the increment too).
    function _useNonce() internal returns (uint256 n) {
        n = authNonce;
        authNonce = n + 1;
    }

    function _setGroupKey(bytes memory key) private {
        if (key.length != 64) revert InvalidGroupKey();
        uint256 px;
        uint256 py;
        assembly ("memory-safe") {
            px := mload(add(key, 32))
            py := mload(add(key, 64))
        }
        if (!FrostVerifier.isValidGroupKey(px, py)) revert InvalidGroupKey();
        groupKeyX = px;
        groupKeyY = py;
        emit GroupKeyChanged(key, authNonce);
    }
}
