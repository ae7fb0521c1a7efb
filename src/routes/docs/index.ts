import { swaggerUI } from '@hono/swagger-ui';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/app-env';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATHS = ['/api/apidoc/swagger', '/apidoc/swagger'] as const;

const info = {
  title: 'ImageAPI',
  version: '1.0.0',
  description:
    'Upload images with tags, fetch them back, list and filter them. New clients use `/api/v1`; ' +
    'the unversioned legacy paths are kept for existing clients and marked deprecated. ' +
    'Errors are RFC 9457 problem details (`application/problem+json`).',
};

type Document = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

/** See `jsonOrFormBody`: those bodies are required in behaviour, so the document says so. */
export function markJsonOrFormBodiesRequired(doc: Document): Document {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(item ?? {})) {
      const body = (op as { requestBody?: { required?: boolean; content?: Record<string, unknown> } }).requestBody;
      const types = Object.keys(body?.content ?? {});
      if (body && types.includes('application/json') && types.includes('application/x-www-form-urlencoded')) {
        body.required = true;
      }
    }
  }
  return doc;
}

/** Registers the security schemes and serves the document and the interactive docs. */
export function mountDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'cookieAuth', {
    type: 'apiKey',
    in: 'cookie',
    name: 'auth_token',
    description: 'Set by POST /api/v1/user/login',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The `token` returned by POST /api/v1/user/login',
  });

  let document: unknown;
  app.get(OPENAPI_PATH, (c) => {
    // The routes are fixed once the app is built: generate once per isolate.
    document ??= markJsonOrFormBodiesRequired(
      app.getOpenAPI31Document({ openapi: '3.1.0', info, servers: [{ url: '/' }] }),
    );
    return c.json(document);
  });
  for (const path of DOCS_PATHS) app.get(path, swaggerUI({ url: OPENAPI_PATH, title: 'ImageAPI docs' }));
}
