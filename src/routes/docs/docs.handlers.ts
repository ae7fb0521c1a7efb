import type { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Handler } from 'hono';
import type { AppEnv } from '../../http/app-env';
import { DOCS_ASSETS, isDocsAsset } from '../../http/docs-assets';
import { ProblemError } from '../../http/problem';
import type { AppRouteHandler } from '../../http/router';
import { apiIndex, INIT_SCRIPT, PAGE_HTML } from './docs.present';
import type * as r from './docs.routes';
import type { documentSchema } from './docs.schemas';
import { buildDocument, type OpenApiDocument } from './document';

/** The document of `app`; its routes are fixed once it is built, so it is generated once per isolate. */
export function getDocument(app: OpenAPIHono<AppEnv>): AppRouteHandler<typeof r.documentRoute> {
  let document: OpenApiDocument | undefined;
  return (c) => {
    document ??= buildDocument(app);
    return c.json(document as z.infer<typeof documentSchema>, 200);
  };
}

export const getDocsPage: AppRouteHandler<typeof r.docsPageRoute> = (c) => c.html(PAGE_HTML, 200);
export const legacyGetDocsPage: AppRouteHandler<typeof r.legacyDocsPageRoute> = (c) => c.html(PAGE_HTML, 200);

/**
 * A file the page loads, like the assets below, but generated here on every runtime (on
 * Workers the static-assets layer has no such file and passes the request on).
 */
export const getInitScript: Handler<AppEnv> = (c) =>
  c.body(INIT_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' });

/**
 * Not an API operation, so not in the document. On Workers the static-assets layer answers
 * these paths first; this serves them on runtimes that pass `deps.docsAssets`.
 */
export const getDocsAsset: Handler<AppEnv> = async (c) => {
  const name = c.req.param('name') ?? '';
  const source = c.get('deps').docsAssets;
  const body = isDocsAsset(name) && source ? await source(name) : null;
  if (!isDocsAsset(name) || body === null) throw new ProblemError(404, `No resource at ${c.req.path}.`);
  return c.body(body, 200, {
    'Content-Type': DOCS_ASSETS[name],
    'Cache-Control': 'public, max-age=3600',
    ...(body instanceof Uint8Array ? { 'Content-Length': String(body.byteLength) } : {}),
  });
};

export const getIndex: AppRouteHandler<typeof r.indexRoute> = (c) => c.json(apiIndex, 200);
