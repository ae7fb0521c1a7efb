import { SwaggerUI } from '@hono/swagger-ui';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/app-env';
import { ProblemError, problemSchema } from '../../http/problem';
import { DOCS_ASSET_BASE_URL, DOCS_ASSET_PREFIX, DOCS_ASSETS, isDocsAsset } from './assets';
import { buildDocument, type OpenApiDocument } from './document';

export { DOCS_ASSET_PREFIX, DOCS_ASSETS, type DocsAssetSource } from './assets';
export { buildDocument, markJsonOrFormBodiesRequired, type OpenApiDocument } from './document';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/apidoc/swagger';
/** The original service also served the docs outside /api. */
export const LEGACY_DOCS_PATH = '/apidoc/swagger';
export const DOCS_PATHS = [DOCS_PATH, LEGACY_DOCS_PATH] as const;

const pageContent = {
  'text/html': { schema: z.string().openapi({ description: 'Swagger UI page' }) },
};

const documentSchema = z
  .looseObject({
    openapi: z.string().openapi({ example: '3.1.0' }),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  })
  .openapi('OpenApiDocument', { description: 'An OpenAPI 3.1 document' });

const documentRoute = createRoute({
  method: 'get',
  path: OPENAPI_PATH,
  operationId: 'getOpenApiDocument',
  tags: ['Docs'],
  summary: 'This OpenAPI 3.1 document',
  description: 'Generate a typed client from it, e.g. `npx openapi-typescript http://localhost:8000/api/openapi.json`.',
  security: [],
  responses: {
    200: { description: 'The document', content: { 'application/json': { schema: documentSchema } } },
  },
});

const pageRoute = (path: string, legacy: boolean) =>
  createRoute({
    method: 'get',
    path,
    operationId: legacy ? 'legacyGetDocsPage' : 'getDocsPage',
    tags: ['Docs'],
    summary: 'Interactive documentation (Swagger UI)',
    description: legacy
      ? `Kept for users of the original service; the same page as \`GET ${DOCS_PATH}\`.`
      : 'Browse the operations, authorize with the cookie or a bearer token, and try them out. ' +
        'Its scripts and styles are served by this deployment: the page works offline.',
    ...(legacy ? { deprecated: true } : {}),
    security: [],
    responses: { 200: { description: 'An HTML page', content: pageContent } },
  });

/** The Swagger UI configuration: local assets, and credentials that survive a reload. */
const swaggerBody = SwaggerUI({
  url: OPENAPI_PATH,
  // `@hono/swagger-ui` loads `${baseUrl}/swagger-ui-dist/…`: point it at this deployment.
  baseUrl: DOCS_ASSET_BASE_URL,
  // Keep the bearer token across reloads; send the auth_token cookie with Try-it-out requests.
  persistAuthorization: true,
  withCredentials: true,
  deepLinking: true,
  displayOperationId: true,
  displayRequestDuration: true,
  docExpansion: 'list',
  filter: true,
  // The default validator badge would call a third-party service with the document's URL.
  validatorUrl: 'none',
});

function swaggerHtml(): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>ImageAPI docs</title>
  </head>
  <body>${swaggerBody}</body>
</html>
`;
}

/**
 * Only this origin may supply scripts, styles, images and connections, so the page cannot
 * silently fall back to a CDN. The one inline script (Swagger UI's start-up) is allowed by hash.
 */
async function contentSecurityPolicy(html: string): Promise<string> {
  const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
  const hashes = await Promise.all(
    inline.map(async (code) => {
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(code));
      return `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`;
    }),
  );
  return [
    "default-src 'none'",
    `script-src 'self' ${hashes.join(' ')}`,
    // Swagger UI sets inline styles and draws icons from data: URIs; Try-it-out shows images as blobs.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Registers the security schemes and serves the document, the docs pages and their assets. */
export function mountDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'cookieAuth', {
    type: 'apiKey',
    in: 'cookie',
    name: 'auth_token',
    description:
      'HttpOnly cookie set by `POST /api/v1/user/login`. In the docs page, log in with Try-it-out: the ' +
      'browser then sends the cookie with every request.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The `token` returned by `POST /api/v1/user/login`, sent as `Authorization: Bearer <token>`.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKeyAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'iak_…',
    description:
      'An API key from `POST /api/v1/user/keys`, sent as `Authorization: Bearer iak_…`. A `read` key may only ' +
      'GET (any other method answers 403); no key may manage keys or log out. Revoked, expired or unknown keys ' +
      'answer 401.',
  });
  // Referenced by the app-wide responses `buildDocument` adds.
  app.openAPIRegistry.register('Problem', problemSchema);

  // The routes are fixed once the app is built: generate once per isolate.
  let document: OpenApiDocument | undefined;
  app.openapi(documentRoute, (c) => {
    document ??= buildDocument(app);
    return c.json(document as z.infer<typeof documentSchema>, 200);
  });

  const html = swaggerHtml();
  let csp: Promise<string> | undefined;
  for (const path of DOCS_PATHS) {
    app.openapi(pageRoute(path, path === LEGACY_DOCS_PATH), async (c) => {
      csp ??= contentSecurityPolicy(html);
      c.header('Content-Security-Policy', await csp);
      return c.html(html, 200);
    });
  }

  // Not an API operation, so not in the document. On Workers the static-assets layer answers
  // these paths first; this route serves them on runtimes that pass `deps.docsAssets`.
  app.get(`${DOCS_ASSET_PREFIX}/:name`, async (c) => {
    const name = c.req.param('name');
    const source = c.get('deps').docsAssets;
    const body = isDocsAsset(name) && source ? await source(name) : null;
    if (!isDocsAsset(name) || body === null) throw new ProblemError(404, `No resource at ${c.req.path}.`);
    return c.body(body, 200, { 'Content-Type': DOCS_ASSETS[name], 'Cache-Control': 'public, max-age=3600' });
  });
}
