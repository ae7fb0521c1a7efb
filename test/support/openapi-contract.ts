import type { ErrorObject, ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { DOCS_ASSET_PREFIX } from '../../src/http/docs-assets';
import type { Target } from './target';

/**
 * Checks real responses against the published OpenAPI document: the status must be documented
 * for the operation, the media type must be one it lists, a JSON body must match its schema,
 * required headers must be present, and a response documented without content must have no
 * body. Objects may not carry properties the document does not name (see `strictObjects`).
 *
 * Runtime-neutral: any `Target` can be wrapped with `withContract`.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

interface MediaType {
  schema?: Schema;
}
interface ResponseSpec {
  description?: string;
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, MediaType>;
}
interface OperationSpec {
  operationId?: string;
  responses?: Record<string, ResponseSpec | { $ref: string }>;
}
export interface OpenApiDoc {
  openapi: string;
  paths?: Record<string, Record<string, OperationSpec>>;
  components?: { schemas?: Record<string, Schema>; responses?: Record<string, ResponseSpec> };
}

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const BASE = 'https://contract.imageapi.test/';
const COMPONENTS_ID = `${BASE}components.json`;
const PROBLEM_TYPE = 'application/problem+json';
const isJsonType = (type: string) => type === 'application/json' || type.endsWith('+json');

interface Route {
  template: string;
  regex: RegExp;
  /** More literal segments win: `/api/v1/tags` beats `/api/{img_id}/tags`. */
  literals: number;
  operations: Map<string, OperationSpec>;
}

function compileRoutes(doc: OpenApiDoc): Route[] {
  return Object.entries(doc.paths ?? {})
    .map(([template, item]) => {
      const segments = template.split('/');
      const pattern = segments
        .map((s) => (/^\{[^}]+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
        .join('/');
      const operations = new Map<string, OperationSpec>();
      for (const m of METHODS) if (item[m]) operations.set(m, item[m]);
      return {
        template,
        regex: new RegExp(`^${pattern}$`),
        literals: segments.filter((s) => s && !s.startsWith('{')).length,
        operations,
      };
    })
    .sort((a, b) => b.literals - a.literals);
}

/** Rewrites `#/components/schemas/X` so component schemas resolve from their own ajv resource. */
function rewriteRefs<T extends Json>(node: T): T {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n)) as T;
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] =
      k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
        ? `${COMPONENTS_ID}#/$defs/${v.slice('#/components/schemas/'.length)}`
        : rewriteRefs(v);
  }
  return out as T;
}

const COMPOSITIONS = ['allOf', 'anyOf', 'oneOf'] as const;
/** Keywords whose values are data, not schemas: never rewritten. */
const VALUES = new Set(['example', 'examples', 'enum', 'const', 'default']);
const isObjectSchema = (s: Schema) =>
  s.type === 'object' || (s.properties !== undefined && typeof s.properties === 'object');

/** Component names used directly as members of allOf/anyOf/oneOf: those must stay open. */
function compositionMembers(node: Json, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) compositionMembers(n, found);
  else if (node && typeof node === 'object') {
    for (const key of COMPOSITIONS) {
      const members = node[key];
      if (!Array.isArray(members)) continue;
      for (const m of members) {
        const ref = m && typeof m === 'object' && !Array.isArray(m) ? m.$ref : undefined;
        if (typeof ref === 'string') found.add(ref.replace(/^.*\//, ''));
      }
    }
    for (const v of Object.values(node)) compositionMembers(v, found);
  }
  return found;
}

/**
 * The document does not say `additionalProperties: false`, but a response property it does
 * not name is either a leak (a row field mapped by mistake) or a gap in the contract that
 * generated clients cannot see. Objects that say nothing about extra properties are closed
 * here with `unevaluatedProperties: false`, which also works across allOf/anyOf/oneOf; direct
 * members of a composition are left open so their siblings' properties still count.
 */
function strictObjects(node: Json, inComposition = false): Json {
  if (Array.isArray(node)) return node.map((n) => strictObjects(n, inComposition));
  if (node === null || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (VALUES.has(k)) {
      out[k] = v;
    } else if ((COMPOSITIONS as readonly string[]).includes(k) && Array.isArray(v)) {
      out[k] = v.map((member) => strictObjects(member, true));
    } else if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, strictObjects(s)]));
    } else {
      out[k] = strictObjects(v);
    }
  }
  const hasComposition = COMPOSITIONS.some((k) => Array.isArray(out[k]));
  const open =
    'additionalProperties' in out || 'unevaluatedProperties' in out || 'patternProperties' in out || inComposition;
  if (!open && (isObjectSchema(out) || hasComposition)) {
    out.unevaluatedProperties = false;
  }
  return out;
}

