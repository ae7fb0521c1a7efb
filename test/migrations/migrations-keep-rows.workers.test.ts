import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { D1Migration } from '@cloudflare/vitest-pool-workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { inDependencyOrder, lostRows, populate, type Sql, snapshot, userTables } from '../support/migration-rows';
import { REBUILD_USERS, REBUILD_USERS_SAFELY } from '../support/rebuild-users';

/**
 * Every migration in drizzle/, applied one at a time to a database holding rows, as
 * `wrangler d1 migrations apply` does it (each migration in one transaction, where D1 enforces
 * foreign keys and ignores `PRAGMA foreign_keys=OFF`): no step may lose a row.
 */
const db = env.MIGRATIONS_DB;
const sql: Sql = {
  all: async (query, params = []) =>
    (
      await db
        .prepare(query)
        .bind(...params)
        .all<Record<string, unknown>>()
    ).results,
  run: async (query, params = []) => {
    await db
      .prepare(query)
      .bind(...params)
      .run();
  },
};

/** Tables a migration removes on purpose: `{ '0007_name': ['table'] }`, with the reason beside it. */
const DROPPED_ON_PURPOSE: Record<string, readonly string[]> = {};

async function emptyDatabase() {
  // Children first; the bookkeeping table too, so every migration applies again.
  for (const table of (await inDependencyOrder(sql, await userTables(sql))).reverse())
    await sql.run(`DROP TABLE IF EXISTS "${table}"`);
  await sql.run('DROP TABLE IF EXISTS d1_migrations');
}

/** Applies `migrations` one by one to a populated database; returns what each step lost. */
async function applyStepByStep(migrations: D1Migration[]) {
  const report: { migration: string; lost: Record<string, number>; skipped: Record<string, string> }[] = [];
  for (const [i, migration] of migrations.entries()) {
    const before = await snapshot(sql);
    await applyD1Migrations(db, migrations.slice(0, i + 1));
    const lost = lostRows(before, await snapshot(sql), DROPPED_ON_PURPOSE[migration.name] ?? []);
    const { skipped } = await populate(sql, migration.name);
    report.push({ migration: migration.name, lost, skipped });
  }
  return report;
}

const rebuildUsers: D1Migration = { name: '9999_rebuild_users', queries: REBUILD_USERS };
const rebuildUsersKeepingDependents: D1Migration = { name: '9999_rebuild_users_safely', queries: REBUILD_USERS_SAFELY };

beforeEach(emptyDatabase);

describe('migrations keep existing rows (D1)', () => {
  it('applies every migration in order to a populated database without losing a row', async () => {
    const migrations = env.TEST_MIGRATIONS;
    expect(migrations.length).toBeGreaterThan(1);
    const report = await applyStepByStep(migrations);
    expect(report.filter((r) => Object.keys(r.lost).length)).toEqual([]);
    // The made-up rows must really have gone in, or the check above proves nothing.
    expect(report.at(-1)?.skipped).toEqual({});
    // One count per table: D1 caps the terms of a compound SELECT.
    for (const t of await userTables(sql)) {
      const [row] = await sql.all(`SELECT count(*) AS n FROM "${t}"`);
      expect(Number(row?.n), `rows in ${t}`).toBeGreaterThan(0);
    }
  });

  // What the check is for: drizzle-kit's rebuild of a table, applied by D1 with foreign keys on.
  it('catches what the issue describes: a drizzle-kit rebuild of users deletes every image, tag and link on D1', async () => {
    const report = await applyStepByStep([...env.TEST_MIGRATIONS, rebuildUsers]);
    const last = report.at(-1);
    expect(last?.migration).toBe('9999_rebuild_users');
    expect(last?.lost).toMatchObject({
      images: expect.any(Number),
      tags: expect.any(Number),
      image_tags: expect.any(Number),
    });
    expect(last?.lost.users).toBeUndefined();
  });

  // The way docs/cloudflare.md "Reviewing a migration" gives for such a change.
  it('keeps every row when the migration carries the cascading tables across', async () => {
    const report = await applyStepByStep([...env.TEST_MIGRATIONS, rebuildUsersKeepingDependents]);
    expect(report.at(-1)).toMatchObject({ migration: '9999_rebuild_users_safely', lost: {}, skipped: {} });
  });
});
