/**
 * A minimal ustar (POSIX.1-1988) writer: headers and padding only, so an archive is produced as
 * it is read and never held whole. Names are ours (ASCII, under 100 bytes); sizes must be known
 * before an entry's bytes, which is why callers write metadata after the files it describes.
 */

const BLOCK = 512;
const encoder = new TextEncoder();

/** `value` in octal, zero-padded to `width - 1` digits and NUL-terminated, as ustar writes numbers. */
function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** The largest size an 11-digit octal field holds. */
export const TAR_MAX_ENTRY_BYTES = 8 ** 11 - 1;

export interface TarEntry {
  /** ASCII path inside the archive, at most 100 bytes. */
  name: string;
  size: number;
  /** Modification time, UTC ms. */
  mtime: number;
}

/** The 512-byte header of a regular file. */
export function tarHeader(entry: TarEntry): Uint8Array<ArrayBuffer> {
  const name = encoder.encode(entry.name);
  if (name.length > 100 || !/^[\x20-\x7e]+$/.test(entry.name)) throw new Error(`tar name not allowed: ${entry.name}`);
  if (!Number.isSafeInteger(entry.size) || entry.size < 0 || entry.size > TAR_MAX_ENTRY_BYTES) {
    throw new Error(`tar entry size out of range: ${entry.size}`);
  }
  const header = new Uint8Array(BLOCK);
  const put = (offset: number, text: string) => header.set(encoder.encode(text), offset);
  header.set(name, 0);
  put(100, octal(0o644, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(entry.size, 12));
  put(136, octal(Math.max(0, Math.floor(entry.mtime / 1000)), 12));
  put(148, '        ');
  put(156, '0');
  put(257, 'ustar\0');
  put(263, '00');
  let sum = 0;
  for (const b of header) sum += b;
  put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
  return header;
}

/** Zero bytes that bring an entry of `size` bytes to a whole block. */
export function tarPadding(size: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The end of an archive: two zero blocks. */
export const tarEnd = (): Uint8Array<ArrayBuffer> => new Uint8Array(2 * BLOCK);

/** A small entry whose bytes are at hand: header, bytes, padding. */
export function tarFile(name: string, bytes: Uint8Array, mtime: number): Uint8Array<ArrayBuffer> {
  const header = tarHeader({ name, size: bytes.length, mtime });
  const out = new Uint8Array(header.length + bytes.length + tarPadding(bytes.length).length);
  out.set(header, 0);
  out.set(bytes, header.length);
  return out;
}