function newAjv(doc: OpenApiDoc) {
  // OpenAPI 3.1 schemas are JSON Schema 2020-12, plus a few annotation keywords of its own.
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
  // OpenAPI's own formats: `binary` marks file parts and bodies, `password` is a UI hint.
  ajv.addFormat('binary', true);
  ajv.addFormat('password', true);
  const open = compositionMembers(doc as unknown as Json);
  const components = Object.fromEntries(
    Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => [
      name,
      rewriteRefs(open.has(name) ? schema : (strictObjects(schema) as Schema)),
    ]),
  );
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: components });
  return ajv;
}

function resolveResponse(doc: OpenApiDoc, spec: ResponseSpec | { $ref: string }): ResponseSpec {
  if ('$ref' in spec) {
    const name = spec.$ref.replace('#/components/responses/', '');
    const found = doc.components?.responses?.[name];
    if (!found) throw new ContractViolation(`unresolvable response reference ${spec.$ref}`);
    return found;
  }
  return spec;
}

const formatErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? [])
    .map((e) => `  ${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    .join('\n');

const mediaMatches = (documented: string, actual: string) => {
  if (documented === '*/*' || documented === actual) return true;
  return documented.endsWith('/*') && actual.startsWith(documented.slice(0, -1));
};

export interface CheckedExchange {
  method: string;
  /** Path with query, as requested. */
  url: string;
  response: Response;
}

export class Contract {
  private readonly routes: Route[];
  private readonly ajv: ReturnType<typeof newAjv>;
  private readonly validators = new Map<string, ValidateFunction>();
  /** `operationId status` of every response checked, for coverage reports. */
  readonly seen = new Set<string>();

  constructor(readonly doc: OpenApiDoc) {
    this.routes = compileRoutes(doc);
    this.ajv = newAjv(doc);
  }

  private validator(key: string, schema: Schema): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      v = this.ajv.compile(rewriteRefs(strictObjects(schema) as Schema));
      this.validators.set(key, v);
    }
    return v;
  }

  /** Throws a ContractViolation describing every way the response departs from the document. */
  async check({ method, url, response }: CheckedExchange): Promise<void> {
    const m = method.toLowerCase();
    const path = new URL(url, BASE).pathname;
    const where = `${method.toUpperCase()} ${url} → ${response.status}`;
    const route = this.routes.find((r) => r.regex.test(path));
    const op = route?.operations.get(m) ?? (m === 'head' ? route?.operations.get('get') : undefined);

    if (!route || !op) {
      // CORS preflights are answered by middleware for any path.
      if (m === 'options') return;
      // Not an operation: the app must answer with the 404/405 problem and nothing else.
      const expected = route ? 405 : 404;
      if (response.status !== expected) {
        throw new ContractViolation(
          `${where}: ${route ? `${method.toUpperCase()} is not documented for ${route.template}` : 'the path is not in the document'}, so only a ${expected} problem may answer`,
        );
      }
      if (m !== 'head')
        await this.checkBody(where, 'Problem', { $ref: '#/components/schemas/Problem' }, response, PROBLEM_TYPE);
      return;
    }

    const name = op.operationId ?? `${m} ${route.template}`;
    const status = String(response.status);
    const raw = op.responses?.[status] ?? op.responses?.[`${status[0]}XX`] ?? op.responses?.default;
    if (!raw) {
      const documented = Object.keys(op.responses ?? {}).join(', ');
      throw new ContractViolation(
        `${where}: status ${status} is not documented for ${name} (documented: ${documented})`,
      );
    }
    this.seen.add(`${name} ${status}`);
    const spec = resolveResponse(this.doc, raw);

    const missing = Object.entries(spec.headers ?? {})
      .filter(([header, h]) => h.required && !response.headers.has(header))
      .map(([header]) => header);
    if (missing.length) throw new ContractViolation(`${where}: required header(s) missing: ${missing.join(', ')}`);

    const content = spec.content ?? {};
    const bodyless = m === 'head' || response.status === 204 || response.status === 304;
    if (bodyless || Object.keys(content).length === 0) {
      const text = response.body ? await response.text() : '';
      if (text.length > 0) {
        throw new ContractViolation(`${where}: ${name} documents no body for ${status}, got: ${text.slice(0, 300)}`);
      }
      return;
    }

    const actual = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const mediaType = Object.keys(content).find((documented) => mediaMatches(documented.toLowerCase(), actual));
    if (!mediaType) {
      throw new ContractViolation(
        `${where}: content type "${actual}" is not documented for ${name} ${status} (documented: ${Object.keys(content).join(', ')})`,
      );
    }
    const schema = content[mediaType]?.schema;
    if (schema && isJsonType(actual))
      await this.checkBody(where, `${name} ${status} ${mediaType}`, schema, response, actual);
  }

  private async checkBody(where: string, key: string, schema: Schema, response: Response, type: string) {
    const actual = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (actual !== type) throw new ContractViolation(`${where}: expected ${type}, got content type "${actual}"`);
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ContractViolation(`${where}: the body is not JSON: ${text.slice(0, 300)}`);
    }
    const validate = this.validator(key, schema);
    if (!validate(body)) {
      throw new ContractViolation(
        `${where}: the body does not match the documented schema (${key}):\n${formatErrors(validate.errors)}\nbody: ${text.slice(0, 500)}`,
      );
    }
  }
}

/**
 * A target whose every response is checked against the document the target itself serves.
 * A violation rejects the `fetch`, so the test that received the response fails with it.
 */
export function withContract(
  target: Target,
  documentPath = '/api/openapi.json',
  /**
   * Paths that are files or pages rather than operations: Swagger UI's assets on Node and Bun,
   * the web app's page and files, and a share link's public page (src/routes/web).
   */
  unchecked: (path: string) => boolean = (path) => {
    const pathname = new URL(path, BASE).pathname;
    return pathname.startsWith(`${DOCS_ASSET_PREFIX}/`) || /^\/(app|s)(\/|$)/.test(pathname);
  },
): Target & { contract(): Promise<Contract> } {
  let contract: Promise<Contract> | undefined;
  const load = () => {
    contract ??= target.fetch(documentPath).then(async (res) => {
      if (res.status !== 200) throw new Error(`${documentPath} answered ${res.status}`);
      return new Contract((await res.json()) as OpenApiDoc);
    });
    return contract;
  };
  return checked(target, load, unchecked);
}

/** `target` with every response checked against the contract `load` gives; shared by its other addresses. */
function checked(
  target: Target,
  load: () => Promise<Contract>,
  unchecked: (path: string) => boolean,
): Target & { contract(): Promise<Contract> } {
  const from = target.fromNewAddress?.bind(target);
  return {
    name: target.name,
    contract: load,
    ...(target.authSecret ? { authSecret: target.authSecret } : {}),
    ...(target.storedKeys ? { storedKeys: target.storedKeys } : {}),
    ...(target.setOperator ? { setOperator: target.setOperator } : {}),
    ...(from ? { fromNewAddress: () => checked(from(), load, unchecked) } : {}),
    async fetch(path, init) {
      const response = await target.fetch(path, init);
      if (unchecked(path)) return response;
      const copy = response.clone();
      try {
        await (await load()).check({ method: init?.method ?? 'GET', url: path, response: copy });
      } finally {
        // Bodies the check did not read (image bytes) must not stay buffered in the tee. Not
        // awaited: by the streams spec, cancelling one branch of a tee settles only once the
        // other branch is cancelled or read to the end (Node's fetch follows it to the letter).
        if (!copy.bodyUsed) copy.body?.cancel().catch(() => {});
      }
      return response;
    },
  };
}
