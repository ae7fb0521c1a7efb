/**
 * A user with many images, seeded straight into the database (SQLite on every runtime: D1 or a
 * libsql file) in a few set-based statements. Uploading 50,000 images through HTTP would take
 * minutes; the list only reads rows. No vitest here: `npm run bench` seeds with it too.
 */
export const SCALE_IMAGES = 50_000;
/** Three images per instant, so keyset pages (1000 rows) end in the middle of a tie. */
export const PER_INSTANT = 3;
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
