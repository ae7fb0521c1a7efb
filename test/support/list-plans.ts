/**
 * The query plans of the image list, taken from the exact SQL the app issues: each case is the
 * prepared statement db/images/list-page `listRead` picks for the arguments services/images passes for
 * that request (v1: `limit + 1`; the legacy list: LEGACY_LIST_PAGE_ROWS-row pages, later ones without the key
 * check), with its placeholder values filled in. SQLite must walk images_owner_created_idx from
 * the caller's newest row (or the cursor, or the time bound) and stop after the page: then a
 * page costs the same at 100 or 100,000 images. A full `SCAN images` or a sort
 * (`USE TEMP B-TREE`) would grow with the count. A tag filter may match few images: its range
 * also ends at the last candidate the statement examines, or it would walk all of them.
 */
import { fillPlaceholders } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Db } from '../../src/db/client';
import { type ListFilter, listRead } from '../../src/db/images/list-page';
import { tagCounts } from '../../src/db/images/queries';
import type { Session } from '../../src/lib/session';
import { LEGACY_LIST_PAGE_ROWS } from '../../src/services/images';

export interface PlanRow {
  id: number;
  parent: number;
  detail: string;
}

const cursor = { createdAt: 1_700_000_000_000, id: 12_345 };
const from = 1_690_000_000_000;
const until = 1_710_000_000_000;
const V1_PAGE = 50 + 1;

const token: Session = { kind: 'token', userId: 7, tokenVersion: 0 };
const key: Session = { kind: 'key', userId: 7, keyHash: 'a'.repeat(64), at: 1_700_000_000_000, write: false };

/** name → the session and filter a request hands db/images/list-page, and whether it is a later legacy page. */
const CASES: [string, Session, ListFilter, boolean?][] = [
  ['v1 first page', token, { tags: [], limit: V1_PAGE }],
  ['v1 first page, API key', key, { tags: [], limit: V1_PAGE }],
  ['v1 next page (cursor)', token, { tags: [], before: cursor, limit: V1_PAGE }],
  ['v1 one tag', token, { tags: ['cat'], limit: V1_PAGE }],
  ['v1 two tags, cursor, API key', key, { tags: ['cat', 'garden'], before: cursor, limit: V1_PAGE }],
  ['v1 start_date', token, { tags: [], from, limit: V1_PAGE }],
  ['v1 end_date', token, { tags: [], until, limit: V1_PAGE }],
  ['v1 date (start and end)', token, { tags: [], from, until, limit: V1_PAGE }],
  ['v1 every filter, cursor', token, { tags: ['cat'], from, until, before: cursor, limit: V1_PAGE }],
  ['legacy first page', token, { tags: [], limit: LEGACY_LIST_PAGE_ROWS }],
  ['legacy next page', key, { tags: ['cat'], from, until, before: cursor, limit: LEGACY_LIST_PAGE_ROWS }, true],
  ['legacy fifty tags', token, { tags: Array.from({ length: 50 }, (_, i) => `t${i}`), limit: LEGACY_LIST_PAGE_ROWS }],
];

export const listPlanCases = (db: Db) =>
  CASES.map(([name, session, f, checked]) => {
    const { statement, values } = listRead(db, session, f, checked);
    const query = statement.getQuery();
    return {
      name,
      sql: query.sql,
      params: fillPlaceholders(query.params, values),
      // A tag filter's scan ends at its last candidate (db/images/list-page tagScanRows): a range too.
      bounded: f.before !== undefined || f.from !== undefined || f.until !== undefined || f.tags.length > 0,
    };
  });

/** Fails unless the plan reads the list index for the owner (a range on created_at when bounded). */
export function expectIndexedPlan(name: string, rows: PlanRow[], bounded: boolean) {
  const details = rows.map((r) => r.detail);
  const shown = `${name}:\n  ${details.join('\n  ')}`;
  const search = details.find((d) =>
    /^SEARCH images USING (COVERING )?INDEX images_owner_created_idx \(owner_id=\?/.test(d),
  );
  expect(search, shown).toBeDefined();
  if (bounded) expect(search, shown).toMatch(/\(owner_id=\? AND .*created_at/);
  expect(
    details.filter((d) => /^SCAN images\b/.test(d)),
    shown,
  ).toEqual([]);
  expect(
    details.filter((d) => d.includes('TEMP B-TREE')),
    shown,
  ).toEqual([]);
}

/** The tag list's read (db/images/queries tagCounts), as its SQL and parameters. */
export const tagCountPlanCase = (db: Db) => {
  const query = tagCounts(db, 7).toSQL();
  return { sql: query.sql, params: query.params };
};

/**
 * Fails unless the tag list reads only the owner's tags, in name order from their index: counting
 * image_tags instead grows with every image the owner has times its tags.
 */
export function expectTagCountPlan(rows: PlanRow[]) {
  const details = rows.map((r) => r.detail);
  const shown = `tag counts:\n  ${details.join('\n  ')}`;
  expect(details, shown).toEqual([
    expect.stringMatching(/^SEARCH tags USING INDEX tags_owner_name_unique \(owner_id=\?\)$/),
  ]);
}
