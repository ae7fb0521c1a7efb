import { randomUUID } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isMissing } from './file-info';

/** Temp files are `.<name>.<random>.tmp` beside their target; `list` and key validation skip dot-names. */
const TEMP_SUFFIX = '.tmp';

/** A fresh temp file's path beside `path`, in the same folder, so the rename stays on one file system. */
export function tempPathBeside(path: string): string {
  const dir = dirname(path);
  return join(dir, `.${path.slice(dir.length + 1)}.${randomUUID()}${TEMP_SUFFIX}`);
}

/** Removes temp files under `root` left by a crash mid-upload that are older than `olderThanMs`. */
export async function removeStaleTempFiles(root: string, olderThanMs: number): Promise<number> {
  const cutoff = Date.now() - olderThanMs;
  let removed = 0;
  async function walk(dir: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory() && !e.name.startsWith('.')) await walk(path);
      else if (e.isFile() && e.name.startsWith('.') && e.name.endsWith(TEMP_SUFFIX)) {
        let s: Stats;
        try {
          s = await lstat(path);
        } catch {
          continue;
        }
        if (
          s.mtimeMs < cutoff &&
          (await unlink(path).then(
            () => true,
            () => false,
          ))
        )
          removed++;
      }
    }
  }
  await walk(root);
  return removed;
}
