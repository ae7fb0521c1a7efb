import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/app-env';
import { ProblemError, problemSchema } from '../../http/problem';
import { type ContentSecurityPolicy, securityHeaders } from '../../http/security-headers';
import { DOCS_ASSET_PREFIX, DOCS_ASSETS, DOCS_INIT_SCRIPT, isDocsAsset } from './assets';
import { buildDocument, info, type OpenApiDocument } from './document';

export { DOCS_ASSET_PREFIX, DOCS_ASSETS, DOCS_INIT_SCRIPT, type DocsAssetSource } from './assets';
export { buildDocument, markJsonOrFormBodiesRequired, type OpenApiDocument } from './document';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/apidoc/swagger';
/** The original service also served the docs outside /api. */
export const LEGACY_DOCS_PATH = '/apidoc/swagger';
export const DOCS_PATHS = [DOCS_PATH, LEGACY_DOCS_PATH] as const;
export const API_BASE_PATH = '/api/v1';

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

/**
 * Swagger UI's start-up, served as a file of this origin rather than inlined in the page, so
 * the page's policy allows scripts from 'self' only. Local assets; credentials that survive a
 * reload; the auth_token cookie sent with Try-it-out requests.
 */
const SWAGGER_CONFIG = {
  dom_id: '#swagger-ui',
  url: OPENAPI_PATH,
  persistAuthorization: true,
  withCredentials: true,
  deepLinking: true,
  displayOperationId: true,
  displayRequestDuration: true,
  docExpansion: 'list',
  filter: true,
  // The default validator badge would call a third-party service with the document's URL.
  validatorUrl: 'none',
};
const INIT_SCRIPT = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle(${JSON.stringify(SWAGGER_CONFIG, null, 2).replace(/\n/g, '\n  ')});
});
`;

const PAGE_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>ImageAPI docs</title>
    <link rel="stylesheet" href="${DOCS_ASSET_PREFIX}/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${DOCS_ASSET_PREFIX}/swagger-ui-bundle.js"></script>
    <script src="${DOCS_INIT_SCRIPT}"></script>
  </body>
</html>
`;

/**
 * Only this origin may supply scripts, styles, images and connections, so the page cannot
 * silently fall back to a CDN, and no script runs that this origin did not serve as a file.
 */
export const DOCS_CSP: ContentSecurityPolicy = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  // No 'unsafe-inline': Swagger UI sets styles through the DOM, which this does not restrict
  // (test/node/docs.browser.test.ts fails on any violation the page reports).
  styleSrc: ["'self'"],
  // Icons in the stylesheet are data: URIs; Try-it-out shows returned images as blob: URLs.
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

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

  for (const path of DOCS_PATHS) {
    app.use(path, securityHeaders(DOCS_CSP));
    app.openapi(pageRoute(path, path === LEGACY_DOCS_PATH), (c) => c.html(PAGE_HTML, 200));
  }

  // A file the page loads, like the assets below, but generated here on every runtime (on
  // Workers the static-assets layer has no such file and passes the request on).
  app.get(DOCS_INIT_SCRIPT, (c) =>
    c.body(INIT_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' }),
  );

  // Not an API operation, so not in the document. On Workers the static-assets layer answers
  // these paths first; this route serves them on runtimes that pass `deps.docsAssets`.
  app.get(`${DOCS_ASSET_PREFIX}/:name`, async (c) => {
    const name = c.req.param('name');
    const source = c.get('deps').docsAssets;
    const body = isDocsAsset(name) && source ? await source(name) : null;
    if (!isDocsAsset(name) || body === null) throw new ProblemError(404, `No resource at ${c.req.path}.`);
    return c.body(body, 200, {
      'Content-Type': DOCS_ASSETS[name],
      'Cache-Control': 'public, max-age=3600',
      ...(body instanceof Uint8Array ? { 'Content-Length': String(body.byteLength) } : {}),
    });
  });
}

const indexSchema = z
  .object({
    name: z.string().openapi({ example: info.title }),
    version: z
      .string()
      .openapi({ example: info.version, description: 'The API version (`info.version` of the document)' }),
    links: z.object({
      docs: z.string().openapi({ example: DOCS_PATH, description: 'Interactive documentation (Swagger UI)' }),
      openapi: z.string().openapi({ example: OPENAPI_PATH, description: 'This OpenAPI document' }),
      api: z.string().openapi({ example: API_BASE_PATH, description: 'Base path of the current API' }),
    }),
  })
  .openapi('ApiIndex', { description: 'Where to start: the docs, the document and the API' });

const indexRoute = createRoute({
  method: 'get',
  path: '/',
  operationId: 'getIndex',
  tags: ['Docs'],
  summary: 'Where to start',
  description: 'Names the service and links the interactive docs, the OpenAPI document and the API base path.',
  security: [],
  responses: {
    200: { description: 'The index', content: { 'application/json': { schema: indexSchema } } },
  },
});

/** `GET /`: a small JSON index for whoever opens the bare address, instead of a 404. */
export function mountIndex(app: OpenAPIHono<AppEnv>): void {
  const body = {
    name: info.title,
    version: info.version,
    links: { docs: DOCS_PATH, openapi: OPENAPI_PATH, api: API_BASE_PATH },
  };
  app.openapi(indexRoute, (c) => c.json(body, 200));
}
