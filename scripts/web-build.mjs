#!/usr/bin/env node
// Builds the web app (web/app, issue 26) into the static-assets directory with esbuild: one
// script and one stylesheet, each named by its content hash, and a manifest naming them, which
// the app's HTML routes read (src/routes/web). Workers serve the files as static assets; Node
// and Bun serve the same directory (src/routes/web/assets-node.ts). Run by scripts/docs-assets.mjs
// (wrangler's `[build]` step) and by the vitest config; the output is git-ignored.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';

/** URL prefix of the hashed files; the manifest sits beside it at WEB_MANIFEST_PATH. */
export const WEB_ASSET_PREFIX = '/app/assets';
export const WEB_MANIFEST_PATH = '/app/manifest.json';
/** The budget for the app's JavaScript, gzip-compressed (test/web-app/web-app-routes.node.test.ts asserts it). */
export const WEB_SCRIPT_BUDGET_BYTES = 60 * 1024;

const ENTRY_SCRIPT = 'web/app/main.tsx';
const ENTRY_STYLE = 'web/app/app.css';

/**
 * Builds into `<root>/app/assets`, writes `<root>/app/manifest.json`, removes files of older
 * builds, and returns the manifest with the script's gzip size.
 */
export function buildWebApp(root = 'build/static') {
  const appDir = join(root, 'app');
  const outdir = join(root, ...WEB_ASSET_PREFIX.split('/').filter(Boolean));
  mkdirSync(outdir, { recursive: true });
  const result = buildSync({
    entryPoints: [ENTRY_SCRIPT, ENTRY_STYLE],
    outdir,
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx/dom',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    write: true,
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => relative(outdir, file));
  const script = outputs.find((f) => f.endsWith('.js'));
  const style = outputs.find((f) => f.endsWith('.css'));
  if (!script || !style) throw new Error(`web build produced ${outputs.join(', ')}`);
  const manifest = { script: `${WEB_ASSET_PREFIX}/${script}`, style: `${WEB_ASSET_PREFIX}/${style}` };
  writeFileSync(join(appDir, basename(WEB_MANIFEST_PATH)), `${JSON.stringify(manifest)}\n`);
  for (const file of readdirSync(outdir)) if (!outputs.includes(file)) rmSync(join(outdir, file));
  const scriptGzipBytes = gzipSync(readFileSync(join(outdir, script)), { level: 9 }).byteLength;
  return { manifest, scriptGzipBytes, files: outputs.map((f) => join(outdir, f)) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { manifest, scriptGzipBytes } = buildWebApp();
  console.log(`web app: ${manifest.script} (${(scriptGzipBytes / 1024).toFixed(1)} KiB gzip), ${manifest.style}`);
}
