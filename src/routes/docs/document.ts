import type { OpenAPIHono } from '@hono/zod-openapi';
// One version for the package and the API it describes; bundlers keep only this field.
import { version } from '../../../package.json';
import type { AppEnv } from '../../http/app-env';
import { PROBLEM_CONTENT_TYPE } from '../../http/problem';

export type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

export const info = {
  title: 'ImageAPI',
  version,
  description:
    'Upload images with tags, fetch them back, list and filter them. New clients use `/api/v1`; ' +
    'the unversioned legacy paths are kept for existing clients and marked deprecated, each naming ' +
    'its `/api/v1` replacement. Errors are RFC 9457 problem details (`application/problem+json`). ' +
    'Authenticate with the `auth_token` cookie set by login, or send its `token` as ' +
    '`Authorization: Bearer <token>`; scripts can use an API key (`POST /api/v1/user/keys`) the same way.',
};

/** Descriptions of the operation groups; a tag used by a route but missing here still appears. */
const TAG_DESCRIPTIONS: Record<string, string> = {
  Users: 'Accounts and sessions: register, log in (cookie and bearer token), log out, current user.',
  Images: 'Upload, fetch, list and delete your images.',
  Uploads:
    'Resumable uploads of large files: declare the file, send its parts (each to its own URL, in any order, again ' +
    'if cut off), then complete it into an image.',
  Tags: 'Tags of your images.',
  'Share links':
    'Links that fetch one image, or one variant of it, without credentials until they expire or are revoked.',
  'API keys':
    'Revocable keys for scripts and generated clients: scope `read` or `read-write`, optional expiry. Manage them with a login.',
  Usage: 'What you store, your quotas, and your requests and bytes per UTC day.',
  Admin:
    'For operators (users granted the right by an operator action: `npm run operator -- grant <email>`, or the ' +
    'equivalent SQL on D1): every user’s usage, one user’s series, per-user quotas. Others get 403.',
  Health: 'For load balancers and monitors: is this instance able to serve?',
  Docs: 'This document, the interactive documentation, and the index at `/` that links them.',
};
const LEGACY_TAG = /^Legacy: /;
const LEGACY_TAG_DESCRIPTION =
  'Deprecated paths kept unchanged for clients of the original service. Each operation names its `/api/v1` replacement.';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const UNSAFE = new Set(['put', 'post', 'delete', 'patch']);

interface Operation {
  tags?: string[];
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
  requestBody?: { required?: boolean; content?: Record<string, unknown> };
}

function* operations(doc: OpenApiDocument): Generator<[path: string, method: string, op: Operation]> {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (op) yield [path, method, op];
    }
  }
}

/** See `jsonOrFormBody`: those bodies are required in behaviour, so the document says so. */
export function markJsonOrFormBodiesRequired(doc: OpenApiDocument): OpenApiDocument {
  for (const [, , op] of operations(doc)) {
    const body = op.requestBody;
    const types = Object.keys(body?.content ?? {});
    if (body && types.includes('application/json') && types.includes('application/x-www-form-urlencoded')) {
      body.required = true;
    }
  }
  return doc;
}

/**
 * Responses that come from app-wide middleware rather than from a route, so a route definition
 * cannot know them: the cross-site check (403, unsafe methods under /api/) and `onError` (500).
 * Added only where the route did not document the status itself.
 */
export function addAppWideResponses(doc: OpenApiDocument): OpenApiDocument {
  // `mountDocs` registers the problem schema as the `Problem` component, so a reference resolves.
  const problem = (description: string) => ({
    description,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  });
  const crossSite = problem(
    'Cross-site request refused: a browser sent it from an origin that is not allowed (see CORS_ORIGINS)',
  );
  // Services refuse a read-only key's writes (checkSession), so every write that accepts keys can.
  const refused = problem(
    'A `read` API key cannot change anything; or a browser sent this cross-site from an origin that is not allowed (see CORS_ORIGINS)',
  );
  const unexpected = problem('Unexpected error; the body quotes the request id');
  for (const [path, method, op] of operations(doc)) {
    op.responses ??= {};
    const keys = op.security?.some((s) => 'apiKeyAuth' in s) ?? false;
    if (UNSAFE.has(method) && path.startsWith('/api/') && !op.responses['403']) {
      op.responses['403'] = keys ? refused : crossSite;
    }
    if (!op.responses['500']) op.responses['500'] = unexpected;
  }
  return doc;
}

/** Declares every tag the operations use, current ones first, each with a description. */
export function declareTags(doc: OpenApiDocument): OpenApiDocument {
  const used = new Set<string>();
  for (const [, , op] of operations(doc)) for (const tag of op.tags ?? []) used.add(tag);
  // Current groups in the order of TAG_DESCRIPTIONS, then unknown ones, then each legacy group
  // in the order of its current counterpart, then the docs.
  const known = Object.keys(TAG_DESCRIPTIONS).filter((t) => t !== 'Docs');
  const current = (tag: string) => {
    const name = tag.replace(LEGACY_TAG, '').toLowerCase();
    const at = known.findIndex((k) => k.toLowerCase() === name);
    return at < 0 ? known.length : at;
  };
  const rank = (tag: string) =>
    tag === 'Docs'
      ? 3000
      : LEGACY_TAG.test(tag)
        ? 2000 + current(tag)
        : 1000 * Number(current(tag) === known.length) + current(tag);
  doc.tags = [...used]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((name) => {
      const description = TAG_DESCRIPTIONS[name] ?? (LEGACY_TAG.test(name) ? LEGACY_TAG_DESCRIPTION : undefined);
      return description ? { name, description } : { name };
    });
  return doc;
}

/** The published document: what the routes declare, plus what only the app as a whole knows. */
export function buildDocument(app: OpenAPIHono<AppEnv>): OpenApiDocument {
  const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info, servers: [{ url: '/' }] });
  return declareTags(addAppWideResponses(markJsonOrFormBodiesRequired(doc)));
}
