import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/app-env';
import { DOCS_ASSET_PREFIX, DOCS_INIT_SCRIPT } from '../../http/docs-assets';
import { problemSchema } from '../../http/problem';
import { securityHeaders } from '../../http/security-headers';
import * as h from './docs.handlers';
import { DOCS_CSP } from './docs.present';
import * as r from './docs.routes';
import { DOCS_PATH, LEGACY_DOCS_PATH } from './paths';

export { DOCS_ASSET_PREFIX, DOCS_ASSETS, DOCS_INIT_SCRIPT, type DocsAssetSource } from '../../http/docs-assets';
export { DOCS_CSP } from './docs.present';
export { buildDocument, markJsonOrFormBodiesRequired, type OpenApiDocument } from './document';
export * from './paths';

/** Registers the security schemes and serves the document, the docs pages and their assets. */
export function mountDocs(app: OpenAPIHono<AppEnv>): void {
  for (const [name, scheme] of Object.entries(r.securitySchemes)) {
    app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  }
  // Referenced by the app-wide responses `buildDocument` adds.
  app.openAPIRegistry.register('Problem', problemSchema);

  app.openapi(r.documentRoute, h.getDocument(app));
  app.use(DOCS_PATH, securityHeaders(DOCS_CSP));
  app.openapi(r.docsPageRoute, h.getDocsPage);
  app.use(LEGACY_DOCS_PATH, securityHeaders(DOCS_CSP));
  app.openapi(r.legacyDocsPageRoute, h.legacyGetDocsPage);
  app.get(DOCS_INIT_SCRIPT, h.getInitScript);
  app.get(`${DOCS_ASSET_PREFIX}/:name`, h.getDocsAsset);
}

/** `GET /`: a small JSON index for whoever opens the bare address, instead of a 404. */
export function mountIndex(app: OpenAPIHono<AppEnv>): void {
  app.openapi(r.indexRoute, h.getIndex);
}
