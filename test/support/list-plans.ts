/**
 * The query plans of the image list, taken from the exact SQL the app issues: each case is the
 * db/image-queries `listImages` builder called with the arguments services/images passes for
 * that request (v1: `limit + 1`; the legacy list: 1000-row pages), rendered by drizzle's
 * `.toSQL()`. SQLite must walk images_owner_created_idx from the caller's newest row (or the
 * cursor, or the time bound) and stop after the page: then a page costs the same at 100 or
 * 100,000 images. A full `SCAN images` or a sort (`USE TEMP B-TREE`) would grow with the count.
 */
import { expect } from 'vitest';
import type { Db } from '../../src/db/client';
import { type ListFilter, listImages } from '../../src/db/image-queries';

export interface PlanRow {
  id: number;
  parent: number;
  detail: string;
}

const cursor = { createdAt: 1_700_000_000_000, id: 12_345 };
const from = 1_690_000_000_000;
const until = 1_710_000_000_000;
const V1_PAGE = 50 + 1;

/** name → the filter a request hands the query builder. */
const CASES: [string, Omit<ListFilter, 'ownerId'>][] = [
  ['v1 first page', { tags: [], limit: V1_PAGE }],
  ['v1 next page (cursor)', { tags: [], before: cursor, limit: V1_PAGE }],
  ['v1 one tag', { tags: ['cat'], limit: V1_PAGE }],
  ['v1 two tags, cursor', { tags: ['cat', 'garden'], before: cursor, limit: V1_PAGE }],
  ['v1 start_date', { tags: [], from, limit: V1_PAGE }],
  ['v1 end_date', { tags: [], until, limit: V1_PAGE }],
  ['v1 date (start and end)', { tags: [], from, until, limit: V1_PAGE }],
  ['v1 every filter, cursor', { tags: ['cat'], from, until, before: cursor, limit: V1_PAGE }],
  ['legacy first page', { tags: [], limit: 1000 }],
  ['legacy next page', { tags: ['cat'], from, until, before: cursor, limit: 1000 }],
];

export const listPlanCases = (db: Db) =>
  CASES.map(([name, f]) => {
    const { sql, params } = listImages(db, { ownerId: 7, ...f }).toSQL();
    return { name, sql, params, bounded: f.before !== undefined || f.from !== undefined || f.until !== undefined };
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
