import createClient, { type Client } from 'openapi-fetch';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { sniffImage } from '../../src/formats/sniff';
import type { components, paths } from '../generated/api';
import { uniqueEmail } from '../support/client';
import { gif, png, sha256Hex } from '../support/images';
import { contractTarget } from '../support/workers/target';

// A client generated from the document (test/generated/api.d.ts, kept fresh by
// test/openapi/generated-files.node.test.ts) drives the API the way an outside developer would. Every
// response also passes the contract check of `contractTarget`. `npm run typecheck` compiles
// this file, so a contract change that breaks clients breaks here first.

type Schemas = components['schemas'];
type Api = Client<paths>;

/** openapi-fetch speaks `Request`; the in-process target takes a path and init. */
function apiClient(token?: string): Api {
  return createClient<paths>({
    baseUrl: 'http://localhost:8000',
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    fetch: async (req) => {
      const url = new URL(req.url);
      const body = req.body ? await req.arrayBuffer() : undefined;
      return contractTarget.fetch(url.pathname + url.search, { method: req.method, headers: req.headers, body });
    },
  });
}

/** Multipart for uploads: the generated type says `image: Blob`, FormData carries it. */
const asFormData = (body: Schemas['ImageUpload']) => {
  const form = new FormData();
  form.append('image', body.image, body.image instanceof File ? body.image.name : 'image');
  for (const tag of body.tags ?? []) form.append('tags', tag);
  return form;
};

/** Registers, logs in with the generated client and returns a client holding the bearer token. */
async function loggedIn(): Promise<{ api: Api; user: Schemas['User'] }> {
  const anonymous = apiClient();
  const credentials = { email: uniqueEmail('client'), password: `pw-${crypto.randomUUID()}` };
  const registered = await anonymous.POST('/api/v1/user/register', { body: credentials });
  expect(registered.response.status).toBe(201);
  if (!registered.data) throw new Error(`register failed: ${JSON.stringify(registered.error)}`);
  const login = await anonymous.POST('/api/v1/user/login', { body: credentials });
  if (!login.data) throw new Error(`login failed: ${JSON.stringify(login.error)}`);
  expectTypeOf(login.data.token).toEqualTypeOf<string>();
  expect(login.data.token_type).toBe('Bearer');
  return { api: apiClient(login.data.token), user: registered.data };
}

