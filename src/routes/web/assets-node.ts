import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { WebAssetSource } from '../../http/web-assets';

/** The static-assets directory wrangler.toml names, from this repository's root. */
const STATIC_DIR = resolve(import.meta.dirname, '../../../build/static');

/**
 * The web app's built files for the Node and Bun entries, from the same directory Workers serve
 * (`npm run build:web`, or any vitest run, writes it). Read on each request: a rebuild is served
 * without a restart, and the hashed files are cached by the browser anyway.
 */
export function nodeWebAssets(dir = STATIC_DIR): WebAssetSource {
  return async (path) => {
    if (path.split('/').some((part) => part === '..' || part === '')) return null;
    try {
      return new Uint8Array(await readFile(join(dir, path)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  };
}
