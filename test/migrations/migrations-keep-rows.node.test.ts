import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { applyStepByStep, type StepReport } from '../support/node/libsql-migrations';
import { BUN, ROOT } from '../support/node/servers';

// The Node and Bun servers apply drizzle/ with drizzle's libsql migrator at every start: each
// migration, applied in order to a database holding rows, must keep every row. (D1's side is
// test/migrations/migrations-keep-rows.workers.test.ts.)
function expectNoLoss(report: StepReport[]) {
  expect(report.length).toBeGreaterThan(1);
  expect(report.filter((r) => Object.keys(r.lost).length)).toEqual([]);
  // The made-up rows went in at the last step, so the check had rows to lose.
  expect(report.at(-1)?.skipped).toEqual({});
}

describe('migrations keep existing rows (libsql)', () => {
  it('on Node', async () => {
    expectNoLoss(await applyStepByStep());
  });

  it('on Bun', () => {
    const run = spawnSync(BUN, ['test/support/node/libsql-migrations.ts'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expectNoLoss(JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '[]') as StepReport[]);
  });

  it('would report a migration that drops rows', async () => {
    const report = await applyStepByStep(undefined, [{ tag: '9999_drop_tags', sql: 'DELETE FROM `tags`;' }]);
    expect(report.at(-1)).toMatchObject({ migration: '9999_drop_tags', lost: { tags: 2 * (report.length - 1) } });
  });
});
