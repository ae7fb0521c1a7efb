/**
 * The web app's built files (scripts/web-build.mjs → the static-assets directory): a script and
 * a stylesheet named by their content hash, and `app/manifest.json` naming them.
 *
 * - Workers: the platform serves `/app/assets/*` before the worker runs; the worker reads the
 *   manifest through the assets binding (`workersWebAssets`).
 * - Node/Bun: `nodeWebAssets()` (src/routes/web/assets-node.ts) reads the same directory, and
 *   the routes in src/routes/web serve the files.
 */

export const WEB_ASSET_PREFIX = '/app/assets';
/** Path of the manifest inside the static-assets directory. */
export const WEB_MANIFEST_FILE = 'app/manifest.json';

export interface WebManifest {
  script: string;
  style: string;
}

/** Reads a file of the static-assets directory by its path there; `null` when there is none. */
export type WebAssetSource = (path: string) => Promise<Uint8Array<ArrayBuffer> | ReadableStream | null>;

/** Hashed names only: letters, digits, `-` and `_`, then `.js` or `.css`. */
const ASSET_NAME = /^[A-Za-z0-9_-]+\.(js|css)$/;

export const WEB_ASSET_TYPES = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
} as const;

/** The content type of a servable asset name, or undefined for any other name. */
export function webAssetType(name: string): string | undefined {
  const ext = ASSET_NAME.exec(name)?.[1] as keyof typeof WEB_ASSET_TYPES | undefined;
  return ext && WEB_ASSET_TYPES[ext];
}

/** Workers: the static-assets binding (`[assets] binding` in wrangler.toml); only its fetch is used. */
export function workersWebAssets(assets: { fetch(request: Request): Promise<Response> }): WebAssetSource {
  return async (path) => {
    // The binding routes by path alone; the host is never contacted.
    const res = await assets.fetch(new Request(`https://assets.invalid/${path}`));
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    return res.body;
  };
}
