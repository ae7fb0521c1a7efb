import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, newUser, problem, type TestUser } from '../../support/client';
import { getJson, legacyIds, v1Ids } from '../../support/image-api';
import { png } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import { upload } from '../../support/upload';

type TagCounts = { items: { name: string; count: number }[] };

const imagesDelete: Scenario = (target) => {
  let user: TestUser;
  let bytes: Uint8Array<ArrayBuffer>;

  beforeAll(async () => {
    user = await newUser(target(), 'delete');
    bytes = await png(8, 8);
  });

  const call = (method: string, path: string) => target().fetch(path, { method, headers: bearer(user) });
  const counts = async () =>
    Object.fromEntries(
      (await getJson<TagCounts>(target(), user, '/api/v1/tags')).items.map((t) => [t.name, t.count] as const),
    );

  /** Every read of the image answers 404 on both surfaces. */
  async function expectGone(id: number) {
    for (const path of [
      `/api/v1/images/${id}`,
      `/api/v1/images/${id}/file`,
      `/api/v1/images/${id}/tags`,
      `/api/image/${id}`,
      `/api/${id}/tags`,
    ]) {
      const res = await call('GET', path);
      expect(res.status, path).toBe(404);
      expect((await problem(res)).status).toBe(404);
    }
    expect(await v1Ids(target(), user)).not.toContain(id);
    expect(await legacyIds(target(), user)).not.toContain(id);
  }

  describe('v1', () => {
    it('answers 204 with no body, then the image, its file and its tags are gone', async () => {
      const img = await upload(target(), user, bytes, { tags: ['del-v1'] });
      expect(await v1Ids(target(), user)).toContain(img.id);
      const res = await call('DELETE', `/api/v1/images/${img.id}`);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      await expectGone(img.id);
    });

    it('answers 404 to a second delete on either path', async () => {
      const img = await upload(target(), user, bytes);
      expect((await call('DELETE', `/api/v1/images/${img.id}`)).status).toBe(204);
      for (const path of [`/api/v1/images/${img.id}`, `/api/image/${img.id}`]) {
        const again = await call('DELETE', path);
        expect(again.status).toBe(404);
        expect(await problem(again)).toMatchObject({ status: 404, title: 'Not Found' });
      }
    });
  });

  describe('legacy', () => {
    it('answers 200, then the image, its file and its tags are gone', async () => {
      const img = await upload(target(), user, bytes, { tags: ['del-legacy'] });
      const res = await call('DELETE', `/api/image/${img.id}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ img_id: img.id, deleted: true });
      await expectGone(img.id);
      const again = await call('DELETE', `/api/image/${img.id}`);
      expect(again.status).toBe(404);
    });
  });

  it('leaves the other images alone and lowers the tag counts', async () => {
    const counter = await newUser(target(), 'delete-counts');
    const up = (tags: string[]) => upload(target(), counter, bytes, { tags });
    const keep = await up(['shared', 'keep-only']);
    const gone = await up(['shared', 'gone-only']);
    const tags = async () =>
      Object.fromEntries(
        (await getJson<TagCounts>(target(), counter, '/api/v1/tags')).items.map((t) => [t.name, t.count] as const),
      );
    expect(await tags()).toEqual({ shared: 2, 'keep-only': 1, 'gone-only': 1 });

    const res = await target().fetch(`/api/v1/images/${gone.id}`, { method: 'DELETE', headers: bearer(counter) });
    expect(res.status).toBe(204);
    // A tag no image carries any more is not listed.
    expect(await tags()).toEqual({ shared: 1, 'keep-only': 1 });
    expect(await v1Ids(target(), counter)).toEqual([keep.id]);
    const kept = await target().fetch(`/api/v1/images/${keep.id}/file`, { headers: bearer(counter) });
    expect(kept.status).toBe(200);
    expect(new Uint8Array(await kept.arrayBuffer())).toEqual(bytes);

    const legacy = await target().fetch(`/api/image/${keep.id}`, { method: 'DELETE', headers: bearer(counter) });
    expect(legacy.status).toBe(200);
    expect(await tags()).toEqual({});
    expect(await v1Ids(target(), counter)).toEqual([]);
  });

  it('does not touch the counts of tags on images that were not deleted (the main user)', async () => {
    const before = await counts();
    const img = await upload(target(), user, bytes, { tags: ['transient'] });
    expect((await counts()).transient).toBe((before.transient ?? 0) + 1);
    expect((await call('DELETE', `/api/v1/images/${img.id}`)).status).toBe(204);
    expect(await counts()).toEqual(before);
  });
};

export default imagesDelete;
