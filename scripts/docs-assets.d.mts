// Types for scripts/docs-assets.mjs, imported by vitest.config.ts and the docs tests.
export const STATIC_ASSETS_DIR: string;
export const DOCS_ASSET_PREFIX: string;
export const DOCS_ASSET_FILES: readonly string[];
export const SECURITY_HEADERS: Readonly<Record<string, string>>;
export const HEADERS_FILE: string;
export function prepareDocsAssets(root?: string): string[];
