import { expect } from 'vitest';
import type { components } from '../generated/api';
import { bearer, json, type TestUser } from './client';
import type { Target } from './target';
import { type UploadedV1, type UploadOptions, uploadRaw } from './upload';

/** The legacy upload answer (`POST /api/images`), as the OpenAPI document describes it. */
export type UploadedLegacy = components['schemas']['LegacyImage'];

/** Uploads through the legacy path and fails loudly unless it was stored. */
export async function legacyUpload(target: Target, user: TestUser, bytes: Uint8Array, o: UploadOptions = {}) {
  const res = await uploadRaw(target, user, bytes, { ...o, path: '/api/images' });
  if (res.status !== 201) throw new Error(`legacy upload failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as UploadedLegacy;
}

export const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());

export async function getJson<T>(target: Target, user: TestUser, path: string): Promise<T> {
  const res = await target.fetch(path, { headers: bearer(user) });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface V1Page {
  items: UploadedV1[];
  next_cursor: string | null;
}

/** Ids of one v1 list page (`query` without the leading `?`). */
export async function v1Ids(target: Target, user: TestUser, query = ''): Promise<number[]> {
  const page = await getJson<V1Page>(target, user, `/api/v1/images${query ? `?${query}` : ''}`);
  return page.items.map((i) => i.id);
}

/** Ids of the legacy list (a bare array). */
export async function legacyIds(target: Target, user: TestUser, query = ''): Promise<number[]> {
  const list = await getJson<UploadedLegacy[]>(target, user, `/api/images${query ? `?${query}` : ''}`);
  expect(Array.isArray(list)).toBe(true);
  return list.map((i) => i.img_id);
}

/** A route that addresses one image by id, with whatever body it needs. */
export interface IdRoute {
  label: string;
  surface: 'legacy' | 'v1';
  /** The path parameter a bad id must be reported under. */
  param: 'img_id' | 'id';
  method: string;
  path: (id: string | number) => string;
  /** Extra request parts (a body) besides the credentials. */
  init?: () => RequestInit;
}

const putTags = (): RequestInit => json({ tags: ['intruder'] }, { method: 'PUT' });

/** Every route that takes an image id, legacy and v1. */
export const ID_ROUTES: IdRoute[] = [
  {
    label: 'GET /api/image/{img_id}',
    surface: 'legacy',
    param: 'img_id',
    method: 'GET',
    path: (id) => `/api/image/${id}`,
  },
  {
    label: 'DELETE /api/image/{img_id}',
    surface: 'legacy',
    param: 'img_id',
    method: 'DELETE',
    path: (id) => `/api/image/${id}`,
  },
  {
    label: 'GET /api/{img_id}/tags',
    surface: 'legacy',
    param: 'img_id',
    method: 'GET',
    path: (id) => `/api/${id}/tags`,
  },
  {
    label: 'PUT /api/{img_id}/tags',
    surface: 'legacy',
    param: 'img_id',
    method: 'PUT',
    path: (id) => `/api/${id}/tags`,
    init: putTags,
  },
  {
    label: 'DELETE /api/{img_id}/tags',
    surface: 'legacy',
    param: 'img_id',
    method: 'DELETE',
    path: (id) => `/api/${id}/tags`,
  },
  {
    label: 'POST /api/{img_id}/tags/{tag}',
    surface: 'legacy',
    param: 'img_id',
    method: 'POST',
    path: (id) => `/api/${id}/tags/intruder`,
  },
  {
    label: 'DELETE /api/{img_id}/tags/{tag}',
    surface: 'legacy',
    param: 'img_id',
    method: 'DELETE',
    path: (id) => `/api/${id}/tags/cat`,
  },
  { label: 'GET /api/v1/images/{id}', surface: 'v1', param: 'id', method: 'GET', path: (id) => `/api/v1/images/${id}` },
  {
    label: 'DELETE /api/v1/images/{id}',
    surface: 'v1',
    param: 'id',
    method: 'DELETE',
    path: (id) => `/api/v1/images/${id}`,
  },
  {
    label: 'GET /api/v1/images/{id}/file',
    surface: 'v1',
    param: 'id',
    method: 'GET',
    path: (id) => `/api/v1/images/${id}/file`,
  },
  {
    label: 'GET /api/v1/images/{id}/tags',
    surface: 'v1',
    param: 'id',
    method: 'GET',
    path: (id) => `/api/v1/images/${id}/tags`,
  },
  {
    label: 'PUT /api/v1/images/{id}/tags',
    surface: 'v1',
    param: 'id',
    method: 'PUT',
    path: (id) => `/api/v1/images/${id}/tags`,
    init: putTags,
  },
  {
    label: 'DELETE /api/v1/images/{id}/tags',
    surface: 'v1',
    param: 'id',
    method: 'DELETE',
    path: (id) => `/api/v1/images/${id}/tags`,
  },
  {
    label: 'POST /api/v1/images/{id}/tags/{tag}',
    surface: 'v1',
    param: 'id',
    method: 'POST',
    path: (id) => `/api/v1/images/${id}/tags/intruder`,
  },
  {
    label: 'DELETE /api/v1/images/{id}/tags/{tag}',
    surface: 'v1',
    param: 'id',
    method: 'DELETE',
    path: (id) => `/api/v1/images/${id}/tags/cat`,
  },
];

/** Calls an id route with the given credential headers. */
export function callIdRoute(target: Target, route: IdRoute, id: string | number, headers: Record<string, string>) {
  const init = route.init?.() ?? {};
  return target.fetch(route.path(id), {
    ...init,
    method: route.method,
    headers: { ...(init.headers as Record<string, string> | undefined), ...headers },
  });
}

/** An id no image will have during a test run. */
export const MISSING_ID = 9_007_199_254_740;

/**
 * Index of the first byte where `a` and `b` differ (the shorter length if one is a prefix), or
 * -1 when equal. Deep-equality matchers walk a typed array element by element as object keys,
 * which exhausts the Workers test isolate's memory on a 10 MB file.
 */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
