// Public surface of the CometBFT home generator (DESIGN.md decision 3).
export { generateNetwork, DEFAULT_CHAIN_ID, DEFAULT_POWER } from './network.js';
export { parseNetworkOptions, NetworkOptionsError, MAX_VALIDATORS, type GenerateNetworkOptions } from './options.js';
export { readManifest, writeManifest, manifestJson, MANIFEST_FILE, type NetworkManifest, type NetworkNode } from './manifest.js';
export {
  loadValidatorKey,
  loadNodeKey,
  secp256k1Address,
  validatorKeyFromPrivKey,
  validatorKeyFromSecret,
  generateValidatorKey,
  nodeKeyFromSeed,
  nodeKeyFromSecret,
  generateNodeKey,
  nodeIdFromPubKey,
  privValidatorKeyJson,
  nodeKeyJson,
  writeValidatorKey,
  writeNodeKey,
  type ValidatorKey,
  type NodeKey,
} from './keys.js';
export {
  buildGenesis,
  genesisJson,
  writeGenesis,
  DEFAULT_VOTE_EXTENSIONS_ENABLE_HEIGHT,
  type GenesisValidator,
  type GenesisDoc,
  type GenesisOptions,
  type AppStateFn,
} from './genesis-doc.js';
export { defaultCometbftBin, defaultConfigToml, renderConfigToml, LOCALNET_TIMEOUTS, type ConsensusTimeouts, type NodeConfig } from './config-toml.js';
export {
  allocateLoopbackPorts,
  allocateFixedPorts,
  allocateAutoPorts,
  isPortFree,
  parseHostPort,
  PortInUseError,
  PORTS_PER_NODE,
  PORT_ROLES,
  type NodePorts,
  type PortRole,
  type HostPort,
} from './ports.js';
