/** Types that cross the vault boundary (recorder, index, retention, api, cli use them). */

export type AudioEncoding = 'pcm16' | 'alaw' | 'ulaw';

export interface AudioFormat {
  readonly encoding: AudioEncoding;
  readonly channels: 1 | 2;
  /** Samples per second per channel (Hz). */
  readonly sampleRate: number;
}

export type FsyncPolicy = 'segment' | 'batch' | 'off';

export type RecordingMetadata = Record<string, unknown>;

/** What finalize() and recover() report about a finished container. */
export interface FinishedRecording {
  readonly id: string;
  readonly path: string;
  readonly startedAt: Date;
  readonly durationMs: number;
  /** Bytes of audio in the WAV `data` chunk. */
  readonly dataBytes: number;
  /** SHA-256 (hex) of the complete decrypted WAV, i.e. `sha256sum` of an export. */
  readonly digest: string;
  /** Ed25519 signature (base64) over `callvault-digest-v1|<id>|<digest>`. */
  readonly signature: string;
  readonly format: AudioFormat;
  readonly recovered: boolean;
}

export interface RecoveredRecording extends FinishedRecording {
  readonly metadata: RecordingMetadata;
  /** Size of the container file once its final record is written (bytes). */
  readonly fileBytes: number;
}

export interface UnrecoverableContainer {
  readonly id: string;
  readonly path: string;
  /** The CV_ERR_VAULT_* code that stopped recovery (key destroyed, tampered, …). */
  readonly code: string;
}

export interface RecoveryResult {
  readonly recovered: RecoveredRecording[];
  /** Reported, never deleted: an operator decides (erase, restore a keystore backup, …). */
  readonly unrecoverable: UnrecoverableContainer[];
  /** Finished containers (index or seal says so) whose bytes no longer match: left untouched. */
  readonly tampered: UnrecoverableContainer[];
}

export interface VerifyResult {
  readonly ok: true;
  readonly digest: string;
  readonly recovered: boolean;
}

export interface VaultStats {
  readonly recordings: number;
  /** Bytes of all container files under recordings/. */
  readonly bytesOnDisk: number;
  /** Bytes of the keystore LevelDB directory. */
  readonly keystoreBytes: number;
}

export interface IndexKeys {
  /** HMAC key for the phone-number blind index (32 bytes). */
  readonly blindIndexKey: Buffer;
  /** Key for encrypting personal fields in index records (32 bytes). */
  readonly fieldKey: Buffer;
}

/** Inclusive byte range of the decrypted WAV, like fs.createReadStream and HTTP Range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}
