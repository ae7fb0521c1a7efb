/**
 * The ImageStore for Node and Bun: one file per key under a root directory.
 * Uses only `node:` APIs that Bun implements too. Keys are ours (random), but they are still
 * validated so that no value can name a path outside the root.
 */
import { randomUUID } from 'node:crypto';
import {
  close,
  closeSync,
  constants,
  type Dirent,
  fstatSync,
  fsync,
  open,
  openSync,
  read,
  readSync,
  rename,
  type Stats,
  writeSync,
} from 'node:fs';
import { access, lstat, mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import type { ByteRange, ImageStore, PutOptions, StoredObject, StoredObjectInfo } from './image-store';

/** One or more `/`-separated segments of safe characters; segments starting with `.` are ours. */
const KEY = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;
const MAX_KEY_LENGTH = 1024;
const READ_CHUNK = 64 * 1024;
const LIST_MAX = 1000;
/** Folders remembered as existing; past this many the memory is simply started again. */
const KNOWN_DIRS_MAX = 10_000;
/** Temp files are `.<name>.<random>.tmp` beside their target; `list` and key validation skip dot-names. */
const TEMP_SUFFIX = '.tmp';

export class InvalidKeyError extends Error {
  override name = 'InvalidKeyError';
}

/**
 * Throws unless `key` is a relative, `/`-separated path of `[A-Za-z0-9_.-]` segments with no
 * empty, `.`-leading (so no `.`/`..`), absolute or backslash parts.
 */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || !KEY.test(key)) {
    throw new InvalidKeyError(`Invalid storage key ${JSON.stringify(String(key).slice(0, 100))}`);
  }
}

type BigStats = Awaited<ReturnType<typeof statBig>>;
const statBig = (path: string) => stat(path, { bigint: true });

/**
 * Strong validator without a sidecar file: a rewrite gets a new inode (the temp file exists
 * before the old one is replaced) and a new mtime. The one blind spot, deleting a key and
 * re-creating it with the same size within one filesystem timestamp tick on a reused inode,
 * cannot happen here: storage keys are random and never reused.
 */
const etagOf = (s: BigStats) => `"${s.ino.toString(36)}-${s.mtimeNs.toString(36)}-${s.size.toString(36)}"`;

const infoOf = (key: string, s: BigStats): StoredObjectInfo => ({
  key,
  size: Number(s.size),
  etag: etagOf(s),
  uploaded: new Date(Number(s.mtimeNs / 1_000_000n)),
});

const isMissing = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/**
 * A key is a file and the keys below it a directory, so `a` and `a/b` cannot both exist
 * (R2 would allow it; this app's keys never nest that way).
 */
function conflictOr(err: unknown, key: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
    return new Error(`Storage key ${key} conflicts with an existing key: a key cannot also be a folder of other keys`, {
      cause: err,
    });
  }
  return err;
}

function chunksOf(body: ReadableStream<Uint8Array> | Blob): ReadableStream<Uint8Array> {
  return body instanceof Blob ? (body.stream() as ReadableStream<Uint8Array>) : body;
}

/** An opaque list cursor: the last key of the previous page. */
const encodeCursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  try {
    assertValidKey(key);
  } catch {
    throw new InvalidKeyError('Invalid list cursor');
  }
  return key;
}

/** The file range behind a body stream this store created. */
export interface FileSlice {
  path: string;
  start: number;
  end: number;
}

const fileSlices = new WeakMap<ReadableStream, FileSlice & { etag: string }>();

/**
 * For a runtime that sends files better than streams (Bun keeps `Content-Length` only for file
 * bodies): the file range behind `body`, if this store made it, nobody has started reading it
 * and the file is still the one `get` described.
 */
export async function fileSliceOf(body: unknown): Promise<FileSlice | undefined> {
  if (!(body instanceof ReadableStream) || body.locked) return undefined;
  const slice = fileSlices.get(body);
  if (!slice) return undefined;
  try {
    if (etagOf(await statBig(slice.path)) !== slice.etag) return undefined;
  } catch {
    return undefined;
  }
  return { path: slice.path, start: slice.start, end: slice.end };
}

