import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type LibsqlDatabase, openLibsql } from '../../../src/db/libsql';
import {
  expectIndexedPlan,
  expectTagCountPlan,
  listPlanCases,
  type PlanRow,
  tagCountPlanCase,
} from '../../support/list-plans';

// The list's query plans on libsql, as the Node and Bun servers open it (migrations applied).
describe('image list query plans on libsql', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imageapi-plans-'));
  let database: LibsqlDatabase;
  beforeAll(async () => {
    database = await openLibsql({ url: `file:${join(dir, 'plans.db')}` });
  });
  afterAll(() => {
    database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('covers every case', async () => {
    for (const c of listPlanCases(database.db)) {
      const rs = await database.client.execute({ sql: `EXPLAIN QUERY PLAN ${c.sql}`, args: c.params as never });
      const rows = rs.rows.map((r) => ({ id: Number(r.id), parent: Number(r.parent), detail: String(r.detail) }));
      expectIndexedPlan(c.name, rows satisfies PlanRow[], c.bounded);
    }
  });

  it('counts tags without reading image_tags', async () => {
    const c = tagCountPlanCase(database.db);
    const rs = await database.client.execute({ sql: `EXPLAIN QUERY PLAN ${c.sql}`, args: c.params as never });
    expectTagCountPlan(rs.rows.map((r) => ({ id: Number(r.id), parent: Number(r.parent), detail: String(r.detail) })));
  });
});
