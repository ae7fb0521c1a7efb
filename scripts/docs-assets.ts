// Prepares the Workers static-assets directory (wrangler.toml `[assets]`) with Swagger UI's
// files from the installed swagger-ui-dist, under the URL prefix the docs page loads them from.
// Run by wrangler itself before `wrangler dev` and `wrangler deploy` (`[build]` in
// wrangler.toml), by `npm start`, and by the vitest config, so the directory always matches
// the installed package. Nothing here is committed: the directory is git-ignored.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DOCS_ASSET_PREFIX, DOCS_ASSETS } from '../src/routes/docs/assets';

/** Must equal `[assets] directory` in wrangler.toml (a test checks it). */
export const STATIC_ASSETS_DIR = 'build/static';

export function prepareDocsAssets(root = STATIC_ASSETS_DIR): string[] {
  const source = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const target = join(root, ...DOCS_ASSET_PREFIX.split('/').filter(Boolean));
  mkdirSync(target, { recursive: true });
  const names = Object.keys(DOCS_ASSETS);
  for (const name of names) {
    const from = join(source, name);
    const to = join(target, name);
    if (existsSync(to) && readFileSync(from).equals(readFileSync(to))) continue;
    // Another process (a running `wrangler dev`) may be serving the directory: never let it
    // see a half-written file. The temporary file lives outside the served directory.
    const tmp = join(dirname(root), `.docs-asset-${process.pid}-${name}`);
    copyFileSync(from, tmp);
    renameSync(tmp, to);
  }
  // A file dropped from DOCS_ASSETS is no longer served.
  for (const file of listFiles(root)) {
    if (file !== join(target, basename(file)) || !names.includes(basename(file))) rmSync(file);
  }
  return listFiles(root);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const file of prepareDocsAssets()) console.log(`docs asset: ${file}`);
}
