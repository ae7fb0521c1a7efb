#!/usr/bin/env node
// Prepares the Workers static-assets directory (wrangler.toml `[assets]`) with Swagger UI's
// files from the installed swagger-ui-dist, under the URL prefix the docs page loads them from.
// Run by wrangler itself before `wrangler dev` and `wrangler deploy` (`[build]` in
// wrangler.toml) and by the vitest config, so the directory always matches the installed
// package. Nothing here is committed: the directory is git-ignored.
//
// Plain JavaScript so wrangler and the vitest config can run it without a TypeScript loader.
// The prefix and file list mirror src/routes/docs/assets.ts; test/node/docs.assets.test.ts
// fails if they drift apart.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Must equal `[assets] directory` in wrangler.toml. */
export const STATIC_ASSETS_DIR = 'build/static';
export const DOCS_ASSET_PREFIX = '/api/apidoc/swagger-ui-dist';
export const DOCS_ASSET_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js'];

/** Copies the files (only those that changed) and removes any other; returns what is there. */
export function prepareDocsAssets(root = STATIC_ASSETS_DIR) {
  const source = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const target = join(root, ...DOCS_ASSET_PREFIX.split('/').filter(Boolean));
  mkdirSync(target, { recursive: true });
  for (const name of DOCS_ASSET_FILES) {
    const from = join(source, name);
    const to = join(target, name);
    if (existsSync(to) && readFileSync(from).equals(readFileSync(to))) continue;
    // A running `wrangler dev` may be serving the directory: never let it see a half-written
    // file. The temporary file lives outside the served directory.
    const tmp = join(dirname(root), `.docs-asset-${process.pid}-${name}`);
    copyFileSync(from, tmp);
    renameSync(tmp, to);
  }
  for (const file of listFiles(root)) {
    if (dirname(file) !== target || !DOCS_ASSET_FILES.includes(basename(file))) rmSync(file);
  }
  return listFiles(root);
}

function listFiles(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const file of prepareDocsAssets()) console.log(`docs asset: ${file}`);
}
