/**
 * The Swagger UI files the docs page loads. They are served by this deployment, never from a
 * CDN, so the docs work offline and no third party sees who reads them.
 *
 * - Workers: `scripts/docs-assets.mjs` copies them from `node_modules/swagger-ui-dist` into the
 *   static-assets directory named in wrangler.toml (`[assets]`, under the same URL prefix), so
 *   the platform answers them before the worker runs. The route below then only sees misses.
 * - Node/Bun: the entry passes `nodeDocsAssets()` (./assets-node.ts) as `deps.docsAssets`, and
 *   the route below serves them from the installed package.
 */

/** URL prefix of the files (scripts/docs-assets.mjs copies them under the same one). */
export const DOCS_ASSET_PREFIX = '/api/apidoc/swagger-ui-dist';

/** File name in swagger-ui-dist → content type. Nothing outside this list is served. */
export const DOCS_ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
} as const;

/** Swagger UI's start-up for the docs page; the app serves it on every runtime (not in swagger-ui-dist). */
export const DOCS_INIT_SCRIPT = `${DOCS_ASSET_PREFIX}/imageapi-init.js`;

export type DocsAssetName = keyof typeof DOCS_ASSETS;

export const isDocsAsset = (name: string): name is DocsAssetName => Object.hasOwn(DOCS_ASSETS, name);

/** Where a runtime reads the files from; resolves `null` when it has no such file. */
export type DocsAssetSource = (name: DocsAssetName) => Promise<Uint8Array<ArrayBuffer> | ReadableStream | null>;
