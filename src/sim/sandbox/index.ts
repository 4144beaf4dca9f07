// The sandbox's public surface.
export { startSandbox, ENICONFIG_LABEL_KEY } from './sandbox.js';
export type { Sandbox, SandboxOptions, SandboxUser, ControllerStarter, ControllerEnv, LocalKube } from './sandbox.js';
export { parseNodesSpec, parseSandboxConfig, loadSandboxConfigFile, resolveSettings, DEFAULT_SETTINGS } from './config.js';
export type { SandboxSettings, SandboxFileSettings, NodeGroupSpec } from './config.js';
