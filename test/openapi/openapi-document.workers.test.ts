import { beforeAll, describe, expect, it } from 'vitest';
import { createApp, type GivenDeps } from '../../src/app';
import { parseConfig } from '../../src/config';
import { DOCS_ASSET_PREFIX } from '../../src/routes/docs';
import committedText from '../generated/openapi.json?raw';
import type { OpenApiDoc } from '../support/openapi-contract';
import { workersTarget } from '../support/workers/target';

// What the document promises, checked against what the app serves: every route is documented
// and every documented operation exists, and each operation carries what clients and the docs
// page need. Lint rules live in redocly.yaml; these are the project's own rules on top.

type Operation = {
  operationId?: string;
  tags?: string[];
  summary?: string;
  description?: string;
  deprecated?: boolean;
  security?: Record<string, string[]>[];
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const PROBLEM_REF = '#/components/schemas/Problem';

let doc: OpenApiDoc & { tags?: { name: string; description?: string }[] };
let operations: { method: string; path: string; op: Operation }[];

beforeAll(async () => {
  const res = await workersTarget.fetch('/api/openapi.json');
  expect(res.status).toBe(200);
  doc = (await res.json()) as typeof doc;
  operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op: op as Operation })),
  );
});

const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;
/** The document, the docs pages and the index at `/` that links them: open to anyone, no client error. */
const isDocs = (path: string) => path === '/' || path === '/api/openapi.json' || /^(\/api)?\/apidoc\//.test(path);
/** For load balancers: unauthenticated, and no client error to report. */
const isHealth = (path: string) => path === '/healthz';
const isLegacy = (path: string) => path.startsWith('/api/') && !path.startsWith('/api/v1/') && !isDocs(path);

/** Hono's `:id` and `:id{[0-9]+}` are OpenAPI's `{id}`. */
const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');

