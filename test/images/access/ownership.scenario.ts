import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, newUser, problem, type TestUser, withCookie } from '../../support/client';
import { bytesOf, callIdRoute, getJson, ID_ROUTES, legacyIds, MISSING_ID, v1Ids } from '../../support/image-api';
import { png } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import { type UploadedV1, upload } from '../../support/upload';

type TagCounts = { items: { name: string; count: number }[] };

/** The parts of a problem that must not tell "someone else's" from "missing". */
async function notFoundShape(res: Response) {
  const body = await problem(res);
  return { status: res.status, type: body.type, title: body.title, detail: body.detail, errors: body.errors };
}

const ownership: Scenario = (target) => {
  let alice: TestUser;
  let bob: TestUser;
  let bytes: Uint8Array<ArrayBuffer>;
  let image: UploadedV1;

  beforeAll(async () => {
    alice = await newUser(target(), 'alice');
    bob = await newUser(target(), 'bob');
    bytes = await png(12, 9);
    image = await upload(target(), alice, bytes, { tags: ['cat', 'private'] });
  });

  /** Alice's image is exactly as she uploaded it. */
  async function expectAliceUntouched() {
    const meta = await getJson<UploadedV1>(target(), alice, `/api/v1/images/${image.id}`);
    expect(meta).toEqual(image);
    expect(await getJson<string[]>(target(), alice, `/api/${image.id}/tags`)).toEqual(['cat', 'private']);
    const file = await target().fetch(`/api/v1/images/${image.id}/file`, { headers: bearer(alice) });
    expect(file.status).toBe(200);
    expect(await bytesOf(file)).toEqual(bytes);
    expect(await v1Ids(target(), alice)).toContain(image.id);
    const counts = await getJson<TagCounts>(target(), alice, '/api/v1/tags');
    expect(counts.items).toEqual([
      { name: 'cat', count: 1 },
      { name: 'private', count: 1 },
    ]);
  }

  describe.each([
    ['bearer', (u: TestUser) => bearer(u)],
    ['cookie', (u: TestUser) => withCookie(u)],
  ] as const)("another user's image with the %s", (_, credentials) => {
    it.each(ID_ROUTES.map((r) => [r.label, r] as const))(
      '%s answers exactly like a missing image (404)',
      async (_label, route) => {
        const theirs = await callIdRoute(target(), route, image.id, credentials(bob));
        const missing = await callIdRoute(target(), route, MISSING_ID, credentials(bob));
        expect(theirs.status).toBe(404);
        expect(await notFoundShape(theirs)).toEqual(await notFoundShape(missing));
        await expectAliceUntouched();
      },
    );
  });

  it('does not answer 304 or 206 for bytes that are not yours, whatever the headers', async () => {
    const etag = `"${image.sha256}"`;
    for (const path of [`/api/image/${image.id}`, `/api/v1/images/${image.id}/file`]) {
      const tries: Record<string, string>[] = [
        { 'if-none-match': etag },
        { range: 'bytes=0-9' },
        { range: `bytes=${bytes.length}-` },
      ];
      for (const headers of tries) {
        const res = await target().fetch(path, { headers: bearer(bob, headers) });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(404);
        expect(res.headers.get('etag')).toBeNull();
      }
    }
  });

  it("never lists another user's images or tags, with or without filters", async () => {
    expect(await v1Ids(target(), bob)).toEqual([]);
    expect(await legacyIds(target(), bob)).toEqual([]);
    expect(await v1Ids(target(), bob, 'tag=cat')).toEqual([]);
    expect(await legacyIds(target(), bob, 'tag=private&start_date=0&end_date=4102444800')).toEqual([]);
    expect((await getJson<TagCounts>(target(), bob, '/api/v1/tags')).items).toEqual([]);
  });

  it("keeps each user's tags apart when they use the same names", async () => {
    const own = await upload(target(), bob, bytes, { tags: ['cat'] });
    expect(await v1Ids(target(), bob, 'tag=cat')).toEqual([own.id]);
    expect(await v1Ids(target(), alice, 'tag=cat')).toEqual([image.id]);
    // Bob editing his own "cat" does nothing to Alice's.
    const del = await target().fetch(`/api/${own.id}/tags`, { method: 'DELETE', headers: bearer(bob) });
    expect(del.status).toBe(200);
    await expectAliceUntouched();
    expect((await target().fetch(`/api/v1/images/${own.id}`, { method: 'DELETE', headers: bearer(bob) })).status).toBe(
      204,
    );
  });

  it("changes nothing of Alice's after every write Bob tried", async () => {
    for (const route of ID_ROUTES.filter((r) => r.method !== 'GET')) {
      const res = await callIdRoute(target(), route, image.id, bearer(bob));
      expect(res.status, route.label).toBe(404);
    }
    await expectAliceUntouched();
    // And Alice can still do all of it herself.
    const add = await target().fetch(`/api/${image.id}/tags/mine`, { method: 'POST', headers: bearer(alice) });
    expect(add.status).toBe(201);
    expect(await add.json()).toEqual(['cat', 'private', 'mine']);
    const remove = await target().fetch(`/api/${image.id}/tags/mine`, { method: 'DELETE', headers: bearer(alice) });
    expect(await remove.json()).toEqual(['cat', 'private']);
  });
};

export default ownership;
