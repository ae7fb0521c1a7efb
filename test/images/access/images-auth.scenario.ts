import { beforeAll, describe, expect, it } from 'vitest';
import { expectChallenge } from '../../support/auth-routes';
import { bearer, json, newUser, type TestUser, withCookie } from '../../support/client';
import { callIdRoute, getJson, ID_ROUTES, legacyIds, v1Ids } from '../../support/image-api';
import { png } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import type { Target } from '../../support/target';
import { imagePart, multipart, tagsPart, type UploadedV1, upload } from '../../support/upload';

/** Routes that address no single image. */
interface CollectionRoute {
  label: string;
  method: string;
  path: string;
  init?: (bytes: Uint8Array) => RequestInit;
}

const uploadBody = (bytes: Uint8Array): RequestInit => {
  const { body, contentType } = multipart([imagePart(bytes, { filename: 'x.png' }), tagsPart(['late'])]);
  return { body, headers: { 'content-type': contentType } };
};

const COLLECTION_ROUTES: CollectionRoute[] = [
  { label: 'POST /api/images', method: 'POST', path: '/api/images', init: uploadBody },
  { label: 'GET /api/images', method: 'GET', path: '/api/images' },
  { label: 'POST /api/v1/images', method: 'POST', path: '/api/v1/images', init: uploadBody },
  { label: 'GET /api/v1/images', method: 'GET', path: '/api/v1/images' },
  { label: 'GET /api/v1/tags', method: 'GET', path: '/api/v1/tags' },
];

function callCollection(target: Target, route: CollectionRoute, bytes: Uint8Array, headers: Record<string, string>) {
  const init = route.init?.(bytes) ?? {};
  return target.fetch(route.path, {
    ...init,
    method: route.method,
    headers: { ...(init.headers as Record<string, string> | undefined), ...headers },
  });
}

const imagesAuth: Scenario = (target) => {
  let owner: TestUser;
  let bytes: Uint8Array<ArrayBuffer>;
  let image: UploadedV1;

  beforeAll(async () => {
    owner = await newUser(target(), 'auth-owner');
    bytes = await png(6, 6);
    image = await upload(target(), owner, bytes, { tags: ['cat'] });
  });

  describe('without credentials', () => {
    it.each(ID_ROUTES.map((r) => [r.label, r] as const))('%s answers 401', async (label, route) => {
      await expectChallenge(await callIdRoute(target(), route, image.id, {}), label);
    });

    it.each(COLLECTION_ROUTES.map((r) => [r.label, r] as const))('%s answers 401', async (label, route) => {
      await expectChallenge(await callCollection(target(), route, bytes, {}), label);
    });

    it('answers 401 to a garbage bearer token and a garbage cookie', async () => {
      const tries: Record<string, string>[] = [
        { authorization: 'Bearer not-a-token' },
        { cookie: 'auth_token=not-a-token' },
      ];
      for (const headers of tries) {
        await expectChallenge(await target().fetch(`/api/image/${image.id}`, { headers }), JSON.stringify(headers));
        await expectChallenge(await target().fetch('/api/v1/images', { headers }), JSON.stringify(headers));
      }
    });

    it('stored nothing and changed nothing on the way', async () => {
      expect(await v1Ids(target(), owner)).toEqual([image.id]);
      expect(await getJson<string[]>(target(), owner, `/api/${image.id}/tags`)).toEqual(['cat']);
    });
  });

  describe('after logout', () => {
    let gone: TestUser;
    let kept: UploadedV1;

    beforeAll(async () => {
      gone = await newUser(target(), 'auth-logout');
      kept = await upload(target(), gone, bytes, { tags: ['before-logout'] });
      const out = await target().fetch('/api/v1/user/logout', { method: 'POST', headers: bearer(gone) });
      expect(out.status).toBeLessThan(300);
    });

    const credentials = [
      ['old bearer token', (u: TestUser) => bearer(u)],
      ['old cookie', (u: TestUser) => withCookie(u)],
    ] as const;

    describe.each(credentials)('with the %s', (_, send) => {
      it.each(ID_ROUTES.map((r) => [r.label, r] as const))('%s answers 401', async (label, route) => {
        await expectChallenge(await callIdRoute(target(), route, kept.id, send(gone)), label);
      });

      it.each(COLLECTION_ROUTES.map((r) => [r.label, r] as const))('%s answers 401', async (label, route) => {
        await expectChallenge(await callCollection(target(), route, bytes, send(gone)), label);
      });
    });

    it('changed nothing while refusing: the image, its tags and bytes are there after logging in again', async () => {
      const login = await target().fetch('/api/v1/user/login', json({ email: gone.email, password: gone.password }));
      expect(login.status).toBe(200);
      const fresh = { ...gone, token: ((await login.json()) as { token: string }).token };
      expect(await v1Ids(target(), fresh)).toEqual([kept.id]);
      expect(await legacyIds(target(), fresh)).toEqual([kept.id]);
      expect(await getJson<string[]>(target(), fresh, `/api/${kept.id}/tags`)).toEqual(['before-logout']);
      const file = await target().fetch(`/api/image/${kept.id}`, { headers: bearer(fresh) });
      expect(file.status).toBe(200);
      expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
      // The token issued before logout stays revoked after the new login.
      await expectChallenge(await target().fetch(`/api/image/${kept.id}`, { headers: bearer(gone) }), 'old token');
    });
  });
};

export default imagesAuth;
