import { z } from '@hono/zod-openapi';
import { info } from './document';
import { API_BASE_PATH, DOCS_PATH, OPENAPI_PATH } from './paths';

export const pageContent = {
  'text/html': { schema: z.string().openapi({ description: 'Swagger UI page' }) },
};

export const documentSchema = z
  .looseObject({
    openapi: z.string().openapi({ example: '3.1.0' }),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  })
  .openapi('OpenApiDocument', { description: 'An OpenAPI 3.1 document' });

export const indexSchema = z
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
