import { fillPlaceholders, sql } from 'drizzle-orm';
import type { Session } from '../../lib/session';
import type { Db } from '../client';
import { jsonList } from '../json-list';
import { kindOf, perDatabase, placeholders, type SessionKind, sessionPlaceholders, slot } from '../prepared';
import { sessionRow } from '../session-queries';
import { addToUsage, imageStored, type QuotaDefaults, usageOf } from '../usage-queries';
import { ensureTags, imageBySha256, imageIdByStorageKey, insertImage, linkTags, type NewImageRow } from './queries';

/**
 * The upload's batch (services/images.ts writeRows), built once per database and shape as drizzle
 * prepared statements with placeholders, then bound to each upload's values. Building the six
 * statements' SQL again per upload was a visible share of a Node upload's CPU, for text that
 * only changes with the session's kind and whether there are tags.
 *
 * The statements are the same builders the rest of the app uses (images/queries, usage-queries,
 * session-queries), given placeholders where a request gives values, so there is one definition
 * of each rule (quota, live session, tag order).
 */

/** What one upload writes: the image row's values, as insertImage takes them; the owner is the session's user. */
export type UploadRow = Omit<NewImageRow, 'id' | 'ownerId'> & { size: number; storageKey: string };

/** What the SQL text depends on: the session's check, and whether there are tags to write. */
interface Shape {
  kind: SessionKind;
  withTags: boolean;
  /** `on_duplicate=reject|return`: no row when the owner already has these bytes. */
  unique: boolean;
}

const ROW_KEYS = [
  'name',
  'contentType',
  'size',
  'storageKey',
  'sha256',
  'width',
  'height',
  'verified',
  'createdAt',
  'thumbhash',
] as const satisfies readonly (keyof UploadRow)[];

function build(db: Db, { kind, withTags, unique }: Shape) {
  const session = sessionPlaceholders(kind);
  const userId = slot<number>('userId');
  const storageKey = slot<string>('storageKey');
  const row = Object.fromEntries(ROW_KEYS.map((key) => [key, slot(key)])) as unknown as UploadRow;
  const quota: QuotaDefaults = { maxBytes: slot('maxBytes'), maxImages: slot('maxImages') };
  const stored = imageStored(storageKey);
  const tags = sql.placeholder('tags');
  return {
    insert: insertImage(db, session, { ...row, ownerId: userId }, quota, { unique }).prepare(),
    tags: withTags
      ? [
          ensureTags(db, userId, tags, stored).prepare(),
          linkTags(db, userId, imageIdByStorageKey(storageKey), tags, stored).prepare(),
        ]
      : [],
    usage: addToUsage(db, userId, slot<number>('size'), storageKey).prepare(),
    session: sessionRow(db, session).prepare(),
    usageRow: usageOf(db, userId).prepare(),
    duplicate: unique ? imageBySha256(db, userId, sql.placeholder('sha256')).prepare() : undefined,
  };
}

/** The statements, built the first time a shape is asked for on a database. */
const statements = perDatabase(build, (s: Shape) => `${s.kind}:${+s.withTags}${+s.unique}`);

/** What every driver's batch asks of an item: drizzle's prepared query for it. */
interface PreparedLike {
  getQuery(): { sql: string; params: unknown[] };
}

/**
 * A prepared statement with its placeholders filled, as a batch item: the prepared query itself
 * with this upload's parameters, which is what each drizzle driver's `batch` (D1, libsql, the
 * local synchronous one) takes from an item's `_prepare()`. Typed as the builder it was prepared
 * from, whose results it gives.
 */
function bound<B>(prepared: PreparedLike, values: Record<string, unknown>): B {
  const built = prepared.getQuery();
  const query = { ...built, params: fillPlaceholders(built.params, values) };
  const item = Object.assign(Object.create(prepared) as object, { query });
  return { _prepare: () => item } as unknown as B;
}

/**
 * The upload's statements, bound: `insert` (the image row, only while the session may write and
 * the image fits), the tag and usage writes that follow it only if it was written, and the
 * session and usage rows that explain a refusal.
 */
export function uploadRows(
  db: Db,
  session: Session,
  row: UploadRow,
  tags: readonly string[],
  quota: QuotaDefaults,
  unique = false,
) {
  const s = statements(db, { kind: kindOf(session), withTags: tags.length > 0, unique });
  const values: Record<string, unknown> = {
    // A row given without one has no placeholder yet (NULL), like a column left out of an insert.
    thumbhash: null,
    ...row,
    ...placeholders(session),
    maxBytes: quota.maxBytes,
    maxImages: quota.maxImages,
    tags: jsonList(tags),
  };
  return {
    insert: bound<ReturnType<typeof insertImage>>(s.insert, values),
    writes: [
      ...s.tags.map((t) => bound<ReturnType<typeof ensureTags>>(t, values)),
      bound<ReturnType<typeof addToUsage>>(s.usage, values),
    ],
    session: bound<ReturnType<typeof sessionRow>>(s.session, values),
    usage: bound<ReturnType<typeof usageOf>>(s.usageRow, values),
    /** With `unique`: the owner's image with these bytes, which explains an insert that wrote nothing. */
    duplicate: s.duplicate && bound<ReturnType<typeof imageBySha256>>(s.duplicate, values),
  };
}
