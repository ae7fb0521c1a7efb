// Types for scripts/web-build.mjs, imported by scripts/docs-assets.mjs, vitest.config.ts and the tests.
export const WEB_ASSET_PREFIX: string;
export const WEB_MANIFEST_PATH: string;
export const WEB_SCRIPT_BUDGET_BYTES: number;
export interface WebManifest {
  script: string;
  style: string;
}
export function buildWebApp(root?: string): { manifest: WebManifest; scriptGzipBytes: number; files: string[] };
