/**
 * Erasure of many recordings at once (Vault.eraseMany): what `erase` does for one, in the same
 * order — keys destroyed, then seals, containers and state files removed — with one keystore
 * batch for all their keys and the files removed on bounded lanes. What lets a
 * retention run purge thousands a minute.
 */
import type { Logger } from '../common/index.js';
import { isRecordingId } from './container.js';
import { VaultStorageError } from './errors.js';
import { removeFileGroups } from './file-remover.js';
import type { KeyStore } from './keys.js';
import { containerPath, listContainers } from './layout.js';
import { sealPath } from './seal.js';
import type { StateStore } from './state-store.js';

export interface EraseManyResult {
  readonly erased: string[];
  readonly missing: string[];
  readonly failed: { id: string; error: Error }[];
}

/** What of the vault an erasure touches. */
export interface EraseContext {
  readonly dir: string;
  readonly keys: KeyStore;
  readonly states: StateStore;
  readonly log: Logger;
  /** Aborts the writer of a recording still being written; false when there is none. */
  abortWriter(id: string): Promise<boolean>;
  /** Drops the cached per-recording key (record-keys.ts). */
  forgetKey(id: string): void;
}

interface Found {
  readonly id: string;
  readonly createdMs: number | undefined;
  readonly path: string | undefined;
  readonly hasKey: boolean;
  readonly hasState: boolean;
}

/**
 * Ids with nothing left come back in `missing`; one whose file could not be removed in `failed`
 * (its key is gone: what is left is unreadable, and the next erase removes it), without
 * stopping the others. `keepState`: anonymisation keeps the case record the sidecar describes.
 */
export async function eraseMany(
  ctx: EraseContext,
  ids: readonly string[],
  opts: { keepState?: boolean } = {},
): Promise<EraseManyResult> {
  const erased: string[] = [];
  const idle: string[] = [];
  for (const id of ids) {
    if (await ctx.abortWriter(id)) erased.push(id);
    else idle.push(id);
  }
  const { found, missing } = await locate(ctx, idle);
  for (const f of found) ctx.forgetKey(f.id);
  await ctx.keys.destroyDataKeys(found.filter((f) => f.hasKey).map((f) => f.id));
  const failed = await removeFiles(found, ctx.dir);
  const done = found.filter((f) => !failed.has(f.id));
  if (opts.keepState !== true)
    await ctx.states.removeMany(
      done
        .filter((f) => isRecordingId(f.id))
        .map((f) => ({ id: f.id, createdMsHint: f.createdMs, hasState: f.hasState })),
    );
  // One line per call, not per recording: a retention batch erases hundreds.
  if (done.length === 1) ctx.log.info({ recordingId: done[0]!.id }, 'recording erased');
  else if (done.length > 1) ctx.log.info({ count: done.length }, 'recordings erased');
  return {
    erased: [...erased, ...done.map((f) => f.id)],
    missing,
    failed: [...failed].map(([id, error]) => ({ id, error })),
  };
}

/**
 * One keystore read for all; the container directory is listed at most once, and only when
 * some id has no key entry that places its file.
 */
async function locate(
  ctx: EraseContext,
  ids: readonly string[],
): Promise<{ found: Found[]; missing: string[] }> {
  const named = ids.filter(isRecordingId);
  const facts = new Map((await ctx.keys.eraseFacts(named)).map((f, i) => [named[i] as string, f] as const));
  const found: Found[] = [];
  const missing: string[] = [];
  let files: Map<string, string> | undefined;
  for (const id of ids) {
    const f = facts.get(id);
    let path: string | undefined;
    if (f?.createdMs !== undefined) path = containerPath(ctx.dir, id, f.createdMs);
    else path = (files ??= await listContainers(ctx.dir)).get(id);
    const hasKey = f?.hasKey === true;
    const hasState = f?.hasState === true;
    if (!hasKey && path === undefined && !hasState) missing.push(id);
    else found.push({ id, createdMs: f?.createdMs, path, hasKey, hasState });
  }
  return { found, missing };
}

/**
 * Per recording its seal, then its container (file-remover.ts). One that cannot be removed
 * fails that recording, which keeps its index entry for the next run.
 */
async function removeFiles(found: readonly Found[], dir: string): Promise<Map<string, Error>> {
  const groups = found.map((f) => [
    ...(isRecordingId(f.id) ? [sealPath(dir, f.id)] : []),
    ...(f.path === undefined ? [] : [f.path]),
  ]);
  const failed = new Map<string, Error>();
  for (const { group, index, error } of await removeFileGroups(groups)) {
    const f = found[group] as Found;
    failed.set(
      f.id,
      new VaultStorageError('cannot unlink recording file', {
        cause: error,
        context: { recordingId: f.id, path: groups[group]?.[index] },
      }),
    );
  }
  return failed;
}
