// The LockingPool events the bridge follows. These signatures are fixed with contracts/: a change to
// either side changes topic0 and the listener would silently see nothing, so keep them in step.
import { parseAbi } from 'viem';

export const lockingPoolEventsAbi = parseAbi([
  'event Locked(uint256 indexed sequencerId, address indexed signer, uint256 nonce, uint256 amount, uint256 total, bytes signerPubkey)',
  'event Relocked(uint256 indexed sequencerId, uint256 nonce, uint256 amount, uint256 total)',
  'event UnlockInit(uint256 indexed sequencerId, address indexed signer, uint256 nonce, uint256 deactivationTime, uint256 amount)',
  'event Unlocked(uint256 indexed sequencerId, address indexed signer, uint256 nonce, uint256 amount)',
  'event SignerChange(uint256 indexed sequencerId, uint256 nonce, address indexed oldSigner, address indexed newSigner, bytes signerPubkey)',
  // Slashing lowers the stake, so it takes the sequencer's next nonce like the events above.
  'event Slashed(uint256 indexed sequencerId, uint256 nonce, uint256 amount, uint256 total, uint256 authNonce)',
]);

