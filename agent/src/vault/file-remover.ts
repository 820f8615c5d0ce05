/**
 * Removes the files of many recordings: the paths of one recording in their order (its seal
 * before its container, so a crash never leaves a seal vouching for a file that is gone while
 * the seal stays), recordings on a bounded number of lanes. A retention batch removes
 * thousands of files: issued all at once, as before, they flooded libuv's queue and the
 * directory locks; one by one, each waits for the journal. Lanes measured best on this machine
 * (docs/decisions.md "Purge: files removed in lanes").
 */
import { unlink } from 'node:fs/promises';

/** Recordings whose files are being removed at once. */
export const REMOVE_LANES = 16;

/** One path that could not be removed (a missing file is not a failure). */
export interface RemoveFailure {
  /** Index of the group (recording) in the list given. */
  readonly group: number;
  /** Index of the path within its group. */
  readonly index: number;
  readonly error: NodeJS.ErrnoException;
}

/**
 * Removes every group's paths in order; a failure ends that group (what follows stays for the
 * next attempt) and is reported, the other groups go on.
 */
export async function removeFileGroups(
  groups: readonly (readonly string[])[],
  lanes = REMOVE_LANES,
): Promise<RemoveFailure[]> {
  const failed: RemoveFailure[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let g = next++; g < groups.length; g = next++) {
      const paths = groups[g] as readonly string[];
      for (let i = 0; i < paths.length; i++) {
        const error = await unlink(paths[i] as string).then(
          () => null,
          (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : err),
        );
        if (error === null) continue;
        failed.push({ group: g, index: i, error });
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, groups.length) }, lane));
  return failed.sort((a, b) => a.group - b.group);
}
