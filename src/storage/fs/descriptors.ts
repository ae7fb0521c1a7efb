import { close, closeSync, fsync, open, read, readSync, rename } from 'node:fs';
import { promisify } from 'node:util';

/** `length` bytes from `position`; throws if the file ends first (it was cut short under us). */
export function readExactly(fd: number, position: number, length: number, key: string): Uint8Array<ArrayBuffer> {
  const buffer = new Uint8Array(length);
  for (let off = 0; off < length; ) {
    const bytesRead = readSync(fd, buffer, off, length - off, position + off);
    if (bytesRead === 0) throw new Error(`Stored object ${key} is shorter than its size`);
    off += bytesRead;
  }
  return buffer;
}

export const readAt = (fd: number, buffer: Uint8Array, position: number) =>
  new Promise<number>((resolve, reject) =>
    read(fd, buffer, 0, buffer.byteLength, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))),
  );

/**
 * Every caller reads a body to its end or cancels it, which closes its file. A stream dropped
 * without either (a bug, or a runtime that lets go of a response unread) would hold its
 * descriptor forever, as raw descriptors are not closed by the garbage collector: this is that
 * backstop.
 */
export const unclosedFiles = new FinalizationRegistry<{ fd: number | undefined }>((file) => {
  if (file.fd !== undefined) closeQuietly(file.fd);
  file.fd = undefined;
});

// The callback API as promises (node:util): a thread-pool round trip each, without the
// FileHandle objects of `fs/promises`.
export const fsyncFd = promisify(fsync);
export const openFile = promisify(open);
export const renameFile = promisify(rename);
export const closeFile = promisify(close);

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed or never valid: nothing to release
  }
}
