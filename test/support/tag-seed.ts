/**
 * A user with many images each carrying many tags, seeded straight into SQLite in set-based
 * statements (the event-loop bench and test). No vitest here: bench/event-loop.ts seeds with it.
 *
 * Each image carries `tagsPerImage` tags of a pool of `pool` names, `tag-<n>` for
 * n = (id + k) mod pool, in that order; the `pool` names exist as tags. `rare` is on the oldest
 * `rareImages` images only, last: a filter on it has almost nothing to find among the newest.
 */
export interface TagSeed {
  images: number;
  tagsPerImage: number;
  pool: number;
  rareImages: number;
}

export const RARE_TAG = 'rare';
const EPOCH_MS = 1_700_000_000_000;

/** Statements (SQL with `?` and their arguments), to run in order. Images go in in chunks. */
export function seedTaggedImagesSql(ownerId: number, s: TagSeed, chunk = 10_000): { sql: string; args: number[] }[] {
  const statements = [
    {
      sql: `INSERT INTO tags (owner_id, name)
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
        SELECT ?, 'tag-' || i FROM n`,
      args: [s.pool, ownerId],
    },
    { sql: `INSERT INTO tags (owner_id, name) VALUES (?, '${RARE_TAG}')`, args: [ownerId] },
  ];
  for (let start = 0; start < s.images; start += chunk) {
    const end = Math.min(s.images, start + chunk);
    statements.push(
      {
        sql: `INSERT INTO images (owner_id, name, content_type, size, storage_key, sha256, width, height, verified, created_at)
          WITH RECURSIVE n(i) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
          SELECT ?, 'img-' || i || '.png', 'image/png', 1000, 'seed/' || CAST(? AS INTEGER) || '/' || i, printf('%064x', i), 1, 1, 1, ? + i * 1000
          FROM n`,
        args: [start, end, ownerId, ownerId, EPOCH_MS],
      },
      {
        sql: `INSERT INTO image_tags (image_id, tag_id, position)
          WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j + 1 < ?)
          SELECT im.id, t.id, k.j
          FROM images AS im, k
          INNER JOIN tags AS t ON t.owner_id = im.owner_id
            AND t.name = 'tag-' || ((im.id + k.j) % CAST(? AS INTEGER))
          WHERE im.owner_id = ? AND im.created_at >= ? AND im.created_at < ?`,
        args: [s.tagsPerImage, s.pool, ownerId, EPOCH_MS + start * 1000, EPOCH_MS + end * 1000],
      },
    );
  }
  statements.push({
    sql: `INSERT INTO image_tags (image_id, tag_id, position)
      SELECT im.id, t.id, ? FROM images AS im INNER JOIN tags AS t ON t.owner_id = im.owner_id AND t.name = '${RARE_TAG}'
      WHERE im.owner_id = ? AND im.created_at < ?`,
    args: [s.tagsPerImage, ownerId, EPOCH_MS + s.rareImages * 1000],
  });
  return statements;
}
