import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DocsAssetName, DocsAssetSource } from '../../http/docs-assets';

/**
 * The Swagger UI files read from the installed `swagger-ui-dist` package, for the Node and Bun
 * entries (`deps.docsAssets = nodeDocsAssets()`). Workers serve the same files as static
 * assets instead. Kept out of ./index.ts so the Workers bundle never imports node:fs.
 */
export function nodeDocsAssets(): DocsAssetSource {
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  // The files never change while the process runs: read each once.
  const cache = new Map<DocsAssetName, Promise<Uint8Array<ArrayBuffer>>>();
  return async (name) => {
    let bytes = cache.get(name);
    if (!bytes) {
      bytes = readFile(join(dir, name)).then((b) => new Uint8Array(b));
      cache.set(name, bytes);
    }
    return bytes.catch((err: NodeJS.ErrnoException) => {
      cache.delete(name);
      if (err.code === 'ENOENT') return null;
      throw err;
    });
  };
}
