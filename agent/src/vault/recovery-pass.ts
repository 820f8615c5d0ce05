/**
 * The vault's recovery passes: at start-up over every container not being written, and at once
 * for one whose writer failed. A recovered container gets its seal like a finalised one.
 */
import { VaultDigestMismatchError, VaultKeyDestroyedError } from './errors.js';
import type { CreateDeps } from './create-recording.js';
import { listContainers } from './layout.js';
import { recoverContainer } from './recovery.js';
import { checkSealed } from './seal.js';
import type { RecoveredRecording, RecoveryResult } from './types.js';

type RecoveryDeps = Pick<CreateDeps, 'dir' | 'keys' | 'seals' | 'log' | 'active'>;

/**
 * Start-up pass over every container not being written by this process. Crash recovery runs
 * only for containers that were in progress: one that `finished` (id → digest, from the
 * index) names or that has a valid seal was finalised once, so it gets the cheap integrity
 * check instead (checkSealed) and, if that fails, is reported in `tampered` and left exactly
 * as it is: a truncated finished recording is never "recovered" under a new digest.
 */
export async function recoverAll(
  d: RecoveryDeps,
  finished?: ReadonlyMap<string, string>,
): Promise<RecoveryResult> {
  const result: RecoveryResult = { recovered: [], unrecoverable: [], tampered: [] };
  for (const [id, path] of await listContainers(d.dir)) {
    if (d.active.has(id)) continue;
    let sealed = false;
    try {
      const dk = await d.keys.dataKey(id);
      if (dk === undefined)
        throw new VaultKeyDestroyedError('data key not in the keystore', { context: { recordingId: id } });
      const seal = await d.seals.read(id);
      const digest = finished?.get(id) ?? seal?.digest;
      if (digest !== undefined) {
        sealed = true;
        if (seal !== undefined && seal.digest !== digest)
          throw new VaultDigestMismatchError('the seal and the index disagree on the digest', {
            context: { recordingId: id },
          });
        await checkSealed({ id, path, key: dk.key, digest, ...(seal ? { seal } : {}) });
        continue;
      }
      const r = await recoverContainer({ id, path, key: dk.key, sign: (x) => d.keys.sign(x) });
      if (r === undefined) continue;
      await d.seals.write(id, { digest: r.digest, fileBytes: r.fileBytes, dataBytes: r.dataBytes });
      result.recovered.push(r);
      d.log.warn({ recordingId: id, durationMs: r.durationMs }, 'recovered an unfinished recording');
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'CV_ERR_VAULT_WRITE_FAILED';
      // Storage logs, counts, flags and audits it (storage/integrity.ts).
      if (sealed) {
        result.tampered.push({ id, path, code });
        continue;
      }
      result.unrecoverable.push({ id, path, code });
      d.log.error({ err, recordingId: id, path }, 'container cannot be recovered; left as is');
    }
  }
  return result;
}

/** Finalises one container (its key and path located) unless it was sealed already. */
export async function recoverOne(
  d: RecoveryDeps,
  id: string,
  { key, path }: { key: Buffer; path: string },
): Promise<RecoveredRecording | undefined> {
  if ((await d.seals.read(id)) !== undefined) return undefined;
  const r = await recoverContainer({ id, path, key, sign: (x) => d.keys.sign(x) });
  if (r !== undefined)
    await d.seals.write(id, { digest: r.digest, fileBytes: r.fileBytes, dataBytes: r.dataBytes });
  return r;
}
