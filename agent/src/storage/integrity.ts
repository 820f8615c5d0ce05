/**
 * Integrity failures of finished recordings: what happens when a sealed container's bytes no
 * longer match what was signed at finalisation (truncated, a segment cut out, data appended,
 * swapped for another recording's file, a bit flipped).
 *
 * Every path that finds one (start-up check, verify, export, API audio) reports it here, so
 * they all do the same: log with the recordingId, count it (metric), flag the index record
 * `tampered` and write an `integrity_failure` audit entry. The flag and the audit entry are
 * written once, when the recording is first found broken; the log line and the count happen
 * at every detection. Nothing else in the record changes: the digest signed at finalisation,
 * legal hold, restriction and case stay exactly as they were, and the container is left as
 * it is (evidence).
 */
import { Readable } from 'node:stream';
import type { Logger } from '../common/index.js';
import type { RecordingIndex } from '../index/index.js';
import type { Vault, VaultReader } from '../vault/index.js';
import type { Actor } from './actor.js';

/** What of Storage the checks use (an interface, so storage.ts can import this file). */
export interface IntegrityHost {
  readonly index: RecordingIndex;
  readonly vault: Vault;
  readonly log: Logger;
  noteIntegrityFailure(check: IntegrityCheck): void;
}

/** Where a failure was found; the metric's `check` label (a bounded set). */
export type IntegrityCheck = 'startup' | 'verify' | 'export' | 'audio';
export const INTEGRITY_CHECKS: readonly IntegrityCheck[] = ['startup', 'verify', 'export', 'audio'];

export const TAMPERED_FLAG = 'tampered';

/** Codes that mean "the bytes are not what was sealed" (not: key destroyed, file not found). */
const INTEGRITY_CODES: ReadonlySet<string> = new Set([
  'CV_ERR_VAULT_TAMPERED',
  'CV_ERR_VAULT_TRUNCATED',
  'CV_ERR_VAULT_REORDERED',
  'CV_ERR_VAULT_NOT_A_CONTAINER',
  'CV_ERR_VAULT_BAD_SIGNATURE',
  'CV_ERR_VAULT_DIGEST_MISMATCH',
  'CV_ERR_VAULT_CONTAINER_MISSING',
]);

export function isIntegrityFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && INTEGRITY_CODES.has(code);
}

/** Logs, counts, flags and audits one failure. Never throws: the caller's own error wins. */
export async function reportIntegrityFailure(
  storage: IntegrityHost,
  id: string,
  code: string,
  check: IntegrityCheck,
  actor?: Actor,
): Promise<void> {
  storage.noteIntegrityFailure(check);
  storage.log.error({ recordingId: id, code, check }, 'recording failed its integrity check');
  try {
    const index = storage.index;
    const record = await index.getRecording(id);
    if (record?.flags.includes(TAMPERED_FLAG) === true) return;
    const audit = {
      actor: actor?.name ?? 'system',
      role: actor?.role ?? 'system',
      action: 'integrity_failure',
      recordingId: id,
      from: actor?.from ?? null,
      detail: { code, check },
    } as const;
    // The flag and its audit entry land in one index batch, or neither does.
    if (record !== null) await index.update(id, { flags: [...record.flags, TAMPERED_FLAG] }, audit);
    else await index.appendAudit(audit);
  } catch (err) {
    storage.log.error({ err, recordingId: id }, 'cannot record an integrity failure in the index');
  }
}

/** Reports `err` when it is an integrity failure; always rethrows it. */
async function reportAndRethrow(
  storage: IntegrityHost,
  id: string,
  err: unknown,
  check: IntegrityCheck,
  actor?: Actor,
): Promise<never> {
  if (isIntegrityFailure(err))
    await reportIntegrityFailure(storage, id, (err as { code: string }).code, check, actor);
  throw err;
}

/**
 * vault.openReader with reporting: a failure found when opening (structure, final record) or
 * later while streaming (a segment that fails authentication) is reported before it reaches
 * the caller's error path.
 */
export async function openCheckedReader(
  storage: IntegrityHost,
  id: string,
  check: IntegrityCheck,
  actor?: Actor,
): Promise<VaultReader> {
  let reader: VaultReader;
  try {
    reader = await storage.vault.openReader(id);
  } catch (err) {
    return reportAndRethrow(storage, id, err, check, actor);
  }
  const inner = reader;
  return {
    ...inner,
    createReadStream(range) {
      const source = inner.createReadStream(range);
      async function* checked(): AsyncGenerator<Buffer> {
        try {
          for await (const chunk of source) yield chunk as Buffer;
        } catch (err) {
          await reportAndRethrow(storage, id, err, check, actor);
        }
      }
      return Readable.from(checked(), { objectMode: false });
    },
    async readAll() {
      try {
        return await inner.readAll();
      } catch (err) {
        return reportAndRethrow(storage, id, err, check, actor);
      }
    },
  };
}
