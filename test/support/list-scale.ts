/**
 * A user with many images, seeded straight into the database (SQLite on every runtime: D1 or a
 * libsql file) in a few set-based statements, and the checks the legacy list of all of them
 * must pass. Uploading 50,000 images through HTTP would take minutes; the list only reads rows.
 */
import { expect } from 'vitest';
import type { UploadedLegacy } from './image-api';

export const SCALE_IMAGES = 50_000;
/** Three images per instant, so keyset pages (1000 rows) end in the middle of a tie. */
const PER_INSTANT = 3;
export const SEED_EPOCH_MS = 1_700_000_000_000;

/** Statements (SQL with `?` and their arguments) that give `ownerId` `count` images. */
export function seedImagesSql(ownerId: number, count = SCALE_IMAGES): { sql: string; args: number[] }[] {
  return [
    {
      // No bound list: a recursive CTE makes the rows, so D1's 100-parameter cap does not apply.
      sql: `INSERT INTO images (owner_id, name, content_type, size, storage_key, sha256, width, height, verified, created_at)
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
        SELECT ?, 'img-' || i || '.png', 'image/png', 1000 + i, 'seed/' || ? || '/' || i, printf('%064x', i),
          1 + i % 7, 1 + i % 5, 1, ? + (i / ${PER_INSTANT}) * 1000
        FROM n`,
      args: [count, ownerId, ownerId, SEED_EPOCH_MS],
    },
    {
      sql: `INSERT INTO tags (owner_id, name) VALUES (?, 'all'), (?, 'even'), (?, 'odd')`,
      args: [ownerId, ownerId, ownerId],
    },
    {
      // Every image: `all` first, then `even` or `odd` by id.
      sql: `INSERT INTO image_tags (image_id, tag_id, position)
        SELECT im.id, t.id, CASE t.name WHEN 'all' THEN 0 ELSE 1 END
        FROM images AS im INNER JOIN tags AS t ON t.owner_id = im.owner_id
        WHERE im.owner_id = ? AND (t.name = 'all' OR t.name = CASE im.id % 2 WHEN 0 THEN 'even' ELSE 'odd' END)`,
      args: [ownerId],
    },
  ];
}

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
