import { beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../generated/api';
import { operator, setQuota } from '../support/admin';
import { bearer, newUser, problem, type TestUser } from '../support/client';
import { MISSING_ID } from '../support/image-api';
import { png } from '../support/images';
import { asKey, createKey } from '../support/keys';
import type { Scenario } from '../support/scenarios';
import { upload, uploadRaw } from '../support/upload';

type Report = components['schemas']['UsageReport'];

/** Figures exactly as the tests made them: every request below is accounted for. */
async function usageOf(target: () => import('../support/target').Target, user: TestUser, query = '') {
  const res = await target().fetch(`/api/v1/user/usage${query}`, { headers: bearer(user) });
  if (res.status !== 200) throw new Error(`usage: ${res.status} ${await res.text()}`);
  return (await res.json()) as Report;
}

const usage: Scenario = (target) => {
  let admin: TestUser;

  beforeAll(async () => {
    admin = await operator(target());
  });

  describe('a user’s usage', () => {
    let user: TestUser;
    let first: Uint8Array<ArrayBuffer>;
    let second: Uint8Array<ArrayBuffer>;
    let report: Report;

    beforeAll(async () => {
      user = await newUser(target(), 'usage');
      first = await png(20, 20);
      second = await png(3, 9);
      await setQuota(target(), admin, user.id, { max_images: 2 });
      const image = await upload(target(), user, first, { tags: ['a'] });
      await upload(target(), user, second, { path: '/api/images' });
      expect((await uploadRaw(target(), user, first)).status).toBe(403);
      for (let i = 0; i < 3; i++)
        expect((await target().fetch('/api/v1/images', { headers: bearer(user) })).status).toBe(200);
      expect((await target().fetch('/api/images', { headers: bearer(user) })).status).toBe(200);
      const whole = await target().fetch(`/api/v1/images/${image.id}/file`, { headers: bearer(user) });
      expect((await whole.arrayBuffer()).byteLength).toBe(first.length);
      const part = await target().fetch(`/api/image/${image.id}`, { headers: bearer(user, { range: 'bytes=0-9' }) });
      expect(part.status).toBe(206);
      expect((await part.arrayBuffer()).byteLength).toBe(10);
      const etag = whole.headers.get('etag') ?? '';
      const unchanged = await target().fetch(`/api/v1/images/${image.id}/file`, {
        headers: bearer(user, { 'if-none-match': etag }),
      });
      expect(unchanged.status).toBe(304);
      expect((await target().fetch(`/api/v1/images/${MISSING_ID}`, { headers: bearer(user) })).status).toBe(404);
      // Not this user's: unauthenticated and refused requests count for nobody.
      expect((await target().fetch('/api/v1/images')).status).toBe(401);
      expect((await target().fetch('/api/v1/images', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
      report = await usageOf(target, user);
    });

    it('counts each request by operation, the bytes moved and the refused upload', () => {
      expect(report.totals).toEqual({
        requests: 11,
        requests_by_operation: {
          uploadImage: 2,
          legacyUploadImage: 1,
          listImages: 3,
          legacyListImages: 1,
          getImageFile: 2,
          legacyGetImageFile: 1,
          getImage: 1,
          // The operator's quota call is the operator's, not this user's.
        },
        bytes_uploaded: first.length + second.length,
        bytes_downloaded: first.length + 10,
        uploads_refused: 1,
      });
      expect(report.user_id).toBe(user.id);
    });

    it('reports one day (today, UTC) with the same figures, and the default 30-day window', () => {
      expect(report.days).toEqual([{ date: report.to, ...report.totals }]);
      expect((Date.parse(report.to) - Date.parse(report.from)) / 86_400_000).toBe(29);
    });

    it('reports what is stored and the quotas that apply', () => {
      expect(report.storage).toEqual({
        images_count: 2,
        bytes_stored: first.length + second.length,
        limits: { max_bytes: 10 * 1024 ** 3, max_images: 2 },
        override: { max_bytes: null, max_images: 2 },
      });
    });

    it('counts the usage read itself once it has been answered', async () => {
      const again = await usageOf(target, user);
      expect(again.totals.requests_by_operation.getUsage).toBe(1);
      expect(again.totals.requests).toBe(report.totals.requests + 1);
    });

    it('counts every one of many concurrent requests', async () => {
      const before = (await usageOf(target, user)).totals.requests_by_operation;
      const answers = await Promise.all(
        Array.from({ length: 25 }, () => target().fetch('/api/v1/tags', { headers: bearer(user) })),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(25).fill(200));
      const after = (await usageOf(target, user)).totals.requests_by_operation;
      expect(after.listTags).toBe((before.listTags ?? 0) + 25);
      expect(after.getUsage).toBe((before.getUsage ?? 0) + 1);
    });

    it('counts requests made with an API key for the key’s owner', async () => {
      const keyed = asKey(user, await createKey(target(), user, { scope: 'read' }));
      const before = (await usageOf(target, user)).totals.requests_by_operation.getCurrentUser ?? 0;
      expect((await target().fetch('/api/v1/user', { headers: bearer(keyed) })).status).toBe(200);
      expect((await usageOf(target, keyed)).totals.requests_by_operation.getCurrentUser).toBe(before + 1);
    });

    it('keeps users apart', async () => {
      const other = await newUser(target(), 'usage-other');
      const theirs = await usageOf(target, other);
      expect(theirs.totals).toEqual({
        requests: 0,
        requests_by_operation: {},
        bytes_uploaded: 0,
        bytes_downloaded: 0,
        uploads_refused: 0,
      });
      expect(theirs.days).toEqual([]);
      expect(theirs.storage).toMatchObject({ images_count: 0, bytes_stored: 0 });
    });
  });

  describe('the date range', () => {
    let user: TestUser;

    beforeAll(async () => {
      user = await newUser(target(), 'usage-range');
      await target().fetch('/api/v1/images', { headers: bearer(user) });
    });

    it('takes from and to like the list filters: dates, ISO date-times or unix seconds, to including its whole day; up to 366 days', async () => {
      const today = (await usageOf(target, user)).to;
      const byDate = await usageOf(target, user, `?from=${today}&to=${today}`);
      expect(byDate).toMatchObject({ from: today, to: today });
      expect(byDate.days.map((d) => d.date)).toEqual([today]);
      const midnight = Date.parse(today) / 1000;
      const bySeconds = await usageOf(target, user, `?from=${midnight}&to=${midnight + 3600}`);
      expect(bySeconds.days.map((d) => d.date)).toEqual([today]);
      const day = (back: number) => new Date(Date.parse(today) - back * 86_400_000).toISOString().slice(0, 10);
      const before = await usageOf(target, user, `?from=${day(366)}T12:00:00Z&to=${day(1)}`);
      expect(before).toMatchObject({ from: day(366), to: day(1), days: [] });
      expect(before.totals.requests).toBe(0);
      // Stored figures are today's whatever the window.
      expect(before.storage.limits.max_images).toBe(100_000);
    });

    it.each([
      ['?from=yesterday', 'from'],
      ['?to=2026-02-31', 'to'],
      ['?from=2026-03-02&to=2026-03-01', 'from'],
      ['?from=2020-01-01&to=2026-01-01', 'from'],
    ])('answers 400 naming the field to %s', async (query, field) => {
      const res = await target().fetch(`/api/v1/user/usage${query}`, { headers: bearer(user) });
      expect(res.status).toBe(400);
      expect((await problem(res)).errors?.map((e) => e.name)).toEqual([field]);
    });

    it('answers 401 without a login', async () => {
      expect((await target().fetch('/api/v1/user/usage')).status).toBe(401);
    });
  });
};

export default usage;
