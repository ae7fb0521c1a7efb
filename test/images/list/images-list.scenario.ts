import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, newUser, problem, type TestUser } from '../../support/client';
import { getJson, legacyIds, type UploadedLegacy, type V1Page, v1Ids } from '../../support/image-api';
import { png } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import { type UploadedV1, upload } from '../../support/upload';

const DAY_MS = 86_400_000;
const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const imagesList: Scenario = (target) => {
  let user: TestUser;
  let other: TestUser;
  /** Oldest first, as uploaded. */
  let uploaded: UploadedV1[];
  let othersImage: UploadedV1;
  const tagsOf: string[][] = [['cat', 'garden'], ['dog'], ['cat', 'café'], ['cat', 'garden', 'night'], []];

  beforeAll(async () => {
    user = await newUser(target(), 'list');
    other = await newUser(target(), 'list-other');
    const bytes = await png(3, 3);
    othersImage = await upload(target(), other, bytes, { tags: ['cat', 'garden'] });
    uploaded = [];
    // One after another, so each is at least as new as the one before.
    for (const tags of tagsOf) uploaded.push(await upload(target(), user, bytes, { tags }));
  });

  const ms = (i: UploadedV1) => Date.parse(i.created_at);
  /** Ids newest first among `images`, the order every list must use. */
  const newestFirst = (images: UploadedV1[]) =>
    [...images].sort((a, b) => ms(b) - ms(a) || b.id - a.id).map((i) => i.id);
  const all = () => newestFirst(uploaded);
  const withTags = (...tags: string[]) => newestFirst(uploaded.filter((i) => tags.every((t) => i.tags.includes(t))));
  const between = (from: number, until: number) => newestFirst(uploaded.filter((i) => ms(i) >= from && ms(i) < until));

  const listV1 = (query: string) => v1Ids(target(), user, query);
  const listLegacy = (query: string) => legacyIds(target(), user, query);
  const both = async (query: string) => {
    const [v1, legacy] = await Promise.all([listV1(query), listLegacy(query)]);
    expect(legacy).toEqual(v1);
    return v1;
  };

  describe('shape and order', () => {
    /** The legacy list as the non-streamed server wrote it: JSON.stringify of every image in the legacy shape. */
    const legacyBytesFromV1 = async (query: string) => {
      const items: UploadedV1[] = [];
      let cursor: string | null = null;
      do {
        // Pages of 2: the walk crosses keyset boundaries like the streamed list does.
        const q: string = `limit=2${query ? `&${query}` : ''}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
        const page: V1Page = await getJson<V1Page>(target(), user, `/api/v1/images?${q}`);
        items.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor !== null);
      return JSON.stringify(
        items.map((i) => ({
          img_id: i.id,
          name: i.name,
          size: i.size,
          content_type: i.content_type,
          tags: i.tags,
          created_at: i.created_at_unix,
          sha256: i.sha256,
          width: i.width,
          height: i.height,
        })),
      );
    };

    it.each([
      ['no filter', ''],
      ['a tag', 'tag=cat'],
      ['two tags and a date', `tag=cat&tag=garden&date=${utcDate(Date.now())}`],
      ['no match', 'tag=nobody-uses-this'],
    ])('legacy list (streamed) is byte for byte the JSON of every image, %s', async (_, query) => {
      const res = await target().fetch(`/api/images${query ? `?${query}` : ''}`, { headers: bearer(user) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      const text = await res.text();
      expect(text).toBe(await legacyBytesFromV1(query));
      if (query === 'tag=nobody-uses-this') expect(text).toBe('[]');
    });

    it('legacy answers a JSON array of the caller’s images, newest first, in the legacy shape', async () => {
      const res = await target().fetch('/api/images', { headers: bearer(user) });
      expect(res.status).toBe(200);
      const list = (await res.json()) as UploadedLegacy[];
      expect(Array.isArray(list)).toBe(true);
      expect(list.map((i) => i.img_id)).toEqual(all());
      const oldest = uploaded[0] as UploadedV1;
      const item = list.find((i) => i.img_id === oldest.id);
      expect(item).toEqual({
        img_id: oldest.id,
        name: oldest.name,
        size: oldest.size,
        content_type: 'image/png',
        tags: ['cat', 'garden'],
        created_at: oldest.created_at_unix,
        sha256: oldest.sha256,
        width: 3,
        height: 3,
      });
      expect(list.map((i) => i.img_id)).not.toContain(othersImage.id);
    });

    it('v1 answers {items, next_cursor} with the upload shapes, newest first', async () => {
      const page = await getJson<V1Page>(target(), user, '/api/v1/images');
      expect(Object.keys(page).sort()).toEqual(['items', 'next_cursor']);
      expect(page.next_cursor).toBeNull();
      expect(page.items.map((i) => i.id)).toEqual(all());
      for (const item of page.items) expect(item).toEqual(uploaded.find((u) => u.id === item.id));
    });

    it('newest first means created_at never increases down the list', async () => {
      const page = await getJson<V1Page>(target(), user, '/api/v1/images');
      const times = page.items.map(ms);
      expect(times).toEqual([...times].sort((a, b) => b - a));
      // The last upload is the first item.
      expect(page.items[0]?.id).toBe(uploaded.at(-1)?.id);
    });

    it('shows another user only their own images', async () => {
      expect(await v1Ids(target(), other)).toEqual([othersImage.id]);
      expect(await legacyIds(target(), other)).toEqual([othersImage.id]);
      expect(await v1Ids(target(), other, 'tag=night')).toEqual([]);
    });
  });

  describe('tag filter', () => {
    it('filters by one tag on both surfaces', async () => {
      expect(await both('tag=cat')).toEqual(withTags('cat'));
      expect(await both('tag=dog')).toEqual(withTags('dog'));
      expect(withTags('cat')).toHaveLength(3);
    });

    it('requires every repeated tag to match', async () => {
      expect(await both('tag=cat&tag=garden')).toEqual(withTags('cat', 'garden'));
      expect(await both('tag=garden&tag=night&tag=cat')).toEqual(withTags('cat', 'garden', 'night'));
      expect(await both('tag=cat&tag=dog')).toEqual([]);
      // Repeating the same tag is the same as giving it once.
      expect(await both('tag=cat&tag=cat')).toEqual(withTags('cat'));
    });

    it('answers an empty list for a tag nobody uses', async () => {
      expect(await both('tag=nothing-like-this')).toEqual([]);
    });

    it('matches a tag as it is stored: trimmed and in Unicode NFC', async () => {
      expect(await both(`tag=${encodeURIComponent('café')}`)).toEqual(withTags('café'));
      // "e" + combining acute accent (NFD, what some file systems and keyboards produce).
      expect(await both(`tag=${encodeURIComponent('cafe\u0301')}`)).toEqual(withTags('café'));
      expect(await both(`tag=${encodeURIComponent('  cat ')}`)).toEqual(withTags('cat'));
    });

    it('answers 400 naming `tag` for a tag no image could carry', async () => {
      for (const tag of ['x'.repeat(65), '   ', 'a\u0000b']) {
        for (const path of ['/api/images', '/api/v1/images']) {
          const res = await target().fetch(`${path}?tag=${encodeURIComponent(tag)}`, { headers: bearer(user) });
          expect(res.status).toBe(400);
          expect((await problem(res)).errors?.map((e) => e.name)).toContain('tag');
        }
      }
    });
  });

  describe('date filters', () => {
    const first = () => uploaded[0] as UploadedV1;
    const last = () => uploaded.at(-1) as UploadedV1;

    it('accepts start_date and end_date as integer unix seconds', async () => {
      const from = first().created_at_unix - 60;
      const to = last().created_at_unix + 60;
      expect(await both(`start_date=${from}&end_date=${to}`)).toEqual(all());
    });

    it('accepts float unix seconds, to the millisecond, with end_date inclusive', async () => {
      const a = uploaded[1] as UploadedV1;
      const b = uploaded[3] as UploadedV1;
      const query = `start_date=${(ms(a) / 1000).toFixed(3)}&end_date=${(ms(b) / 1000).toFixed(3)}`;
      const expected = between(ms(a), ms(b) + 1);
      expect(expected).toContain(a.id);
      expect(expected).toContain(b.id);
      expect(await both(query)).toEqual(expected);
    });

    it('accepts ISO 8601 date-times', async () => {
      const a = uploaded[2] as UploadedV1;
      const query = `start_date=${encodeURIComponent(a.created_at)}&end_date=${encodeURIComponent(last().created_at)}`;
      expect(await both(query)).toEqual(between(ms(a), ms(last()) + 1));
      // With an offset instead of Z: the same instants.
      const plus2 = (t: number) => `${new Date(t + 2 * 3_600_000).toISOString().slice(0, 23)}+02:00`;
      const offset = `start_date=${encodeURIComponent(plus2(ms(a)))}&end_date=${encodeURIComponent(plus2(ms(last())))}`;
      expect(await both(offset)).toEqual(between(ms(a), ms(last()) + 1));
    });

    it('includes everything between a far past and a far future', async () => {
      expect(await both('start_date=0&end_date=4102444800')).toEqual(all());
      expect(await both('start_date=1970-01-01&end_date=2099-12-31')).toEqual(all());
    });

    it('excludes everything for a window in the past', async () => {
      expect(await both('start_date=946684800&end_date=978307200')).toEqual([]);
      const before = first().created_at_unix - 3600;
      expect(await both(`start_date=${before - 60}&end_date=${before}`)).toEqual([]);
    });

    it('treats a bare end_date as the whole of that UTC day', async () => {
      const day = utcDate(ms(first()));
      const expected = between(Date.parse(`${day}T00:00:00Z`), Date.parse(`${day}T00:00:00Z`) + DAY_MS);
      expect(await both(`start_date=${day}&end_date=${day}`)).toEqual(expected);
      expect(expected).toContain(first().id);
    });

    it('filters by date: the UTC day of the uploads includes them, the days around exclude them', async () => {
      const day = Date.parse(`${utcDate(ms(first()))}T00:00:00Z`);
      const expected = between(day, day + DAY_MS);
      expect(expected).toContain(first().id);
      expect(await both(`date=${utcDate(day)}`)).toEqual(expected);
      expect(await both(`date=${utcDate(day - DAY_MS)}`)).toEqual([]);
      expect(await both(`date=${utcDate(day + 2 * DAY_MS)}`)).toEqual(between(day + 2 * DAY_MS, day + 3 * DAY_MS));
      // The day containing an instant given as unix seconds or an ISO date-time.
      expect(await both(`date=${first().created_at_unix}`)).toEqual(expected);
      expect(await both(`date=${encodeURIComponent(first().created_at)}`)).toEqual(expected);
    });

    it('combines date with start_date and end_date (both must hold)', async () => {
      const day = utcDate(ms(first()));
      const query = `date=${day}&start_date=${(ms(last()) / 1000).toFixed(3)}&end_date=4102444800`;
      const dayStart = Date.parse(`${day}T00:00:00Z`);
      expect(await both(query)).toEqual(between(Math.max(ms(last()), dayStart), dayStart + DAY_MS));
    });

    it('combines date and tag filters', async () => {
      const day = utcDate(ms(first()));
      const dayStart = Date.parse(`${day}T00:00:00Z`);
      const onDay = new Set(between(dayStart, dayStart + DAY_MS));
      expect(await both(`date=${day}&tag=cat`)).toEqual(withTags('cat').filter((id) => onDay.has(id)));
    });

    it('lets v1 take start_date or end_date alone', async () => {
      expect(await listV1('start_date=0')).toEqual(all());
      expect(await listV1(`start_date=${last().created_at_unix + 3600}`)).toEqual([]);
      expect(await listV1('end_date=4102444800')).toEqual(all());
      expect(await listV1(`end_date=${first().created_at_unix - 3600}`)).toEqual([]);
    });

    it.each([
      ['start_date=0', 'end_date'],
      ['end_date=4102444800', 'start_date'],
      ['start_date=2020-01-01&tag=cat', 'end_date'],
    ])('legacy answers %s with 400 naming %s', async (query, missing) => {
      const res = await target().fetch(`/api/images?${query}`, { headers: bearer(user) });
      expect(res.status).toBe(400);
      const body = await problem(res);
      expect(body.errors?.map((e) => e.name)).toContain(missing);
    });
  });

  describe('invalid query values', () => {
    const both400 = ['/api/images', '/api/v1/images'];
    it.each([
      ['start_date=abc&end_date=100', 'start_date'],
      ['start_date=100&end_date=abc', 'end_date'],
      ['start_date=2026-13-01&end_date=2026-12-01', 'start_date'],
      ['date=2026-02-31', 'date'],
      ['date=abc', 'date'],
      ['date=2026-2-3', 'date'],
      ['date=', 'date'],
      ['start_date=1e3&end_date=2000', 'start_date'],
      ['start_date=2000&end_date=1000', 'start_date'],
      ['start_date=2026-03-02&end_date=2026-03-01', 'start_date'],
    ])('answers %s with 400 naming %s on both surfaces', async (query, name) => {
      for (const path of both400) {
        const res = await target().fetch(`${path}?${query}`, { headers: bearer(user) });
        expect(res.status, `${path}?${query}`).toBe(400);
        const body = await problem(res);
        expect(body.errors?.map((e) => e.name)).toContain(name);
        expect(body.errors?.find((e) => e.name === name)?.in).toBe('query');
      }
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=', 'limit'],
      ['cursor=garbage', 'cursor'],
      ['cursor=', 'cursor'],
      [`cursor=${btoa('[1,2,3]').replace(/=+$/, '')}`, 'cursor'],
      [`cursor=${btoa('{"id":1}').replace(/=+$/, '')}`, 'cursor'],
    ])('v1 answers %s with 400 naming %s', async (query, name) => {
      const res = await target().fetch(`/api/v1/images?${query}`, { headers: bearer(user) });
      expect(res.status, query).toBe(400);
      const body = await problem(res);
      expect(body.errors?.map((e) => e.name)).toContain(name);
    });

    it('accepts start_date equal to end_date (one instant)', async () => {
      const one = uploaded[2] as UploadedV1;
      const at = (ms(one) / 1000).toFixed(3);
      expect(await both(`start_date=${at}&end_date=${at}`)).toEqual(between(ms(one), ms(one) + 1));
    });
  });

  describe('v1 pagination', () => {
    let pager: TestUser;
    let ids: number[];

    beforeAll(async () => {
      pager = await newUser(target(), 'pager');
      const bytes = await png(2, 2);
      const made: UploadedV1[] = [];
      for (let i = 0; i < 5; i++) made.push(await upload(target(), pager, bytes, { tags: i % 2 ? ['odd'] : ['even'] }));
      ids = newestFirst(made);
    });

    /** Follows next_cursor to the end; returns each page's ids. */
    async function pages(query: string): Promise<number[][]> {
      const out: number[][] = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor === null ? query : `${query}&cursor=${encodeURIComponent(cursor)}`;
        const page: V1Page = await getJson<V1Page>(target(), pager, `/api/v1/images?${q}`);
        out.push(page.items.map((i) => i.id));
        cursor = page.next_cursor;
        if (out.length > 10) throw new Error('pagination does not end');
      } while (cursor !== null);
      return out;
    }

    it('pages 5 images by 2 as 2, 2, 1, newest first, without gaps or duplicates', async () => {
      const got = await pages('limit=2');
      expect(got.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(got.flat()).toEqual(ids);
    });

    it('ends with next_cursor null when the last page is exactly full', async () => {
      expect(await pages('limit=5')).toEqual([ids]);
      expect(await pages('limit=200')).toEqual([ids]);
      const got = await pages('limit=4');
      expect(got.map((p) => p.length)).toEqual([4, 1]);
      expect(got.flat()).toEqual(ids);
    });

    it('pages one by one', async () => {
      const got = await pages('limit=1');
      expect(got).toEqual(ids.map((id) => [id]));
    });

    it('defaults to 50 per page', async () => {
      expect(await pages('')).toEqual([ids]);
    });

    it('keeps the filters across pages', async () => {
      const evens = ids.filter((_, i) => i % 2 === 0);
      // Uploads 0, 2 and 4 are "even"; newest first that is every other id.
      expect(await v1Ids(target(), pager, 'tag=even')).toHaveLength(3);
      const got = await pages('limit=2&tag=even');
      expect(got.map((p) => p.length)).toEqual([2, 1]);
      expect(got.flat()).toEqual(await v1Ids(target(), pager, 'tag=even'));
      expect(got.flat()).toEqual(evens);
      const dated = await pages('limit=2&start_date=0&end_date=4102444800&tag=odd');
      expect(dated.flat()).toEqual(ids.filter((_, i) => i % 2 === 1));
      expect(dated.map((p) => p.length)).toEqual([2]);
    });

    it('does not let one user’s cursor reveal another user’s images', async () => {
      const first = await getJson<V1Page>(target(), pager, '/api/v1/images?limit=1');
      expect(first.next_cursor).not.toBeNull();
      const page = await getJson<V1Page>(
        target(),
        other,
        `/api/v1/images?cursor=${encodeURIComponent(first.next_cursor ?? '')}`,
      );
      for (const item of page.items) expect(ids).not.toContain(item.id);
    });
  });
};

export default imagesList;
