import { env } from 'cloudflare:workers';
import { describe, it } from 'vitest';
import { d1Database } from '../../../src/db/client';
import {
  expectIndexedPlan,
  expectTagCountPlan,
  listPlanCases,
  type PlanRow,
  tagCountPlanCase,
} from '../../support/list-plans';

// The list's query plans on D1 (the same SQL on libsql: test/images/list/list-query-plans.node.test.ts).
describe('image list query plans on D1', () => {
  for (const c of listPlanCases(d1Database(env.DB))) {
    it(`${c.name} walks the list index`, async () => {
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${c.sql}`)
        .bind(...c.params)
        .all<PlanRow>();
      expectIndexedPlan(c.name, results, c.bounded);
    });
  }

  it('counts tags without reading image_tags', async () => {
    const c = tagCountPlanCase(d1Database(env.DB));
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${c.sql}`)
      .bind(...c.params)
      .all<PlanRow>();
    expectTagCountPlan(results);
  });
});
