// The node process (docs/operators.md): what other folders may use of it. The CLI starts it; the
// localnet writes its node.json. Everything else in node/ is its own.
export { startNode, type NodeOptions, type RunningNode } from './node.js';
export { readNodeConfig, writeNodeConfig, nodeConfigFile, NODE_CONFIG_FILE, type NodeConfig, type NodeConfigInput } from './node-config.js';
