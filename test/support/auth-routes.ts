import { expect } from 'vitest';
import { json, problem } from './client';
import type { Target } from './target';
import { multipart } from './upload';

/** An authenticated route; id routes take the image they address. */
export interface AuthRoute {
  label: string;
  method: string;
  path: (imageId: number) => string;
  init?: () => RequestInit;
}

const uploadInit = (): RequestInit => {
  const { body, contentType } = multipart([
    { name: 'image', value: new Uint8Array([0x89, 0x50, 0x4e, 0x47]), filename: 'x.png', contentType: 'image/png' },
  ]);
  return { body, headers: { 'content-type': contentType } };
};

/** One or two of each kind: current user, logout, lists, upload, image bytes and metadata, tag edits. */
export const AUTH_ROUTES: AuthRoute[] = [
  { label: 'GET /api/v1/user', method: 'GET', path: () => '/api/v1/user' },
  { label: 'GET /api/user', method: 'GET', path: () => '/api/user' },
  { label: 'POST /api/v1/user/logout', method: 'POST', path: () => '/api/v1/user/logout' },
  { label: 'POST /api/user/logout', method: 'POST', path: () => '/api/user/logout' },
  { label: 'GET /api/v1/images', method: 'GET', path: () => '/api/v1/images' },
  { label: 'GET /api/images', method: 'GET', path: () => '/api/images' },
  { label: 'POST /api/v1/images', method: 'POST', path: () => '/api/v1/images', init: uploadInit },
  { label: 'GET /api/v1/tags', method: 'GET', path: () => '/api/v1/tags' },
  { label: 'GET /api/v1/images/{id}', method: 'GET', path: (id) => `/api/v1/images/${id}` },
  { label: 'GET /api/image/{img_id}', method: 'GET', path: (id) => `/api/image/${id}` },
  { label: 'DELETE /api/v1/images/{id}', method: 'DELETE', path: (id) => `/api/v1/images/${id}` },
  {
    label: 'PUT /api/{img_id}/tags',
    method: 'PUT',
    path: (id) => `/api/${id}/tags`,
    init: () => json({ tags: ['intruder'] }, { method: 'PUT' }),
  },
  { label: 'POST /api/v1/images/{id}/tags/{tag}', method: 'POST', path: (id) => `/api/v1/images/${id}/tags/intruder` },
];

export function callAuthRoute(target: Target, route: AuthRoute, imageId: number, headers: Record<string, string>) {
  const init = route.init?.() ?? {};
  return target.fetch(route.path(imageId), {
    ...init,
    method: route.method,
    headers: { ...(init.headers as Record<string, string> | undefined), ...headers },
  });
}

/** A 401 problem with the Bearer challenge. */
export async function expectChallenge(res: Response, label?: string) {
  expect(res.status, label).toBe(401);
  expect(res.headers.get('www-authenticate'), label).toMatch(/^Bearer\b/);
  const body = await problem(res);
  expect(body, label).toMatchObject({ status: 401, title: 'Unauthorized' });
}
