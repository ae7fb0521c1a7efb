import { and, desc, eq, getTableColumns, gte, lt, type SQL, sql } from 'drizzle-orm';
import type { Session } from '../../lib/session';
import { MAX_TAGS_PER_IMAGE } from '../../limits';
import type { Db } from '../client';
import { guardedCall } from '../guarded';
import { jsonList } from '../json-list';
import { kindOf, perDatabase, placeholders, type SessionCheckRow, type SessionKind, sessionColumns } from '../prepared';
import { images, users } from '../schema';
import { type ImageRecord, tagsJson } from './queries';

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
  /** Only images with these bytes (images_owner_sha256_idx). */
  sha256?: string;
  limit: number;
}

interface Shape {
  kind: SessionKind;
  tags: boolean;
  from: boolean;
  until: boolean;
  before: boolean;
  sha256: boolean;
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

/**
 * Index probes a tag-filtered statement makes at most: one per filter tag per candidate image.
 * A filter that matches few images would otherwise walk all of the owner's inside one
 * synchronous statement on Node and Bun. So a statement examines at most tagScanRows candidates,
 * newest first from where it starts; its page can then hold fewer matches than asked while more
 * follow, and it says where the next one starts (`resume`).
 */
const TAG_SCAN_PROBES = 20_000;

/** Candidates a statement filtering on `tagCount` tags examines at most. */
export const tagScanRows = (tagCount: number) => Math.max(1, Math.floor(TAG_SCAN_PROBES / tagCount));

function build(db: Db, shape: Shape) {
  const conditions: SQL[] = [eq(images.ownerId, sql.placeholder('userId'))];
  if (shape.from) conditions.push(gte(images.createdAt, sql.placeholder('from')));
  if (shape.until) conditions.push(lt(images.createdAt, sql.placeholder('until')));
  if (shape.sha256) conditions.push(eq(images.sha256, sql.placeholder('sha256')));
  if (shape.before) {
    // A row value, not `a < x OR (a = x AND id < y)`: SQLite turns it into a range on
    // images_owner_created_idx, so a page deep in the list starts at the cursor instead of
    // stepping over every newer row (test/support/list-plans.ts checks the plan).
    conditions.push(
      sql`("images"."created_at", "images"."id") < (${sql.placeholder('beforeAt')}, ${sql.placeholder('beforeId')})`,
    );
  }
  const newestFirst = [desc(images.createdAt), desc(images.id)];
  let page: ReturnType<typeof pageOf>;
  // Where a tag-filtered statement's scan ended (its last candidate), NULL when fewer remain.
  let scanEnd: SQL<string | null> = sql`NULL`;
  if (shape.tags) {
    // The last candidate this statement examines, newest first (a range of the covering list index).
    const nth = db
      .select({ createdAt: images.createdAt, id: images.id })
      .from(images)
      .where(and(...conditions))
      .orderBy(...newestFirst)
      .limit(1)
      .offset(sql.placeholder('scanLast'))
      .as('nth');
    // Tag names are unique per owner: the filter's tag ids, resolved once, each probed on the
    // image's (image_id, tag_id) key, and all of them there; one bound list, any length.
    const hasAll = sql`(SELECT count(*) FROM image_tags AS it WHERE it.image_id = "images"."id" AND it.tag_id IN (SELECT ft.id FROM tags AS ft WHERE ft.owner_id = ${sql.placeholder('userId')} AND ft.name IN (SELECT value FROM json_each(${sql.placeholder('tags')})))) = ${sql.placeholder('tagCount')}`;
    // Candidates down to the nth (all of them when fewer remain: an aggregate always gives one
    // row, -1 below every position): a lower end of the same index range, so the scan stops there
    // and the page still comes out in index order.
    const window = sql`("images"."created_at", "images"."id") >= (SELECT coalesce(max("nth"."created_at"), -1), coalesce(max("nth"."id"), -1) FROM ${nth})`;
    page = pageOf(db, and(...conditions, window, hasAll));
    scanEnd = sql<string | null>`(SELECT json_array("nth"."created_at", "nth"."id") FROM ${nth})`;
  } else {
    page = pageOf(db, and(...conditions));
  }
  // The user's row, then its page: no row when the user is gone, one with a NULL item when the
  // page is empty. The page (LIMIT, so never flattened into the join) comes out in its ORDER BY,
  // as the tags of an image do (images/queries tagsJson); test/support/list-plans.ts checks that
  // SQLite reads it from the list index, without a sort.
  return db
    .select({ ...sessionColumns(shape.kind), item: page.item, scanEnd: scanEnd.as('scan_end') })
    .from(users)
    .leftJoin(page, sql`1`)
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare();
}

/** A page of images selected by `where`, newest first, as JSON objects. */
const pageOf = (db: Db, where: SQL | undefined) =>
  db
    .select({ item: pageItem.as('item') })
    .from(images)
    .where(where)
    .orderBy(desc(images.createdAt), desc(images.id))
    .limit(sql.placeholder('limit'))
    .as('page');

const shapeOf = (kind: SessionKind, f: ListFilter): Shape => ({
  kind,
  tags: f.tags.length > 0,
  from: f.from !== undefined,
  until: f.until !== undefined,
  before: f.before !== undefined,
  sha256: f.sha256 !== undefined,
});

/** The statement for a shape, built the first time it is asked for on a database. */
const listStatement = perDatabase(
  build,
  (s: Shape) => `${s.kind}:${+s.tags}${+s.from}${+s.until}${+s.before}${+s.sha256}`,
);

/**
 * The statement a list read runs and its placeholder values (test/support/list-plans.ts explains
 * the same SQL). `checked: true` reads a later page of a list whose session was already checked:
 * the token statement, whatever the session's kind (no key to look up).
 */
export function listRead(db: Db, session: Session, filter: ListFilter, checked = false) {
  const kind: SessionKind = checked ? 'token' : kindOf(session);
  // No image carries more tags than this, so such a filter matches nothing: answered without
  // reading (its cost would be a probe per tag per candidate).
  const f = filter.tags.length > MAX_TAGS_PER_IMAGE ? { ...filter, tags: [], limit: 0 } : filter;
  const values = {
    ...(kind === 'key' ? placeholders(session) : { userId: session.userId }),
    limit: f.limit,
    ...(f.tags.length
      ? { tags: jsonList(f.tags), tagCount: f.tags.length, scanLast: tagScanRows(f.tags.length) - 1 }
      : {}),
    ...(f.from !== undefined ? { from: f.from } : {}),
    ...(f.until !== undefined ? { until: f.until } : {}),
    ...(f.before ? { beforeAt: f.before.createdAt, beforeId: f.before.id } : {}),
    ...(f.sha256 !== undefined ? { sha256: f.sha256 } : {}),
  };
  return { statement: listStatement(db, shapeOf(kind, f)), values };
}

/** A position in the newest-first order: where the next statement of a list starts. */
export interface ListPosition {
  createdAt: number;
  id: number;
}

/**
 * One statement: the session check's row (none when the user is gone) and a page of the user's
 * images matching `f`, newest first (`checked`: see listRead). `resume` is where the next page
 * starts when more may follow: after a full page, its last image; after a tag-filtered page that
 * stopped at tagScanRows candidates, the last candidate (the page may then be short, or empty).
 */
export async function pageWithSession(
  db: Db,
  session: Session,
  f: ListFilter,
  checked = false,
): Promise<{ session: SessionCheckRow[]; items: ImageRecord[]; resume?: ListPosition }> {
  const { statement, values } = listRead(db, session, f, checked);
  // Rows as arrays in select order: token version, key scope, item, scan end.
  const rows = (await guardedCall(db, () => statement.values(values))) as unknown as ArrayLike<unknown>[];
  const first = rows[0];
  if (!first) return { session: [], items: [] };
  const check = [{ tokenVersion: first[0] as number, keyScope: first[1] as string | null }];
  let items: ImageRecord[] = [];
  if (first[2] !== null) {
    // One parse for the page: the objects joined into one JSON array.
    let json = '[';
    for (let i = 0; i < rows.length; i++) json += (i ? ',' : '') + (rows[i] as ArrayLike<unknown>)[2];
    items = JSON.parse(`${json}]`) as ImageRecord[];
  }
  const last = items.at(-1);
  if (items.length >= f.limit && last)
    return { session: check, items, resume: { createdAt: last.createdAt, id: last.id } };
  const scanEnd = first[3];
  if (typeof scanEnd !== 'string') return { session: check, items };
  const [createdAt, id] = JSON.parse(scanEnd) as [number, number];
  return { session: check, items, resume: { createdAt, id } };
}
