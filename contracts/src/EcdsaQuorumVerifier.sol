// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title EcdsaQuorumVerifier
/// @notice The Heimdall-style alternative to one FROST signature, kept only for the gas benchmark:
/// floor(2n/3)+1 individual ECDSA signatures of the validators over the same digest, given as
/// 65-byte r||s||v in strictly increasing signer order (which rules out counting one signer twice).
contract EcdsaQuorumVerifier {
    /// secp256k1 n/2: signatures with a higher s are malleable copies and refused.
    uint256 private constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    mapping(address => bool) public isValidator;
    uint256 public immutable validatorCount;
    bytes32 public lastDigest;

    event Accepted(bytes32 digest, uint256 signatures);

    error NotEnoughSignatures(uint256 valid, uint256 needed);
    error BadSignature(uint256 position);

    constructor(address[] memory validators) {
        for (uint256 i; i < validators.length; ++i) isValidator[validators[i]] = true;
        validatorCount = validators.length;
    }

    function threshold() public view returns (uint256) {
        return (2 * validatorCount) / 3 + 1;
    }

    /// @notice Reverts unless `signatures` holds a quorum of distinct validators over `digest`.
    function verify(bytes32 digest, bytes calldata signatures) public view returns (bool) {
        if (signatures.length % 65 != 0) revert BadSignature(signatures.length / 65);
        uint256 count = signatures.length / 65;
        uint256 needed = threshold();
        if (count < needed) revert NotEnoughSignatures(count, needed);
        address last;
        for (uint256 i; i < count; ++i) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly {
                let p := add(signatures.offset, mul(i, 65))
                r := calldataload(p)
                s := calldataload(add(p, 32))
                v := byte(0, calldataload(add(p, 64)))
            }
            if (uint256(s) > HALF_N) revert BadSignature(i);
            address signer = ecrecover(digest, v, r, s);
            if (signer <= last || !isValidator[signer]) revert BadSignature(i);
            last = signer;
        }
        return true;
    }

    /// @notice Gas of the verification alone, as FrostVerifierHarness.measureVerify reports it.
    function measureVerify(bytes32 digest, bytes calldata signatures) external view returns (bool ok, uint256 gasUsed) {
        uint256 before = gasleft();
        ok = verify(digest, signatures);
        gasUsed = before - gasleft();
    }

    /// @notice A state-changing use of the quorum (records the digest), for whole-transaction gas.
    function submit(bytes32 digest, bytes calldata signatures) external {
        verify(digest, signatures);
        lastDigest = digest;
        emit Accepted(digest, signatures.length / 65);
    }
}
