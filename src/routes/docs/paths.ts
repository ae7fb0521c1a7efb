export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/apidoc/swagger';
/** The original service also served the docs outside /api. */
export const LEGACY_DOCS_PATH = '/apidoc/swagger';
export const DOCS_PATHS = [DOCS_PATH, LEGACY_DOCS_PATH] as const;
export const API_BASE_PATH = '/api/v1';
