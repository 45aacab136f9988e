// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title FrostVerifier
/// @notice RFC 9591 FROST(secp256k1, SHA-256) signature verification, written from the RFC.
/// @dev Encoding (the one `mpc/l1.ts` produces): group key Px||Py (Px < n), signature Rx||Ry||z.
/// The check z*G == R + c*P needs two scalar multiplications, which the EVM has no precompile for,
/// so it is folded into one ecrecover: ecrecover(h, v, r, s) returns the address of
/// r^-1 * (s*Q - h*G) where Q is the point with x = r and y parity v. With Q = P, r = Px,
/// s = -c*Px and h = -z*Px this is z*G - c*P, which equals R exactly when the signature is valid,
/// so comparing it with address(R) = keccak256(Rx||Ry)[12:] verifies the signature. That is why
/// Px must be below n (ecrecover takes r mod n) and why R arrives uncompressed (its address needs
/// both coordinates; its on-curve check keeps the compressed form used by the challenge honest).
/// The challenge is H2 of RFC 9591 6.5: hash_to_field(compress(R)||compress(P)||msg) with
/// expand_message_xmd (RFC 9380 5.3.1) over the SHA-256 precompile, DST "FROST-secp256k1-SHA256-v1chal",
/// 48 uniform bytes reduced mod n.
library FrostVerifier {
    /// secp256k1 group order n.
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    /// secp256k1 field prime p.
    uint256 internal constant P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;
    /// I2OSP(48, 2) || I2OSP(0, 1) || DST: the 32 bytes that close msg_prime before len(DST).
    uint256 private constant MSG_TRAILER = 0x00300046524f53542d736563703235366b312d5348413235362d76316368616c;
    /// DST_prime = DST || I2OSP(29, 1), left-aligned (30 bytes used).
    uint256 private constant DST_PRIME = 0x46524f53542d736563703235366b312d5348413235362d76316368616c1d0000;
    /// keccak256("seqpool.frost.l1.v1"), the domain tag of every L1 digest.
    bytes32 internal constant L1_DOMAIN_TAG = keccak256("seqpool.frost.l1.v1");

    error FrostBadLength();

    /// @notice The 32-byte message the pool signs for anything verified on chain (mpc/l1.ts l1Digest):
    /// binds chain id, verifying contract and purpose, so a signature cannot be replayed elsewhere.
    function l1Digest(bytes32 purposeHash, bytes memory payload) internal view returns (bytes32) {
        return keccak256(abi.encode(L1_DOMAIN_TAG, block.chainid, address(this), purposeHash, keccak256(payload)));
    }

    /// @notice Verifies a signature over a 32-byte digest (the form every seqpool contract uses).
    function verify(bytes32 digest, uint256 px, uint256 py, uint256 rx, uint256 ry, uint256 z) internal view returns (bool) {
        if (!_inputsValid(px, py, rx, ry, z)) return false;
        assembly ("memory-safe") {
            mstore(add(mload(0x40), 130), digest)
        }
        return _check(px, py, rx, ry, z, _challenge(32, px, py, rx, ry));
    }

    /// @notice Verifies a signature over an arbitrary message (RFC test vectors sign raw bytes).
    function verifyMessage(bytes memory message, uint256 px, uint256 py, uint256 rx, uint256 ry, uint256 z) internal view returns (bool) {
        if (!_inputsValid(px, py, rx, ry, z)) return false;
        assembly ("memory-safe") {
            // Word copy to free memory + 130; bytes past the end are overwritten by the trailer.
            let dst := add(mload(0x40), 130)
            let len := mload(message)
            for { let i := 0 } lt(i, len) { i := add(i, 32) } {
                mstore(add(dst, i), mload(add(add(message, 32), i)))
            }
        }
        return _check(px, py, rx, ry, z, _challenge(message.length, px, py, rx, ry));
    }

    /// @notice True for a usable group key: on the curve, 0 < Px < n.
    function isValidGroupKey(uint256 px, uint256 py) internal pure returns (bool) {
        return px != 0 && px < N && isOnCurve(px, py);
    }

    /// @notice y^2 == x^3 + 7 over the field, both coordinates reduced.
    function isOnCurve(uint256 x, uint256 y) internal pure returns (bool) {
        if (x >= P || y >= P) return false;
        return mulmod(y, y, P) == addmod(mulmod(mulmod(x, x, P), x, P), 7, P);
    }

    /// @notice Splits a 64-byte group key; reverts on any other length.
    function decodeGroupKey(bytes calldata key) internal pure returns (uint256 px, uint256 py) {
        if (key.length != 64) revert FrostBadLength();
        assembly {
            px := calldataload(key.offset)
            py := calldataload(add(key.offset, 32))
        }
    }

    /// @notice Splits a 96-byte signature; reverts on any other length.
    function decodeSignature(bytes calldata sig) internal pure returns (uint256 rx, uint256 ry, uint256 z) {
        if (sig.length != 96) revert FrostBadLength();
        assembly {
            rx := calldataload(sig.offset)
            ry := calldataload(add(sig.offset, 32))
            z := calldataload(add(sig.offset, 64))
        }
    }

    function _inputsValid(uint256 px, uint256 py, uint256 rx, uint256 ry, uint256 z) private pure returns (bool) {
        return z < N && isValidGroupKey(px, py) && isOnCurve(rx, ry);
    }

    /// @dev RFC 9591 H2 with the message already placed at free memory + 130 (len bytes). Scratch
    /// memory above the free pointer is used and not reserved: nothing allocates in between.
    function _challenge(uint256 len, uint256 px, uint256 py, uint256 rx, uint256 ry) private view returns (uint256 c) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            // msg_prime = Z_pad(64) || compress(R) || compress(P) || msg || I2OSP(48,2) || 0x00 || DST_prime
            mstore(ptr, 0)
            mstore(add(ptr, 32), 0)
            mstore8(add(ptr, 64), or(2, and(ry, 1)))
            mstore(add(ptr, 65), rx)
            mstore8(add(ptr, 97), or(2, and(py, 1)))
            mstore(add(ptr, 98), px)
            let end := add(add(ptr, 130), len)
            mstore(end, MSG_TRAILER)
            mstore8(add(end, 32), 29)
            let ok := staticcall(gas(), 2, ptr, add(163, len), ptr, 32)
            let b0 := mload(ptr)
            // b_1 = H(b_0 || 0x01 || DST_prime)
            mstore8(add(ptr, 32), 1)
            mstore(add(ptr, 33), DST_PRIME)
            ok := and(ok, staticcall(gas(), 2, ptr, 63, add(ptr, 96), 32))
            let b1 := mload(add(ptr, 96))
            // b_2 = H((b_0 xor b_1) || 0x02 || DST_prime)
            mstore(ptr, xor(b0, b1))
            mstore8(add(ptr, 32), 2)
            ok := and(ok, staticcall(gas(), 2, ptr, 63, add(ptr, 96), 32))
            if iszero(ok) { revert(0, 0) }
            // uniform_bytes = b_1 || b_2[0:16], read as a 384-bit big-endian integer, mod n.
            c := addmod(mulmod(b1, shl(128, 1), N), shr(128, mload(add(ptr, 96))), N)
        }
    }

    /// @dev z*G - c*P via ecrecover, compared with R's address.
    function _check(uint256 px, uint256 py, uint256 rx, uint256 ry, uint256 z, uint256 c) private view returns (bool) {
        // -z*Px and -c*Px mod n; c == 0 makes s == 0, which ecrecover refuses (returns 0).
        bytes32 h = bytes32(mulmod(N - z, px, N));
        bytes32 s = bytes32(mulmod(N - c, px, N));
        address q = ecrecover(h, uint8(27 + (py & 1)), bytes32(px), s);
        address r;
        assembly ("memory-safe") {
            mstore(0, rx)
            mstore(32, ry)
            r := keccak256(0, 64)
        }
        return q != address(0) && q == r;
    }
}

