// The MPC sidecar process (docs/operators.md "Running the sidecar"; its part of the protocol in
// docs/pool.md): what other folders may use of it. The CLI starts it and binds its peer id; the
// localnet writes its sidecar.json. Everything else in sidecar/ is its own (docs/architecture.md).
export { startSidecar, bindableAddrs, type SidecarOptions, type RunningSidecar, type SidecarStatus } from './sidecar.js';
export { loadSidecarConfig, parseSidecarConfig, sidecarPassphrase, SidecarConfigSchema, PASSPHRASE_ENV, SIDECAR_DIR, type SidecarConfig } from './config.js';
export { bindingPeerKey, loadOrCreatePeerKey } from './net/peer-key.js';
