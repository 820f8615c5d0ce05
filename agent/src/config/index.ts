/**
 * config/: the only reader of YAML and `--set` (STYLE rule 18). main.ts and the CLI call
 * loadConfig once and hand each component its frozen slice.
 */
export { loadConfig, type LoadConfigOptions } from './load.js';
export { exampleConfig } from './example.js';
export { assertOwnership } from './ownership.js';
export { describeConfig, type ConfigDescription, type JsonValue } from './describe.js';
export {
  ConfigError,
  ConfigFileError,
  ForeignOwnerError,
  CONFIG_ERROR_CODES,
  type ConfigProblem,
  type ProblemSource,
} from './errors.js';
export { POLICY_PRESETS } from './policy-presets.js';
export { resolvePolicy } from './policy.js';
export { offBoxDestinations, policyInForce, sidesWarning } from './policy-statement.js';
export { PRESET_NAMES, type PresetName } from './schema.js';
export { formatListen, parseListen } from './values.js';
export { editDistance, nearest } from './suggest.js';
export type {
  AgentAccess,
  ApiConfig,
  Config,
  ConsentMode,
  ConsentPolicy,
  DeclinedCall,
  ExpiryAction,
  FsyncMode,
  KeysConfig,
  ListenAddress,
  LogConfig,
  LogLevel,
  MediaConfig,
  MetricsConfig,
  Policy,
  PortRange,
  SipConfig,
  StorageConfig,
  TapConfig,
} from './types.js';
