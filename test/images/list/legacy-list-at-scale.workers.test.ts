import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { d1Database } from '../../../src/db/client';
import { LEGACY_LIST_PAGE_ROWS } from '../../../src/services/images';
import { bearer, newUser, type TestUser } from '../../support/client';
import type { UploadedLegacy } from '../../support/image-api';
import {
  expectCompleteList,
  renderedAtOnce,
  SCALE_IMAGES,
  SEED_EPOCH_MS,
  seedImagesSql,
} from '../../support/list-scale';
import { appHarness } from '../../support/workers/app-harness';
import { aroundStatements } from '../../support/workers/counting-d1';

/**
 * The legacy list answers every image of a user (the contract), streamed page by page from D1
 * (services/images listAllImages): complete and in order at 50,000 images, byte for byte what
 * rendering them all at once gives, without duplicates when images are deleted meanwhile, and
 * cut off (never a well-formed but incomplete array) when the database fails midway.
 */

const seed = async (ownerId: number, count = SCALE_IMAGES) => {
  for (const s of seedImagesSql(ownerId, count))
    await env.DB.prepare(s.sql)
      .bind(...s.args)
      .run();
};

/** Reads a body chunk by chunk; `onFirst` runs after the first chunk arrived. */
async function readAll(res: Response, onFirst: () => Promise<void> = async () => {}) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text, chunks };
    text += decoder.decode(value, { stream: true });
    if (++chunks === 1) await onFirst();
  }
}

describe('legacy list of 50,000 images on D1', () => {
  const h = appHarness();
  let user: TestUser;

  beforeAll(async () => {
    user = await newUser(h.target, 'scale');
    await seed(user.id);
  }, 120_000);

  it('answers all of them, unique, newest first, as rendering them at once would', async () => {
    const res = await h.target.fetch('/api/images', { headers: bearer(user) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const { text, chunks } = await readAll(res);
    // One chunk per page, and the closing bracket.
    expect(chunks).toBe(SCALE_IMAGES / LEGACY_LIST_PAGE_ROWS + 1);
    expectCompleteList(text);
    expect(text).toBe(await renderedAtOnce(d1Database(env.DB), user.id));
  }, 120_000);

  it('keeps the tag and time filters across pages', async () => {
    const from = SEED_EPOCH_MS + 1_000 * 1_000;
    const until = SEED_EPOCH_MS + 10_000 * 1_000;
    const query = `tag=odd&tag=all&start_date=${from / 1000}&end_date=${until / 1000 - 1}`;
    const res = await h.target.fetch(`/api/images?${query}`, { headers: bearer(user) });
    expect(res.status).toBe(200);
    const text = await res.text();
    const list = JSON.parse(text) as UploadedLegacy[];
    // 9,000 instants of three images, half of them odd.
    expect(list).toHaveLength(13_500);
    expect(list.every((i) => i.img_id % 2 === 1 && i.tags.includes('odd'))).toBe(true);
    expect(text).toBe(await renderedAtOnce(d1Database(env.DB), user.id, { tags: ['odd', 'all'], from, until }));
  }, 120_000);
});

describe('legacy list while images are deleted', () => {
  const h = appHarness();

  it('lists each remaining image once, in order, and none deleted before its page was read', async () => {
    const user = await newUser(h.target, 'scale-delete');
    await seed(user.id, 5_000);
    const res = await h.target.fetch('/api/images', { headers: bearer(user) });
    let deleted: number[] = [];
    const { text } = await readAll(res, async () => {
      // After the first page went out: the oldest 2,000 (the last pages, not read yet) go.
      const gone = await env.DB.prepare(
        'DELETE FROM images WHERE id IN (SELECT id FROM images WHERE owner_id = ? ORDER BY id LIMIT 2000) RETURNING id',
      )
        .bind(user.id)
        .all<{ id: number }>();
      deleted = gone.results.map((r) => r.id);
    });
    expect(deleted).toHaveLength(2_000);
    const ids = (JSON.parse(text) as UploadedLegacy[]).map((i) => i.img_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(ids).toHaveLength(3_000);
    expect(ids.filter((id) => deleted.includes(id))).toEqual([]);
  }, 60_000);
});

describe('legacy list when the database fails midway', () => {
  /**
   * Once armed, lets `allowed` more statements run outside a batch and fails the rest: with two
   * allowed, the list's first page (with the session check) and its second (read before the
   * answer, to know the list goes on) are read and its later pages fail.
   */
  const failing = { armed: false, allowed: 0 };
  const flakyD1 = (db: D1Database): D1Database =>
    aroundStatements(db, (run) =>
      failing.armed && failing.allowed-- <= 0 ? Promise.reject(new Error('injected D1 failure')) : run(),
    );
  const h = appHarness(() => ({ db: d1Database(flakyD1(env.DB)) }));

  it('errors the body after the 200 instead of closing a valid but incomplete array', async () => {
    const user = await newUser(h.target, 'scale-fail');
    await seed(user.id, 2_500);
    failing.armed = true;
    failing.allowed = 2;
    try {
      // The first pages come with the session check, so the status is already 200.
      const res = await h.target.fetch('/api/images', { headers: bearer(user) });
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = '';
      const failure = await (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return undefined;
          text += decoder.decode(value, { stream: true });
        }
      })().catch((err: unknown) => err);
      // drizzle names the failed query and keeps the driver's error as the cause.
      expect(failure).toBeInstanceOf(Error);
      expect(String((failure as Error).cause)).toContain('injected D1 failure');
      // Exactly the first two pages were sent, without the closing bracket: not valid JSON.
      expect(text.split('{"img_id"')).toHaveLength(2 * LEGACY_LIST_PAGE_ROWS + 1);
      expect(text.startsWith('[{')).toBe(true);
      expect(text.endsWith(']')).toBe(false);
      expect(() => JSON.parse(text)).toThrow();
      expect(h.logs.some((l) => l.level === 'error' && l.message.startsWith('legacy list cut off'))).toBe(true);
    } finally {
      failing.armed = false;
    }
  }, 60_000);
});
