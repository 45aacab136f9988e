// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title StakeToken
/// @notice The ERC-20 sequencers lock in the localnet (on a real network the pool locks an existing
/// token). Mintable by the owner so the devnet can fund operators.
contract StakeToken is ERC20, Ownable {
    constructor(address initialOwner) ERC20("Seqpool Stake", "SEQS") Ownable(initialOwner) {}

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
