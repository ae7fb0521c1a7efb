/**
 * The ImageStore for Node and Bun: one file per key under a root directory.
 * Uses only `node:` APIs that Bun implements too. Keys are ours (random), but they are still
 * validated so that no value can name a path outside the root.
 *
 * Beside this file: keys.ts (a key's path, the list cursor), put-file.ts (write through a temp
 * file, temp-files.ts), get-file.ts (read whole or stream), list-files.ts (the walk in key
 * order), folders.ts (made once, synced for durability), file-slices.ts (Bun's file bodies),
 * multipart.ts (parts staged as files, assembled by streaming).
 */
import { constants } from 'node:fs';
import { access, stat, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ImageStore } from '../image-store';
import { isMissing } from './file-info';
import { folders } from './folders';
import { getFile } from './get-file';
import { pathUnder } from './keys';
import { listFiles } from './list-files';
import { fsMultipart } from './multipart';
import { putFile } from './put-file';
import { removeStaleTempFiles } from './temp-files';

export interface FsStoreOptions {
  /** fsync each file (and its directory) before it becomes visible. Default true. */
  durable?: boolean;
}

export interface FsImageStore extends ImageStore {
  readonly root: string;
  /** Removes temp files left by a crash mid-upload that are older than `olderThanMs`. */
  removeStaleTempFiles(olderThanMs: number): Promise<number>;
}

export function fsStore(rootDir: string, options: FsStoreOptions = {}): FsImageStore {
  const root = resolve(rootDir);
  const durable = options.durable ?? true;
  const pathOf = (key: string) => pathUnder(root, key);
  const at = { pathOf, folders: folders(durable), durable };

  async function remove(keys: string[]): Promise<void> {
    // Validate everything first so a bad key deletes nothing.
    const paths = keys.map(pathOf);
    for (const path of paths) {
      try {
        await unlink(path);
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
    }
  }

  /** The root must still be a directory this process can read and write (a lost mount is not). */
  async function ping(): Promise<void> {
    if (!(await stat(root)).isDirectory()) throw new Error(`${root} is not a directory`);
    await access(root, constants.R_OK | constants.W_OK | constants.X_OK);
  }

  return {
    root,
    put: (key, body, options) => putFile(at, key, body, options),
    get: (key, range) => getFile(pathOf, key, range),
    delete: remove,
    list: (options) => listFiles(root, options),
    ping,
    removeStaleTempFiles: (olderThanMs) => removeStaleTempFiles(root, olderThanMs),
    ...fsMultipart(root, at),
  };
}
