import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredObjectInfo } from '../image-store';
import { infoOf, isMissing, statBig } from './file-info';
import { decodeCursor, encodeCursor, KEY } from './keys';

const LIST_MAX = 1000;

/**
 * Depth-first walk in key order. Directory entries sort as `name/`, so the walk yields keys in
 * the same order as comparing whole keys (`a-b` < `a/x` < `a0`), and whole subtrees before the
 * cursor are skipped unread. Each page still reads every directory it enters in full, which
 * is fine for a daily sweep of up to some 10^5 files in one folder. A `prefix` starts the walk
 * in the deepest folder it names, so listing one image's variants reads only their folder.
 */
export async function listFiles(
  root: string,
  { cursor, limit, prefix = '' }: { cursor?: string; limit?: number; prefix?: string },
) {
  const after = cursor ? decodeCursor(cursor) : undefined;
  const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  // Only a folder this store could have written is walked; any other prefix matches nothing.
  if (folder && !KEY.test(folder.slice(0, -1))) return { objects: [] };
  const max = Math.max(1, Math.min(LIST_MAX, Math.floor(limit ?? LIST_MAX)));
  const found: { key: string; path: string }[] = [];

  async function walk(dir: string, dirKey: string): Promise<boolean> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return true;
      throw err;
    }
    const named = entries
      .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isDirectory()))
      .map((e) => ({ entry: e, sortKey: dirKey + e.name + (e.isDirectory() ? '/' : '') }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const { entry, sortKey } of named) {
      if (entry.isDirectory()) {
        if (after !== undefined && sortKey < after && !after.startsWith(sortKey)) continue;
        if (!sortKey.startsWith(prefix) && !prefix.startsWith(sortKey)) continue;
        if (!(await walk(join(dir, entry.name), sortKey))) return false;
      } else {
        if (after !== undefined && sortKey <= after) continue;
        if (!KEY.test(sortKey)) continue; // stray file with a name we would never write
        if (!sortKey.startsWith(prefix)) continue;
        found.push({ key: sortKey, path: join(dir, entry.name) });
        // One extra tells whether there is another page.
        if (found.length > max) return false;
      }
    }
    return true;
  }

  await walk(folder ? join(root, ...folder.slice(0, -1).split('/')) : root, folder);
  const page = found.slice(0, max);
  const objects: StoredObjectInfo[] = [];
  for (const { key, path } of page) {
    try {
      objects.push(infoOf(key, await statBig(path)));
    } catch (err) {
      if (!isMissing(err)) throw err; // deleted since the walk
    }
  }
  const last = page.at(-1);
  return { objects, ...(found.length > max && last ? { cursor: encodeCursor(last.key) } : {}) };
}
