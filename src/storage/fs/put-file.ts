import { closeSync, fstatSync, writeSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PutOptions, StoredObjectInfo } from '../image-store';
import { closeQuietly, fsyncFd, openFile, renameFile } from './descriptors';
import { conflictOr, infoOf, isMissing } from './file-info';
import type { Folders } from './folders';
import { tempPathBeside } from './temp-files';

function chunksOf(body: ReadableStream<Uint8Array> | Blob): ReadableStream<Uint8Array> {
  return body instanceof Blob ? (body.stream() as ReadableStream<Uint8Array>) : body;
}

/** Writes `key` through a temp file renamed into place, so a reader never sees it half-written. */
export async function putFile(
  at: { pathOf: (key: string) => string; folders: Folders; durable: boolean },
  key: string,
  body: ReadableStream<Uint8Array> | Blob,
  { size }: PutOptions,
): Promise<StoredObjectInfo> {
  const path = at.pathOf(key);
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) throw new RangeError(`Invalid size ${size}`);
  const dir = dirname(path);
  const temp = tempPathBeside(path);
  const reader = chunksOf(body).getReader();
  // Written, described and closed synchronously: on a local disk each is microseconds (the page
  // cache takes the bytes), where the promise API costs a thread-pool round trip apiece. What
  // changes the folder (creating the file, renaming it) and the fsyncs run off this thread:
  // they can wait on the file system's journal while other uploads' fsyncs commit, and this
  // thread serves other requests meanwhile.
  let fd: number | undefined;
  try {
    await at.folders.ensure(dir, key);
    try {
      fd = await openFile(temp, 'wx', 0o644);
    } catch (err) {
      if (!isMissing(err)) throw err;
      // The folder went away since it was made (removed by hand): make it again, once.
      await at.folders.remake(dir, key);
      fd = await openFile(temp, 'wx', 0o644);
    }
    let written = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      written += value.byteLength;
      if (size !== undefined && written > size)
        throw new Error(`Body for ${key} is longer than the declared ${size} bytes`);
      // A short write is possible in principle: loop until the whole chunk is on disk.
      for (let off = 0; off < value.byteLength; ) off += writeSync(fd, value, off, value.byteLength - off);
    }
    if (size !== undefined && written !== size)
      throw new Error(`Body for ${key} ended after ${written} of ${size} bytes`);
    if (at.durable) await fsyncFd(fd);
    const info = infoOf(key, fstatSync(fd, { bigint: true }));
    closeSync(fd);
    fd = undefined;
    await renameFile(temp, path);
    await at.folders.sync(dir);
    return info;
  } catch (err) {
    await reader.cancel(err).catch(() => {});
    if (fd !== undefined) closeQuietly(fd);
    await unlink(temp).catch(() => {});
    throw conflictOr(err, key);
  } finally {
    reader.releaseLock();
  }
}
