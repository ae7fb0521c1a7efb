/** The checks the legacy list of a user seeded by list-seed.ts must pass. */
import { and, desc, eq, gte, lt } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Db } from '../../src/db/client';
import { toRecord, withTags } from '../../src/db/images/queries';
import { images } from '../../src/db/schema';
import { legacyImage } from '../../src/routes/images/images.present';
import type { UploadedLegacy } from './image-api';
import { PER_INSTANT, SCALE_IMAGES, SEED_EPOCH_MS } from './list-seed';

export { SCALE_IMAGES, SEED_EPOCH_MS, seedImagesSql } from './list-seed';

/** What the seeded image number `i` (0 = oldest) looks like on the legacy list. */
function seeded(i: number): Omit<UploadedLegacy, 'img_id' | 'tags'> {
  return {
    name: `img-${i}.png`,
    size: 1000 + i,
    content_type: 'image/png',
    created_at: (SEED_EPOCH_MS + Math.floor(i / PER_INSTANT) * 1000) / 1000,
    sha256: i.toString(16).padStart(64, '0'),
    width: 1 + (i % 7),
    height: 1 + (i % 5),
  };
}

/** The legacy list of a user seeded by seedImagesSql: complete, unique, newest first. */
export function expectCompleteList(text: string, count = SCALE_IMAGES): UploadedLegacy[] {
  const list = JSON.parse(text) as UploadedLegacy[];
  expect(list).toHaveLength(count);
  const ids = list.map((i) => i.img_id);
  expect(new Set(ids).size).toBe(count);
  // Newest first: created_at never increases; within one instant the higher id comes first.
  for (let k = 1; k < list.length; k++) {
    const [a, b] = [list[k - 1] as UploadedLegacy, list[k] as UploadedLegacy];
    if (!(a.created_at > b.created_at || (a.created_at === b.created_at && a.img_id > b.img_id))) {
      throw new Error(`out of order at ${k}: ${JSON.stringify(a)} then ${JSON.stringify(b)}`);
    }
  }
  const first = list[0] as UploadedLegacy;
  const last = list.at(-1) as UploadedLegacy;
  expect(first).toEqual({
    ...seeded(count - 1),
    img_id: first.img_id,
    tags: ['all', first.img_id % 2 ? 'odd' : 'even'],
  });
  expect(last).toEqual({ ...seeded(0), img_id: last.img_id, tags: ['all', last.img_id % 2 ? 'odd' : 'even'] });
  expect(first.img_id - last.img_id).toBe(count - 1);
  return list;
}

/**
 * The legacy list as rendering every match at once gives it, read another way than the app does
 * (db/images/list-page builds each image as JSON in SQLite): one plain select of the owner's rows with
 * their tags, filtered by tag here.
 */
export async function renderedAtOnce(
  db: Db,
  ownerId: number,
  f: { tags?: string[]; from?: number; until?: number } = {},
): Promise<string> {
  const rows = await db
    .select(withTags)
    .from(images)
    .where(
      and(
        eq(images.ownerId, ownerId),
        f.from === undefined ? undefined : gte(images.createdAt, f.from),
        f.until === undefined ? undefined : lt(images.createdAt, f.until),
      ),
    )
    .orderBy(desc(images.createdAt), desc(images.id));
  const wanted = f.tags ?? [];
  const records = rows.map(toRecord).filter((r) => wanted.every((t) => r.tags.includes(t)));
  return JSON.stringify(records.map(legacyImage));
}
