import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** Every file under `root` (absolute paths, sorted), dot-files included; none if it does not exist. */
export async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * The fs store's temp names (`.….tmp`: uploads in progress, Bun's short-lived serving links)
 * start with a dot; they are not objects.
 */
export const isTempFile = (path: string) => basename(path).startsWith('.');

/** The stored objects under `root`: every file but the temp ones. */
export const objectFiles = async (root: string) => (await filesUnder(root)).filter((p) => !isTempFile(p));