/// @notice Thin wrapper so tests and the gas benchmark can call the library from outside.
contract FrostVerifierHarness {
    function verify(bytes32 digest, bytes calldata groupKey, bytes calldata signature) external view returns (bool) {
        (uint256 px, uint256 py) = FrostVerifier.decodeGroupKey(groupKey);
        (uint256 rx, uint256 ry, uint256 z) = FrostVerifier.decodeSignature(signature);
        return FrostVerifier.verify(digest, px, py, rx, ry, z);
    }

    function verifyMessage(bytes calldata message, bytes calldata groupKey, bytes calldata signature) external view returns (bool) {
        (uint256 px, uint256 py) = FrostVerifier.decodeGroupKey(groupKey);
        (uint256 rx, uint256 ry, uint256 z) = FrostVerifier.decodeSignature(signature);
        return FrostVerifier.verifyMessage(message, px, py, rx, ry, z);
    }

    /// @notice Gas of the library call alone (no calldata, dispatch or decoding).
    function measureVerify(bytes32 digest, bytes calldata groupKey, bytes calldata signature) external view returns (bool ok, uint256 gasUsed) {
        (uint256 px, uint256 py) = FrostVerifier.decodeGroupKey(groupKey);
        (uint256 rx, uint256 ry, uint256 z) = FrostVerifier.decodeSignature(signature);
        uint256 before = gasleft();
        ok = FrostVerifier.verify(digest, px, py, rx, ry, z);
        gasUsed = before - gasleft();
    }

    function l1Digest(string calldata purpose, bytes calldata payload) external view returns (bytes32) {
        return FrostVerifier.l1Digest(keccak256(bytes(purpose)), payload);
    }
}
