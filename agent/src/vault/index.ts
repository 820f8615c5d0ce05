/** The vault's public surface: encrypted WAV containers, keys, recovery, crypto-shred. */
export { openVault, Vault, type VaultOptions, type CreateRecordingOptions } from './vault.js';
export { VaultWriter, writeBacklogBytes, type VaultWriterEvents } from './writer.js';
export type { VaultReader } from './reader.js';
export type { FinalInfo } from './container.js';
export { canonicalWavEnvelope, parseWav, type ParsedWav } from './wav.js';
export * from './errors.js';
export type * from './types.js';
