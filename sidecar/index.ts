// The MPC sidecar process (docs/operators.md "Running the sidecar"; protocol in docs/pool.md): what
// other folders may use of it (the CLI starts it, the localnet writes its config).
export { startSidecar, bindableAddrs, type SidecarOptions, type RunningSidecar, type SidecarStatus } from './sidecar.js';
export { loadSidecarConfig, parseSidecarConfig, sidecarPassphrase, SidecarConfigSchema, PASSPHRASE_ENV, type SidecarConfig } from './config.js';
export { CometFollower, websocketUrl, type ChainClient, type HeightSource } from './chain.js';
export { decodeKey, decodeSession, decodeSignRequest, decodePending, decodeValidator, keyPackage, type DecodedKey, type DecodedSession, type DecodedSignRequest, type DecodedValidator } from './chain-view.js';
export { MemoryHub, MemoryTransport, type Transport, type TransportPeer } from './transport.js';
export { Approver, ViemL2Reader, type L2Reader } from './approval.js';
export { KeygenDriver } from './keygen.js';
export { FileDealtLog, MemoryDealtLog, type DealtLog } from './dealt-log.js';
export { SigningDriver, coordinatorRank } from './signing.js';
export { TxSender } from './tx-sender.js';
// The sidecar's encrypted LevelDB stores: key shares, signing nonces (decision 40: they moved here from
// mpc/, which does no I/O).
export { LevelKeyStore, type KeyStore } from './store/key-store.js';
export { LevelNonceStore, type NonceRecord } from './store/nonce-store.js';
export { SecretBox, loadPassphrase, DEFAULT_SCRYPT, type ScryptParams } from './store/secret-box.js';
