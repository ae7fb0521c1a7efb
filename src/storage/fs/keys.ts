import { join, sep } from 'node:path';

/** One or more `/`-separated segments of safe characters; segments starting with `.` are ours. */
export const KEY = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;
const MAX_KEY_LENGTH = 1024;

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

/**
 * The file of `key` under `root`. Belt and braces: the key pattern already makes escaping the
 * root impossible.
 */
export function pathUnder(root: string, key: string): string {
  assertValidKey(key);
  const path = join(root, ...key.split('/'));
  if (!path.startsWith(root + sep)) throw new InvalidKeyError(`Invalid storage key ${JSON.stringify(key)}`);
  return path;
}

/** An opaque list cursor: the last key of the previous page. */
export const encodeCursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url');
export function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  try {
    assertValidKey(key);
  } catch {
    throw new InvalidKeyError('Invalid list cursor');
  }
  return key;
}