describe('a client generated from the OpenAPI document', () => {
  it('registers, logs in with a bearer token, reads the current user and logs out', async () => {
    const { api, user } = await loggedIn();
    expectTypeOf(user).toEqualTypeOf<Schemas['User']>();

    const me = await api.GET('/api/v1/user');
    expect(me.error).toBeUndefined();
    expect(me.data).toEqual(user);

    const logout = await api.POST('/api/v1/user/logout');
    expect(logout.response.status).toBe(204);

    // Logout revokes the token: the typed error is the problem schema.
    const after = await api.GET('/api/v1/user');
    expect(after.data).toBeUndefined();
    expectTypeOf(after.error).toEqualTypeOf<Schemas['Problem'] | undefined>();
    expect(after.error?.status).toBe(401);
  });

  it('reports problems in the typed error', async () => {
    const res = await apiClient().POST('/api/v1/user/register', { body: { email: 'not-an-email', password: 'x' } });
    expect(res.data).toBeUndefined();
    expect(res.response.status).toBe(400);
    expect(res.error?.errors?.map((e) => e.name).sort()).toEqual(['email', 'password']);
  });

  it('uploads, reads, lists, retags and deletes images', async () => {
    const { api } = await loggedIn();
    const photo = await png(4, 3);
    const upload = async (bytes: Uint8Array<ArrayBuffer>, name: string, tags: string[]) => {
      const res = await api.POST('/api/v1/images', {
        body: { image: new File([bytes], name, { type: 'application/octet-stream' }), tags },
        bodySerializer: asFormData,
      });
      if (!res.data) throw new Error(`upload failed: ${res.response.status} ${JSON.stringify(res.error)}`);
      expect(res.response.status).toBe(201);
      return res.data;
    };

    // Upload: the stored type comes from the bytes, not from the part's claim.
    const first = await upload(photo, 'first.png', ['cat', 'garden']);
    expectTypeOf(first).toEqualTypeOf<Schemas['Image']>();
    expect(first).toMatchObject({ name: 'first.png', content_type: 'image/png', tags: ['cat', 'garden'] });
    expect(first.sha256).toBe(await sha256Hex(photo));
    const second = await upload(gif(2, 2), 'second.gif', ['cat']);
    const third = await upload(await png(1, 1), 'third.png', ['dog']);

    // Metadata.
    const meta = await api.GET('/api/v1/images/{id}', { params: { path: { id: first.id } } });
    expect(meta.data).toEqual(first);

    // Bytes, exactly as uploaded.
    const file = await api.GET('/api/v1/images/{id}/file', {
      params: { path: { id: first.id } },
      parseAs: 'arrayBuffer',
    });
    expect(file.response.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(file.data ?? new ArrayBuffer(0))).toEqual(photo);

    // List: newest first, filtered by tag, one per page, following next_cursor to the end.
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const list = await api.GET('/api/v1/images', { params: { query: { tag: ['cat'], limit: 1, cursor } } });
      if (!list.data) throw new Error(JSON.stringify(list.error));
      expectTypeOf(list.data).toEqualTypeOf<Schemas['ImagePage']>();
      seen.push(...list.data.items.map((i) => i.id));
      if (list.data.next_cursor === null) break;
      cursor = list.data.next_cursor;
    }
    expect(seen).toEqual([second.id, first.id]);
    const dogs = await api.GET('/api/v1/images', { params: { query: { tag: ['dog'] } } });
    expect(dogs.data?.items.map((i) => i.id)).toEqual([third.id]);

    // Retag: replace the list, then the filter follows.
    const retag = await api.PUT('/api/v1/images/{id}/tags', {
      params: { path: { id: first.id } },
      body: { tags: ['dog', 'sofa'] },
    });
    expect(retag.response.status).toBe(200);
    const dogsAfter = await api.GET('/api/v1/images', { params: { query: { tag: ['dog'] } } });
    expect(dogsAfter.data?.items.map((i) => i.id)).toEqual([third.id, first.id]);

    // Delete: gone from metadata and the list.
    const deleted = await api.DELETE('/api/v1/images/{id}', { params: { path: { id: first.id } } });
    expect(deleted.response.status).toBe(204);
    const missing = await api.GET('/api/v1/images/{id}', { params: { path: { id: first.id } } });
    expect(missing.error?.status).toBe(404);
    const all = await api.GET('/api/v1/images');
    expect(all.data?.items.map((i) => i.id)).toEqual([third.id, second.id]);
  });

  it('authenticates with an API key: reads and writes with a read-write key, 403 on writes with a read key, 401 once revoked', async () => {
    const { api, user } = await loggedIn();
    const created = await api.POST('/api/v1/user/keys', { body: { scope: 'read-write', name: 'generated client' } });
    expect(created.response.status).toBe(201);
    if (!created.data) throw new Error(`create key failed: ${JSON.stringify(created.error)}`);
    expectTypeOf(created.data).toEqualTypeOf<Schemas['CreatedApiKey']>();
    const keyed = apiClient(created.data.key);

    const me = await keyed.GET('/api/v1/user');
    expect(me.data).toEqual(user);
    const uploaded = await keyed.POST('/api/v1/images', {
      body: { image: new File([gif(1, 1)], 'k.gif'), tags: ['by-key'] },
      bodySerializer: asFormData,
    });
    expect(uploaded.response.status).toBe(201);
    const listed = await keyed.GET('/api/v1/images', { params: { query: { tag: ['by-key'] } } });
    expect(listed.data?.items.map((i) => i.id)).toEqual([uploaded.data?.id]);

    const keys = await api.GET('/api/v1/user/keys');
    expect(keys.data?.items.map((k) => k.prefix)).toContain(created.data.prefix);
    expectTypeOf(keys.data).toEqualTypeOf<Schemas['ApiKeyList'] | undefined>();

    const readOnly = await api.POST('/api/v1/user/keys', { body: { scope: 'read' } });
    const reader = apiClient(readOnly.data?.key);
    expect((await reader.GET('/api/v1/images')).data?.items).toHaveLength(1);
    const refused = await reader.DELETE('/api/v1/images/{id}', { params: { path: { id: uploaded.data?.id ?? 0 } } });
    expect(refused.error?.status).toBe(403);

    const revoked = await api.DELETE('/api/v1/user/keys/{id}', { params: { path: { id: created.data.id } } });
    expect(revoked.response.status).toBe(204);
    const after = await keyed.GET('/api/v1/user');
    expect(after.error?.status).toBe(401);
  });

  it('fetches a variant with typed query parameters, and shares it through a link', async () => {
    const { api } = await loggedIn();
    const made = await api.POST('/api/v1/images', {
      body: { image: new File([await png(40, 30)], 'wide.png'), tags: [] },
      bodySerializer: asFormData,
    });
    if (!made.data) throw new Error(JSON.stringify(made.error));
    const id = made.data.id;
    expect(made.data.thumbnail_url).toContain(`/api/v1/images/${id}/file?`);

    const variant = await api.GET('/api/v1/images/{id}/file', {
      params: { path: { id }, query: { width: 20, fit: 'cover', height: 20, format: 'webp', quality: 60 } },
      parseAs: 'arrayBuffer',
    });
    expect(variant.response.status).toBe(200);
    expect(variant.response.headers.get('content-type')).toBe('image/webp');
    expect(sniffImage(new Uint8Array(variant.data ?? new ArrayBuffer(0)))).toMatchObject({ width: 20, height: 20 });

    // A bad parameter is a typed problem naming it.
    const bad = await api.GET('/api/v1/images/{id}/file', { params: { path: { id }, query: { width: 5000 } } });
    expect(bad.error?.errors?.map((e) => e.name)).toEqual(['width']);

    const link = await api.POST('/api/v1/images/{id}/links', {
      params: { path: { id } },
      body: { expires_in: 600, variant: { width: 10, format: 'png' } },
    });
    if (!link.data) throw new Error(JSON.stringify(link.error));
    expectTypeOf(link.data).toEqualTypeOf<Schemas['ShareLink']>();
    const listed = await api.GET('/api/v1/images/{id}/links', { params: { path: { id } } });
    expect(listed.data?.items).toEqual([link.data]);
    const token = new URL(link.data.url).pathname.split('/').pop() ?? '';
    const shared = await apiClient().GET('/api/v1/shared/{token}', {
      params: { path: { token } },
      parseAs: 'arrayBuffer',
    });
    expect(sniffImage(new Uint8Array(shared.data ?? new ArrayBuffer(0)))).toMatchObject({ width: 10, height: 8 });
    const revoked = await api.DELETE('/api/v1/images/{id}/links/{link}', {
      params: { path: { id, link: link.data.id } },
    });
    expect(revoked.response.status).toBe(204);
  });
});
