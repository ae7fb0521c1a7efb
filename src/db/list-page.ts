import { and, desc, eq, getTableColumns, gte, lt, type SQL, sql } from 'drizzle-orm';
import type { Session } from '../auth/token';
import type { Db } from './client';
import { guardedCall } from './guarded';
import { type ImageRecord, jsonList, tagsJson } from './image-queries';
import { kindOf, perDatabase, placeholders, type SessionCheckRow, type SessionKind, sessionColumns } from './prepared';
import { images, users } from './schema';

/**
 * The image list's read: one prepared statement per filter shape and session kind, built once
 * per database (the SQL text is not built again per request), with the session check in the
 * same statement (no BEGIN … COMMIT batch around two).
 *
 * Each listed image comes back as one JSON object built by SQLite, so the drivers hand over one
 * value per image instead of twelve, and drizzle maps no columns (`.values()`: one D1 call, one
 * `execute` on `@libsql/client`, one prepared statement on the local driver). One row per image
 * rather than the whole page in one `json_group_array`: D1 refuses a value over 2 MB
 * (SQLITE_TOOBIG, checked on miniflare), and a page of 1000 images with long names and 50 tags
 * each would pass that (test/support/list-page-cases.ts); one image stays far below it.
 */

/** The owner's images this filter selects. All given parts apply; none carries data in its SQL. */
export interface ListFilter {
  /** All must be on the image. */
  tags: string[];
  from?: number;
  until?: number;
  /** Newest-first keyset position: items strictly older than this. */
  before?: { createdAt: number; id: number };
  limit: number;
}

interface Shape {
  kind: SessionKind;
  tags: boolean;
  from: boolean;
  until: boolean;
  before: boolean;
}

/** An image as one JSON object, with the keys of ImageRecord (columns by their drizzle keys). */
const imageJson = sql.join(
  Object.entries(getTableColumns(images)).map(([key, column]) =>
    // Booleans are 0/1 in SQLite; json('true') makes a JSON true.
    key === 'verified'
      ? sql`${sql.raw(`'${key}'`)}, json(CASE WHEN ${column} THEN 'true' ELSE 'false' END)`
      : sql`${sql.raw(`'${key}'`)}, ${column}`,
  ),
  sql`, `,
);
// The tags array is a scalar subquery's text: json() makes it an array again, not a string.
const pageItem = sql<string>`json_object(${imageJson}, 'tags', json(${tagsJson}))`;

function build(db: Db, shape: Shape) {
  const conditions: SQL[] = [eq(images.ownerId, sql.placeholder('userId'))];
  if (shape.from) conditions.push(gte(images.createdAt, sql.placeholder('from')));
  if (shape.until) conditions.push(lt(images.createdAt, sql.placeholder('until')));
  if (shape.tags) {
    // Tag names are unique per owner, so counting matches is enough; one bound list, any length.
    conditions.push(
      sql`(SELECT count(*) FROM image_tags AS it INNER JOIN tags AS t ON t.id = it.tag_id WHERE it.image_id = "images"."id" AND t.name IN (SELECT value FROM json_each(${sql.placeholder('tags')}))) = ${sql.placeholder('tagCount')}`,
    );
  }
  if (shape.before) {
    // A row value, not `a < x OR (a = x AND id < y)`: SQLite turns it into a range on
    // images_owner_created_idx, so a page deep in the list starts at the cursor instead of
    // stepping over every newer row (test/support/list-plans.ts checks the plan).
    conditions.push(
      sql`("images"."created_at", "images"."id") < (${sql.placeholder('beforeAt')}, ${sql.placeholder('beforeId')})`,
    );
  }
  const page = db
    .select({ item: pageItem.as('item') })
    .from(images)
    .where(and(...conditions))
    .orderBy(desc(images.createdAt), desc(images.id))
    .limit(sql.placeholder('limit'))
    .as('page');
  // The user's row, then its page: no row when the user is gone, one with a NULL item when the
  // page is empty. The page (LIMIT, so never flattened into the join) comes out in its ORDER BY,
  // as the tags of an image do (image-queries tagsJson); test/support/list-plans.ts checks that
  // SQLite reads it from the list index, without a sort.
  return db
    .select({ ...sessionColumns(shape.kind), item: page.item })
    .from(users)
    .leftJoin(page, sql`1`)
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare();
}

const shapeOf = (kind: SessionKind, f: ListFilter): Shape => ({
  kind,
  tags: f.tags.length > 0,
  from: f.from !== undefined,
  until: f.until !== undefined,
  before: f.before !== undefined,
});

/** The statement for a shape, built the first time it is asked for on a database. */
const listStatement = perDatabase(build, (s: Shape) => `${s.kind}:${+s.tags}${+s.from}${+s.until}${+s.before}`);

/**
 * The statement a list read runs and its placeholder values (test/support/list-plans.ts explains
 * the same SQL). `checked: true` reads a later page of a list whose session was already checked:
 * the token statement, whatever the session's kind (no key to look up).
 */
export function listRead(db: Db, session: Session, f: ListFilter, checked = false) {
  const kind: SessionKind = checked ? 'token' : kindOf(session);
  const values = {
    ...(kind === 'key' ? placeholders(session) : { userId: session.userId }),
    limit: f.limit,
    ...(f.tags.length ? { tags: jsonList(f.tags), tagCount: f.tags.length } : {}),
    ...(f.from !== undefined ? { from: f.from } : {}),
    ...(f.until !== undefined ? { until: f.until } : {}),
    ...(f.before ? { beforeAt: f.before.createdAt, beforeId: f.before.id } : {}),
  };
  return { statement: listStatement(db, shapeOf(kind, f)), values };
}

/**
 * One statement: the session check's row (none when the user is gone) and a page of the user's
 * images matching `f`, newest first (`checked`: see listRead).
 */
export async function pageWithSession(
  db: Db,
  session: Session,
  f: ListFilter,
  checked = false,
): Promise<{ session: SessionCheckRow[]; items: ImageRecord[] }> {
  const { statement, values } = listRead(db, session, f, checked);
  // Rows as arrays in select order: token version, key scope, item.
  const rows = (await guardedCall(db, () => statement.values(values))) as unknown as ArrayLike<unknown>[];
  const first = rows[0];
  if (!first) return { session: [], items: [] };
  const check = [{ tokenVersion: first[0] as number, keyScope: first[1] as string | null }];
  if (first[2] === null) return { session: check, items: [] };
  // One parse for the page: the objects joined into one JSON array.
  let json = '[';
  for (let i = 0; i < rows.length; i++) json += (i ? ',' : '') + (rows[i] as ArrayLike<unknown>)[2];
  return { session: check, items: JSON.parse(`${json}]`) as ImageRecord[] };
}
