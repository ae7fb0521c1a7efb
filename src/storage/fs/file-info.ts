import { stat } from 'node:fs/promises';
import type { StoredObjectInfo } from '../image-store';

export type BigStats = Awaited<ReturnType<typeof statBig>>;
export const statBig = (path: string) => stat(path, { bigint: true });

/**
 * Strong validator without a sidecar file: a rewrite gets a new inode (the temp file exists
 * before the old one is replaced) and a new mtime. The one blind spot, deleting a key and
 * re-creating it with the same size within one filesystem timestamp tick on a reused inode,
 * cannot happen here: storage keys are random and never reused.
 */
export const etagOf = (s: BigStats) => `"${s.ino.toString(36)}-${s.mtimeNs.toString(36)}-${s.size.toString(36)}"`;

export const infoOf = (key: string, s: BigStats): StoredObjectInfo => ({
  key,
  size: Number(s.size),
  etag: etagOf(s),
  uploaded: new Date(Number(s.mtimeNs / 1_000_000n)),
});

export const isMissing = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/**
 * A key is a file and the keys below it a directory, so `a` and `a/b` cannot both exist
 * (R2 would allow it; this app's keys never nest that way).
 */
export function conflictOr(err: unknown, key: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
    return new Error(`Storage key ${key} conflicts with an existing key: a key cannot also be a folder of other keys`, {
      cause: err,
    });
  }
  return err;
}
