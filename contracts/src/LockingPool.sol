// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {FrostAuthorized} from "./FrostAuthorized.sol";
import {FrostVerifier} from "./FrostVerifier.sol";

/// @title LockingPool
/// @notice Sequencers join and leave the pool only here (DESIGN flow 1): a whitelisted owner locks
/// stake for a signer key, may add to it, unlocks (which starts the exit delay) and claims after it.
/// Every state change of a sequencer emits an event with that sequencer's nonce (1 for Locked, +1
/// per event), so the chain's listeners can apply them in order and notice a gap. Rewards and
/// slashing are authorised by the pool's FROST signature, not by an EOA.
/// @dev Once the pool's signature on a reward or slash verifies, the call never reverts: it consumes
/// the auth nonce even when the action has become moot (the sequencer claimed its stake, the reserve
/// is short), and records what it did instead with an event. The pool signs these one auth nonce at a
/// time, so a signed action L1 refused for ever would hold up every later one (decision 30).
contract LockingPool is FrostAuthorized, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    enum Status {
        None,
        Active,
        Unlocking,
        Unlocked
    }

    struct Sequencer {
        address owner; // who locked; relocks, unlocks, claims and receives rewards
        address signer; // the validator key (CometBFT key, L1 signer)
        uint256 amount;
        uint256 deactivationTime; // claimable from this timestamp once unlocking
        uint256 nonce; // of the last event for this sequencer
        Status status;
    }

    bytes32 internal constant DISTRIBUTE_REWARDS = keccak256("distributeRewards");
    bytes32 internal constant SLASH = keccak256("slash");

    IERC20 public immutable token;
    uint256 public minLock = 20_000e18;
    uint256 public maxLock = 100_000e18;
    uint256 public exitDelay = 21 days;
    /// Last assigned sequencer id (ids start at 1).
    uint256 public sequencerCount;
    uint256 public totalLocked;
    /// Tokens available for rewards (funded, plus slashed stake).
    uint256 public rewardReserve;
    /// Signed rewards the reserve could not cover when they were distributed, by sequencer; anyone
    /// pays them out with payOwedRewards once the reserve is funded again.
    mapping(uint256 sequencerId => uint256 amount) public rewardsOwed;
    uint256 public totalRewardsOwed;

    mapping(uint256 sequencerId => Sequencer) public sequencers;
    /// The sequencer a signer holds (0 = none); a signer holds at most one until it is claimed.
    mapping(address signer => uint256 sequencerId) public sequencerIdOf;
    /// The 64-byte public key of each sequencer's current signer, so the pool can rebuild its view of a
    /// sequencer from this contract's state alone (after an L1 reorg deeper than it waited for).
    mapping(uint256 sequencerId => bytes pubkey) public signerPubkeys;
    mapping(address account => bool allowed) public whitelist;

    event Locked(uint256 indexed sequencerId, address indexed signer, uint256 nonce, uint256 amount, uint256 total, bytes signerPubkey);
    event Relocked(uint256 indexed sequencerId, uint256 nonce, uint256 amount, uint256 total);
    event UnlockInit(uint256 indexed sequencerId, address indexed signer, uint256 nonce, uint256 deactivationTime, uint256 amount);
    event Unlocked(uint256 indexed sequencerId, address indexed signer, uint256 nonce, uint256 amount);
    event SignerChange(uint256 indexed sequencerId, uint256 nonce, address indexed oldSigner, address indexed newSigner, bytes signerPubkey);
    event Slashed(uint256 indexed sequencerId, uint256 nonce, uint256 amount, uint256 total, uint256 authNonce);
    event RewardPaid(uint256 indexed sequencerId, address indexed recipient, uint256 amount, uint256 authNonce);
    /// A signed reward the reserve could not cover: owed to the sequencer's owner (payOwedRewards).
    event RewardOwed(uint256 indexed sequencerId, uint256 amount, uint256 authNonce);
    /// A signed reward L1 cannot pay to anyone (unknown sequencer, malformed payload): dropped.
    event RewardSkipped(uint256 indexed sequencerId, uint256 amount, uint256 authNonce, string reason);
    event OwedRewardsPaid(uint256 indexed sequencerId, address indexed recipient, uint256 amount);
    /// A signed slash of a sequencer that holds no stake any more (claimed, unknown): nothing to take.
    event SlashSkipped(uint256 indexed sequencerId, uint256 amount, uint256 authNonce, string reason);
    event RewardsFunded(address indexed from, uint256 amount);
    event WhitelistChanged(address indexed account, bool allowed);
    event MinLockChanged(uint256 oldValue, uint256 newValue);
    event MaxLockChanged(uint256 oldValue, uint256 newValue);
    event ExitDelayChanged(uint256 oldValue, uint256 newValue);

    error NotWhitelisted(address account);
    error AmountOutOfBounds(uint256 total, uint256 minLock, uint256 maxLock);
    error ZeroAmount();
    error InvalidPubkey();
    error PubkeyNotOnCurve();
    error PubkeyMismatch(address signer, address derived);
    error SignerInUse(address signer, uint256 sequencerId);
    error UnknownSequencer(uint256 sequencerId);
    error NotSequencerOwner(uint256 sequencerId);
    error NotSequencerSigner(uint256 sequencerId);
    error WrongStatus(uint256 sequencerId, Status status);
    error ExitDelayNotPassed(uint256 deactivationTime);
    error InvalidBounds();
    error InsufficientReserve(uint256 needed, uint256 available);

    constructor(IERC20 stakeToken, address initialOwner, bytes memory initialGroupKey) FrostAuthorized(initialOwner, initialGroupKey) {
        token = stakeToken;
    }

    // ---- sequencer lifecycle ----

    /// @notice Locks `amount` for `signer`; `signerPubkey` is its 64-byte uncompressed key (no prefix).
    function lockFor(address signer, uint256 amount, bytes calldata signerPubkey) external whenNotPaused nonReentrant returns (uint256 id) {
        if (!whitelist[msg.sender]) revert NotWhitelisted(msg.sender);
        _checkBounds(amount);
        _claimSigner(signer, signerPubkey);
        id = ++sequencerCount;
        sequencers[id] = Sequencer({owner: msg.sender, signer: signer, amount: amount, deactivationTime: 0, nonce: 1, status: Status.Active});
        sequencerIdOf[signer] = id;
        signerPubkeys[id] = signerPubkey;
        totalLocked += amount;
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit Locked(id, signer, 1, amount, amount, signerPubkey);
    }

    /// @notice Adds `amount` to an active sequencer's lock, up to maxLock.
    function relock(uint256 sequencerId, uint256 amount) external whenNotPaused nonReentrant {
        Sequencer storage s = _owned(sequencerId, Status.Active);
        if (amount == 0) revert ZeroAmount();
        uint256 total = s.amount + amount;
        if (total > maxLock) revert AmountOutOfBounds(total, minLock, maxLock);
        s.amount = total;
        totalLocked += amount;
        uint256 nonce = ++s.nonce;
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit Relocked(sequencerId, nonce, amount, total);
    }

    /// @notice Leaves the pool: the stake becomes claimable after exitDelay.
    function unlock(uint256 sequencerId) external whenNotPaused nonReentrant {
        Sequencer storage s = _owned(sequencerId, Status.Active);
        uint256 deactivationTime = block.timestamp + exitDelay;
        s.status = Status.Unlocking;
        s.deactivationTime = deactivationTime;
        emit UnlockInit(sequencerId, s.signer, ++s.nonce, deactivationTime, s.amount);
    }

    /// @notice Returns the stake to the owner once the exit delay has passed; frees the signer.
    function unlockClaim(uint256 sequencerId) external whenNotPaused nonReentrant {
        Sequencer storage s = _owned(sequencerId, Status.Unlocking);
        if (block.timestamp < s.deactivationTime) revert ExitDelayNotPassed(s.deactivationTime);
        uint256 amount = s.amount;
        address signer = s.signer;
        s.amount = 0;
        s.status = Status.Unlocked;
        totalLocked -= amount;
        delete sequencerIdOf[signer];
        uint256 nonce = ++s.nonce;
        token.safeTransfer(s.owner, amount);
        emit Unlocked(sequencerId, signer, nonce, amount);
    }

    /// @notice Rotates an active sequencer's signer key; only the current signer may do it.
    function updateSigner(uint256 sequencerId, bytes calldata newSignerPubkey) external whenNotPaused nonReentrant {
        Sequencer storage s = sequencers[sequencerId];
        if (s.status == Status.None) revert UnknownSequencer(sequencerId);
        if (msg.sender != s.signer) revert NotSequencerSigner(sequencerId);
        if (s.status != Status.Active) revert WrongStatus(sequencerId, s.status);
        address newSigner = _signerOf(newSignerPubkey);
        _claimSigner(newSigner, newSignerPubkey);
        address oldSigner = s.signer;
        delete sequencerIdOf[oldSigner];
        sequencerIdOf[newSigner] = sequencerId;
        signerPubkeys[sequencerId] = newSignerPubkey;
        s.signer = newSigner;
        emit SignerChange(sequencerId, ++s.nonce, oldSigner, newSigner, newSignerPubkey);
    }

    // ---- threshold-signed actions ----

    /// @notice Anyone may add tokens to the reward reserve.
    function fundRewards(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        rewardReserve += amount;
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit RewardsFunded(msg.sender, amount);
    }

    /// @notice Pays rewards to sequencer owners from the reserve.
    /// Signed payload: abi.encode(uint256[] sequencerIds, uint256[] amounts, uint256 authNonce).
    /// After the signature verifies nothing reverts: an entry the reserve cannot cover is owed
    /// (RewardOwed), one for an unknown sequencer is dropped (RewardSkipped). Paused: reverts before
    /// the nonce is used, so the request waits for the unpause instead of being lost.
    function distributeRewards(uint256[] calldata sequencerIds, uint256[] calldata amounts, bytes calldata signature) external whenNotPaused nonReentrant {
        uint256 authN = _useNonce();
        _authorize(DISTRIBUTE_REWARDS, abi.encode(sequencerIds, amounts, authN), signature);
        if (sequencerIds.length != amounts.length) {
            emit RewardSkipped(0, 0, authN, "sequencerIds and amounts differ in length");
            return;
        }
        for (uint256 i; i < sequencerIds.length; ++i) {
            uint256 id = sequencerIds[i];
            uint256 amount = amounts[i];
            Sequencer storage s = sequencers[id];
            if (s.status == Status.None) {
                emit RewardSkipped(id, amount, authN, "unknown sequencer");
            } else if (amount > rewardReserve) {
                rewardsOwed[id] += amount;
                totalRewardsOwed += amount;
                emit RewardOwed(id, amount, authN);
            } else {
                rewardReserve -= amount;
                token.safeTransfer(s.owner, amount);
                emit RewardPaid(id, s.owner, amount, authN);
            }
        }
    }

    /// @notice Pays a sequencer's owed rewards (see distributeRewards) from the reserve; anyone may call.
    function payOwedRewards(uint256 sequencerId) external whenNotPaused nonReentrant {
        uint256 amount = rewardsOwed[sequencerId];
        if (amount == 0) revert ZeroAmount();
        if (amount > rewardReserve) revert InsufficientReserve(amount, rewardReserve);
        rewardsOwed[sequencerId] = 0;
        totalRewardsOwed -= amount;
        rewardReserve -= amount;
        address owner_ = sequencers[sequencerId].owner;
        token.safeTransfer(owner_, amount);
        emit OwedRewardsPaid(sequencerId, owner_, amount);
    }

    /// @notice Moves up to `amount` of a sequencer's stake (active or unlocking) into the reward reserve.
    /// Signed payload: abi.encode(uint256 sequencerId, uint256 amount, uint256 authNonce). Works
    /// while paused: a pause must not shield a misbehaving sequencer. After the signature verifies
    /// nothing reverts: the slash takes at most the remaining stake, and a sequencer with none left
    /// (claimed, slashed to zero, unknown) is skipped with SlashSkipped.
    function slash(uint256 sequencerId, uint256 amount, bytes calldata signature) external nonReentrant {
        uint256 authN = _useNonce();
        _authorize(SLASH, abi.encode(sequencerId, amount, authN), signature);
        Sequencer storage s = sequencers[sequencerId];
        if (s.status != Status.Active && s.status != Status.Unlocking) {
            emit SlashSkipped(sequencerId, amount, authN, "sequencer holds no stake");
            return;
        }
        uint256 take = amount < s.amount ? amount : s.amount;
        if (take == 0) {
            emit SlashSkipped(sequencerId, amount, authN, "nothing to slash");
            return;
        }
        s.amount -= take;
        totalLocked -= take;
        rewardReserve += take;
        emit Slashed(sequencerId, ++s.nonce, take, s.amount, authN);
    }

    // ---- owner settings ----

    function setWhitelist(address account, bool allowed) external onlyOwner {
        whitelist[account] = allowed;
        emit WhitelistChanged(account, allowed);
    }

    function setMinLock(uint256 value) external onlyOwner {
        if (value == 0 || value > maxLock) revert InvalidBounds();
        emit MinLockChanged(minLock, value);
        minLock = value;
    }

    function setMaxLock(uint256 value) external onlyOwner {
        if (value < minLock) revert InvalidBounds();
        emit MaxLockChanged(maxLock, value);
        maxLock = value;
    }

    function setExitDelay(uint256 value) external onlyOwner {
        emit ExitDelayChanged(exitDelay, value);
        exitDelay = value;
    }

    function pause() external onlyOwner {
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }

    // ---- internals ----

    function _checkBounds(uint256 amount) private view {
        if (amount < minLock || amount > maxLock) revert AmountOutOfBounds(amount, minLock, maxLock);
    }

    function _owned(uint256 sequencerId, Status want) private view returns (Sequencer storage s) {
        s = sequencers[sequencerId];
        if (s.status == Status.None) revert UnknownSequencer(sequencerId);
        if (msg.sender != s.owner) revert NotSequencerOwner(sequencerId);
        if (s.status != want) revert WrongStatus(sequencerId, s.status);
    }

    /// @dev The pubkey must hash to `signer`, and the signer must not hold another sequencer.
    function _claimSigner(address signer, bytes calldata pubkey) private view {
        address derived = _signerOf(pubkey);
        if (derived != signer || signer == address(0)) revert PubkeyMismatch(signer, derived);
        uint256 held = sequencerIdOf[signer];
        if (held != 0) revert SignerInUse(signer, held);
    }

    /// @dev The pubkey must be a point of secp256k1: the pool's validators use it as their CometBFT
    /// and MPC key, and an address hashed from anything else would hold stake the pool cannot seat.
    function _signerOf(bytes calldata pubkey) private pure returns (address) {
        if (pubkey.length != 64) revert InvalidPubkey();
        if (!FrostVerifier.isOnCurve(uint256(bytes32(pubkey[:32])), uint256(bytes32(pubkey[32:])))) revert PubkeyNotOnCurve();
        return address(uint160(uint256(keccak256(pubkey))));
    }
}