/** `length` bytes from `position`; throws if the file ends first (it was cut short under us). */
function readExactly(fd: number, position: number, length: number, key: string): Uint8Array<ArrayBuffer> {
  const buffer = new Uint8Array(length);
  for (let off = 0; off < length; ) {
    const bytesRead = readSync(fd, buffer, off, length - off, position + off);
    if (bytesRead === 0) throw new Error(`Stored object ${key} is shorter than its size`);
    off += bytesRead;
  }
  return buffer;
}

const readAt = (fd: number, buffer: Uint8Array, position: number) =>
  new Promise<number>((resolve, reject) =>
    read(fd, buffer, 0, buffer.byteLength, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))),
  );

/**
 * Every caller reads a body to its end or cancels it, which closes its file. A stream dropped
 * without either (a bug, or a runtime that lets go of a response unread) would hold its
 * descriptor forever, as raw descriptors are not closed by the garbage collector: this is that
 * backstop.
 */
const unclosedFiles = new FinalizationRegistry<{ fd: number | undefined }>((file) => {
  if (file.fd !== undefined) closeQuietly(file.fd);
  file.fd = undefined;
});

// The callback API as promises (node:util): a thread-pool round trip each, without the
// FileHandle objects of `fs/promises`.
const fsyncFd = promisify(fsync);
const openFile = promisify(open);
const renameFile = promisify(rename);
const closeFile = promisify(close);

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed or never valid: nothing to release
  }
}

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

  const pathOf = (key: string): string => {
    assertValidKey(key);
    const path = join(root, ...key.split('/'));
    // Belt and braces: the regex already makes escaping impossible.
    if (!path.startsWith(root + sep)) throw new InvalidKeyError(`Invalid storage key ${JSON.stringify(key)}`);
    return path;
  };

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

  async function put(
    key: string,
    body: ReadableStream<Uint8Array> | Blob,
    { size }: PutOptions,
  ): Promise<StoredObjectInfo> {
    const path = pathOf(key);
    if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) throw new RangeError(`Invalid size ${size}`);
    const dir = dirname(path);
    const temp = join(dir, `.${path.slice(dir.length + 1)}.${randomUUID()}${TEMP_SUFFIX}`);
    const reader = chunksOf(body).getReader();
    // Written, described and closed synchronously: on a local disk each is microseconds (the page
    // cache takes the bytes), where the promise API costs a thread-pool round trip apiece. What
    // changes the folder (creating the file, renaming it) and the fsyncs run off this thread:
    // they can wait on the file system's journal while other uploads' fsyncs commit (~0.25 ms
    // per create in a profile of 8 concurrent uploads on ext4).
    let fd: number | undefined;
    try {
      if (!knownDirs.has(dir)) await makeDir(dir, key);
      try {
        fd = await openFile(temp, 'wx', 0o644);
      } catch (err) {
        if (!isMissing(err)) throw err;
        // The folder went away since it was made (removed by hand): make it again, once.
        knownDirs.delete(dir);
        await makeDir(dir, key);
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
      if (durable) await fsyncFd(fd);
      const info = infoOf(key, fstatSync(fd, { bigint: true }));
      closeSync(fd);
      fd = undefined;
      await renameFile(temp, path);
      await syncDir(dir);
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

  async function get(key: string, range?: ByteRange): Promise<StoredObject | null> {
    const path = pathOf(key);
    if (range && !(Number.isSafeInteger(range.offset) && range.offset >= 0)) {
      throw new RangeError(`Invalid range offset ${range.offset}`);
    }
    if (range && !(Number.isSafeInteger(range.length) && range.length >= 0)) {
      throw new RangeError(`Invalid range length ${range.length}`);
    }
    // Opened here, before the caller commits to a status: a file deleted a moment later stays
    // readable through this descriptor, and one already gone is a clean `null` (a 404), never a
    // 200 whose body then fails. Whoever does not read the body must cancel it to close it.
    // Opened, described and (when small) read synchronously: each is a few microseconds on a
    // local disk, where the promise API costs ~70 µs a file in thread-pool round trips (and the
    // database is read synchronously on this thread anyway). Large bodies stream asynchronously.
    let fd: number | undefined;
    let s: BigStats;
    try {
      fd = openSync(path, 'r');
      s = fstatSync(fd, { bigint: true });
    } catch (err) {
      if (fd !== undefined) closeQuietly(fd);
      if (isMissing(err) || (err as NodeJS.ErrnoException | undefined)?.code === 'EISDIR') return null;
      throw err;
    }
    if (!s.isFile()) {
      closeQuietly(fd);
      return null;
    }
    const info = infoOf(key, s);
    // A range past the end is clamped, like an HTTP server serving a suffix of a short file.
    const start = Math.min(range?.offset ?? 0, info.size);
    const end = range ? Math.min(start + range.length, info.size) : info.size;
    const sliced = range ? { range: { offset: start, length: end - start } } : {};
    if (end - start <= READ_CHUNK) {
      // Small (most images' thumbnails and many originals): one read now, no stream to pump.
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = readExactly(fd, start, end - start, key);
      } finally {
        closeQuietly(fd);
      }
      let stream: ReadableStream<Uint8Array> | undefined;
      return {
        ...info,
        ...sliced,
        bytes,
        get body() {
          stream ??= new Blob([bytes]).stream() as ReadableStream<Uint8Array>;
          return stream;
        },
      };
    }

    // The descriptor lives in `file` so a stream dropped unread can still have it closed (below).
    const file: { fd: number | undefined } = { fd };
    let position = start;
    const release = async () => {
      const f = file.fd;
      file.fd = undefined;
      if (f !== undefined) await closeFile(f).catch(() => {});
    };
    // highWaterMark 0: nothing is read before the consumer asks.
    const bodyStream = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const want = Math.min(READ_CHUNK, end - position);
            if (want <= 0 || file.fd === undefined) {
              await release();
              controller.close();
              return;
            }
            const buffer = new Uint8Array(want);
            const bytesRead = await readAt(file.fd, buffer, position);
            if (bytesRead === 0) throw new Error(`Stored object ${key} is shorter than its size`);
            position += bytesRead;
            controller.enqueue(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
            if (position >= end) {
              await release();
              controller.close();
            }
          } catch (err) {
            await release();
            controller.error(err);
          }
        },
        cancel: release,
      },
      { highWaterMark: 0 },
    );
    fileSlices.set(bodyStream, { path, start, end, etag: info.etag });
    unclosedFiles.register(bodyStream, file);
    return { ...info, body: bodyStream, ...sliced };
  }

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

  /**
   * Depth-first walk in key order. Directory entries sort as `name/`, so the walk yields keys in
   * the same order as comparing whole keys (`a-b` < `a/x` < `a0`), and whole subtrees before the
   * cursor are skipped unread. Each page still reads every directory it enters in full, which
   * is fine for a daily sweep of up to some 10^5 files in one folder. A `prefix` starts the walk
   * in the deepest folder it names, so listing one image's variants reads only their folder.
   */
  async function list({ cursor, limit, prefix = '' }: { cursor?: string; limit?: number; prefix?: string }) {
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

  /** The root must still be a directory this process can read and write (a lost mount is not). */
  async function ping(): Promise<void> {
    if (!(await stat(root)).isDirectory()) throw new Error(`${root} is not a directory`);
    await access(root, constants.R_OK | constants.W_OK | constants.X_OK);
  }

  async function removeStaleTempFiles(olderThanMs: number): Promise<number> {
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

  return { root, put, get, delete: remove, list, ping, removeStaleTempFiles };
}