function servedRoutes(): Set<string> {
  const stub = new Proxy({}, { get: () => expect.fail('listing routes must not touch deps') });
  const deps: GivenDeps = {
    db: stub as GivenDeps['db'],
    store: stub as GivenDeps['store'],
    transformer: stub as GivenDeps['transformer'],
    config: parseConfig({}),
    clock: () => new Date(),
    logger: console,
    clientAddress: () => undefined,
  };
  const served = new Set<string>();
  for (const r of createApp(deps).routes) {
    // `app.use` middleware is registered for ALL methods; route-level middleware repeats a
    // route's own method and path, which the Set folds together.
    if (r.method === 'ALL') continue;
    if (r.path.startsWith(DOCS_ASSET_PREFIX)) continue; // static files, not API operations
    // Pages for people and their files (src/routes/web), kept out of the document on purpose.
    if (/^\/(app|s)(\/|$)/.test(r.path)) continue;
    served.add(key(r.method, openApiPath(r.path)));
  }
  return served;
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and is the committed test/generated/openapi.json', () => {
    expect(doc.openapi).toBe('3.1.0');
    // The Node-side generator and the worker must agree: the generated client is built from it.
    expect(doc, 'run `npm run generate:openapi`').toEqual(JSON.parse(committedText));
  });

  it('documents every route the app serves, and nothing it does not serve', () => {
    const served = servedRoutes();
    const documented = new Set(operations.map((o) => key(o.method, o.path)));
    expect(served.size).toBeGreaterThan(10);
    expect(
      [...served].filter((r) => !documented.has(r)),
      'served but not documented',
    ).toEqual([]);
    expect(
      [...documented].filter((r) => !served.has(r)),
      'documented but not served',
    ).toEqual([]);
  });

  it('gives every operation a unique operationId, one declared tag and a summary', () => {
    const declared = new Set((doc.tags ?? []).map((t) => t.name));
    const ids = operations.map((o) => o.op.operationId);
    expect(ids.filter((id) => !id)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { method, path, op } of operations) {
      const where = key(method, path);
      expect(op.tags, where).toHaveLength(1);
      expect(declared.has(op.tags?.[0] ?? ''), `${where}: tag ${op.tags?.[0]} is declared`).toBe(true);
      expect(op.summary?.trim(), `${where}: summary`).toBeTruthy();
    }
    for (const tag of doc.tags ?? []) expect(tag.description, `tag ${tag.name}`).toBeTruthy();
  });

  it('declares security on every operation: none, a login (cookie or bearer token), or a login or an API key', () => {
    const login = [{ cookieAuth: [] }, { bearerAuth: [] }];
    const loginOrKey = [...login, { apiKeyAuth: [] }];
    // What a leaked key must not reach: managing keys, ending sessions, changing or deleting the account.
    const loginOnly =
      /^(POST \/api(\/v1)?\/user\/logout|(GET|POST) \/api\/v1\/user\/keys|DELETE \/api\/v1\/user\/keys\/\{id\}|POST \/api\/v1\/user\/(password|email)|DELETE \/api\/v1\/user)$/;
    for (const { method, path, op } of operations) {
      const where = key(method, path);
      expect(op.security, `${where}: security is explicit`).toBeDefined();
      if (op.security?.length === 0) continue;
      expect(op.security, where).toEqual(loginOnly.test(where) ? login : loginOrKey);
      if (loginOnly.test(where)) expect(Object.keys(op.responses ?? {}), `${where}: documents 403`).toContain('403');
      expect(Object.keys(op.responses ?? {}), `${where}: documents 401`).toContain('401');
    }
    // Only these may be used without logging in (registering and logging in, as on the original service),
    // plus the share-link fetch (the link is the credential) and an upload session's part (its
    // URL's token opens that one part only).
    const open = operations.filter((o) => o.op.security?.length === 0).map((o) => key(o.method, o.path));
    const openPath = (o: string) => o.split(' ')[1] ?? '';
    const allowed = (o: string) =>
      /\/user\/(register|login)$/.test(o) ||
      o === 'GET /api/v1/shared/{token}' ||
      o === 'PUT /api/v1/uploads/{id}/parts/{n}' ||
      isDocs(openPath(o)) ||
      isHealth(openPath(o));
    expect(open.filter((o) => !allowed(o))).toEqual([]);
  });

  it('answers every error with the shared problem schema', () => {
    for (const { method, path, op } of operations) {
      const statuses = Object.keys(op.responses ?? {});
      if (!isDocs(path) && !isHealth(path))
        expect(
          statuses.some((s) => s.startsWith('4')),
          `${key(method, path)}: a 4xx`,
        ).toBe(true);
      for (const status of statuses.filter((s) => /^[45]/.test(s))) {
        const content = op.responses?.[status]?.content ?? {};
        expect(Object.keys(content), `${key(method, path)} ${status}`).toEqual(['application/problem+json']);
        expect(content['application/problem+json']?.schema?.$ref, `${key(method, path)} ${status}`).toBe(PROBLEM_REF);
      }
    }
  });

  it('marks legacy paths deprecated, each naming an existing /api/v1 replacement', () => {
    const documented = new Set(operations.map((o) => key(o.method, o.path)));
    const legacy = operations.filter((o) => isLegacy(o.path));
    expect(legacy.length).toBeGreaterThan(0);
    for (const { method, path, op } of legacy) {
      const where = key(method, path);
      expect(op.deprecated, `${where} is deprecated`).toBe(true);
      const named = /`((?:GET|PUT|POST|DELETE|PATCH) \/api\/v1\/[^`]*)`/.exec(op.description ?? '')?.[1];
      expect(named, `${where}: description names its replacement as \`METHOD /api/v1/...\``).toBeDefined();
      expect(documented.has(named ?? ''), `${where} → ${named} exists`).toBe(true);
    }
    for (const { method, path, op } of operations.filter((o) => o.path.startsWith('/api/v1/'))) {
      expect(op.deprecated, `${key(method, path)} is current`).toBeUndefined();
    }
  });
});
