#!/usr/bin/env node
// Prepares the Workers static-assets directory (wrangler.toml `[assets]`) with Swagger UI's
// files from the installed swagger-ui-dist, under the URL prefix the docs page loads them from.
// Run by wrangler itself before `wrangler dev` and `wrangler deploy` (`[build]` in
// wrangler.toml) and by the vitest config, so the directory always matches the installed
// package. Nothing here is committed: the directory is git-ignored.
//
// Plain JavaScript so wrangler and the vitest config can run it without a TypeScript loader.
// The prefix and file list mirror src/http/docs-assets.ts; test/docs/swagger-ui-assets.node.test.ts
// fails if they drift apart.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildWebApp, WEB_ASSET_PREFIX, WEB_MANIFEST_PATH } from './web-build.mjs';

/** Must equal `[assets] directory` in wrangler.toml. */
export const STATIC_ASSETS_DIR = 'build/static';
export const DOCS_ASSET_PREFIX = '/api/apidoc/swagger-ui-dist';
export const DOCS_ASSET_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js'];

/**
 * The platform answers static files before the worker runs, so the app's security headers
 * (src/http/security-headers.ts, with the API's Content-Security-Policy) are given to them by
 * the assets layer's `_headers` file instead. test/docs/swagger-ui-assets.node.test.ts fails if these
 * differ from what the app sends.
 */
export const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-site',
  'Origin-Agent-Cluster': '?1',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=15552000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Frame-Options': 'DENY',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
};
export const HEADERS_FILE = '_headers';

const headerRule = (pattern, extra = {}) => [
  pattern,
  ...Object.entries({ ...SECURITY_HEADERS, ...extra }).map(([name, value]) => `  ${name}: ${value}`),
];

// The web app's files (scripts/web-build.mjs) are named by their content, so they never change
// under a name; the manifest naming them does.
const headersFile = () =>
  [
    ...headerRule(`${DOCS_ASSET_PREFIX}/*`),
    '',
    ...headerRule(`${WEB_ASSET_PREFIX}/*`, { 'Cache-Control': 'public, max-age=31536000, immutable' }),
    '',
    ...headerRule(WEB_MANIFEST_PATH, { 'Cache-Control': 'no-cache' }),
    '',
  ].join('\n');

/** The web app's directory belongs to scripts/web-build.mjs, which cleans it itself. */
const WEB_APP_DIR = 'app';

/** Writes `path` only if its content differs, never leaving a half-written file in the served directory. */
function writeIfChanged(from, to, root) {
  if (existsSync(to) && from.equals(readFileSync(to))) return;
  const tmp = join(dirname(root), `.docs-asset-${process.pid}-${basename(to)}`);
  writeFileSync(tmp, from);
  renameSync(tmp, to);
}

/** Copies the files (only those that changed), writes `_headers`, removes any other; returns what is there. */
export function prepareDocsAssets(root = STATIC_ASSETS_DIR) {
  const source = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const target = join(root, ...DOCS_ASSET_PREFIX.split('/').filter(Boolean));
  mkdirSync(target, { recursive: true });
  // A running `wrangler dev` may be serving the directory: never let it see a half-written
  // file. The temporary files live outside the served directory.
  for (const name of DOCS_ASSET_FILES) writeIfChanged(readFileSync(join(source, name)), join(target, name), root);
  const headers = join(root, HEADERS_FILE);
  writeIfChanged(Buffer.from(headersFile()), headers, root);
  const web = join(root, WEB_APP_DIR);
  const isWeb = (file) => file.startsWith(`${web}/`);
  for (const file of listFiles(root)) {
    if (isWeb(file)) continue;
    if (file !== headers && (dirname(file) !== target || !DOCS_ASSET_FILES.includes(basename(file)))) rmSync(file);
  }
  return listFiles(root).filter((file) => !isWeb(file));
}

function listFiles(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const file of prepareDocsAssets()) console.log(`docs asset: ${file}`);
  // The same directory serves the web app: wrangler runs only this one `[build]` command.
  const { manifest, scriptGzipBytes } = buildWebApp(STATIC_ASSETS_DIR);
  console.log(`web app: ${manifest.script} (${(scriptGzipBytes / 1024).toFixed(1)} KiB gzip), ${manifest.style}`);
}
