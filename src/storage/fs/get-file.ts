import { fstatSync, openSync } from 'node:fs';
import type { ByteRange, StoredObject } from '../image-store';
import { closeFile, closeQuietly, readAt, readExactly, unclosedFiles } from './descriptors';
import { type BigStats, infoOf, isMissing } from './file-info';
import { fileSlices } from './file-slices';

/** Reads up to this much at once; a body no larger is read whole, without a stream. */
const READ_CHUNK = 64 * 1024;

export async function getFile(
  pathOf: (key: string) => string,
  key: string,
  range?: ByteRange,
): Promise<StoredObject | null> {
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
  // Opened, described and (when small) read synchronously: on a local disk each is far cheaper
  // than the promise API's thread-pool round trips (and the database is read synchronously on
  // this thread anyway). Large bodies stream asynchronously.
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
