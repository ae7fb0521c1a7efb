import { openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { closeQuietly, fsyncFd } from './descriptors';
import { conflictOr } from './file-info';

/** Folders remembered as existing; past this many the memory is simply started again. */
const KNOWN_DIRS_MAX = 10_000;

export interface Folders {
  /** Makes a rename or a new entry in `dir` durable (nothing when the store is not durable). */
  sync(dir: string): Promise<void>;
  /** Makes `dir` (for `key`) unless this store already made or found it. */
  ensure(dir: string, key: string): Promise<void>;
  /** Makes `dir` again: it went away since it was made (removed by hand). */
  remake(dir: string, key: string): Promise<void>;
}

export function folders(durable: boolean): Folders {
  async function syncDir(dir: string): Promise<void> {
    if (!durable) return;
    // Makes the rename itself durable; not every platform can open a directory, which is fine.
    let fd: number | undefined;
    try {
      fd = openSync(dir, 'r');
      await fsyncFd(fd);
    } catch {
      // best effort
    } finally {
      if (fd !== undefined) closeQuietly(fd);
    }
  }

  /** Folders this store made or found: every key of this app is in one, so made once, not per put. */
  const knownDirs = new Set<string>();

  async function makeDir(dir: string, key: string): Promise<void> {
    let created: string | undefined;
    try {
      created = await mkdir(dir, { recursive: true });
    } catch (err) {
      throw conflictOr(err, key);
    }
    // A folder made just now is itself a new entry in its parent: without syncing the parents,
    // a power cut could lose the folder and, with it, a file acknowledged as durable.
    if (created) {
      for (let d = dir; d !== dirname(created); d = dirname(d)) await syncDir(dirname(d));
    }
    if (knownDirs.size >= KNOWN_DIRS_MAX) knownDirs.clear();
    knownDirs.add(dir);
  }

  return {
    sync: syncDir,
    ensure: async (dir, key) => {
      if (!knownDirs.has(dir)) await makeDir(dir, key);
    },
    remake: async (dir, key) => {
      knownDirs.delete(dir);
      await makeDir(dir, key);
    },
  };
}
