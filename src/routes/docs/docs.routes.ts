import { createRoute } from '@hono/zod-openapi';
import { documentSchema, indexSchema, pageContent } from './docs.schemas';
import { DOCS_PATH, LEGACY_DOCS_PATH, OPENAPI_PATH } from './paths';

/** How the authenticated operations may be called, as the document's security schemes. */
export const securitySchemes = {
  cookieAuth: {
    type: 'apiKey',
    in: 'cookie',
    name: 'auth_token',
    description:
      'HttpOnly cookie set by `POST /api/v1/user/login`. In the docs page, log in with Try-it-out: the ' +
      'browser then sends the cookie with every request.',
  },
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The `token` returned by `POST /api/v1/user/login`, sent as `Authorization: Bearer <token>`.',
  },
  apiKeyAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'iak_…',
    description:
      'An API key from `POST /api/v1/user/keys`, sent as `Authorization: Bearer iak_…`. A `read` key may only ' +
      'GET (any other method answers 403); no key may manage keys or log out. Revoked, expired or unknown keys ' +
      'answer 401.',
  },
} as const;

export const documentRoute = createRoute({
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

export const docsPageRoute = pageRoute(DOCS_PATH, false);
export const legacyDocsPageRoute = pageRoute(LEGACY_DOCS_PATH, true);

export const indexRoute = createRoute({
  method: 'get',
  path: '/',
  operationId: 'getIndex',
  tags: ['Docs'],
  summary: 'Where to start',
  description:
    'Names the service and links the interactive docs, the OpenAPI document and the API base path. ' +
    'A browser (asking for `text/html` and not for `application/json`) is sent to the web app at `/app` instead.',
  security: [],
  responses: {
    200: { description: 'The index', content: { 'application/json': { schema: indexSchema } } },
    // Answered by the web app's middleware (src/routes/web) before this route runs.
    302: {
      description: 'To the web app, for a browser',
      headers: { Location: { schema: { type: 'string', example: '/app' } } },
    },
  },
});
