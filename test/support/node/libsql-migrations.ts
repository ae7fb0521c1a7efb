/**
 * The libsql side of the migration check (test/support/migration-rows.ts): every migration in
 * `folder` applied one at a time with drizzle's libsql migrator, exactly as the Node and Bun
 * servers apply them at start, to a database populated after each step. Runs in the vitest
 * process (Node) and as a script under Bun: `bun test/support/node/libsql-migrations.ts [folder]`
 * prints the report as one JSON line.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { MIGRATIONS_FOLDER } from '../../../src/db/libsql';
import { lostRows, populate, type Sql, snapshot } from '../migration-rows';

export interface StepReport {
  migration: string;
  lost: Record<string, number>;
  skipped: Record<string, string>;
}

interface Journal {
  entries: { idx: number; when: number; tag: string }[];
}

export async function applyStepByStep(folder = MIGRATIONS_FOLDER, extra: { tag: string; sql: string }[] = []) {
  const journal = JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as Journal;
  const work = mkdtempSync(join(tmpdir(), 'imageapi-migrations-'));
  const client = createClient({ url: `file:${join(work, 'check.db')}` });
  const sql: Sql = {
    all: async (query, args = []) => {
      const rs = await client.execute({ sql: query, args: args as never });
      return rs.rows.map((row) => Object.fromEntries(rs.columns.map((c, i) => [c, row[i]])));
    },
    run: async (query, args = []) => {
      await client.execute({ sql: query, args: args as never });
    },
  };
  try {
    // A copy of the folder whose journal grows by one entry per step.
    const steps = join(work, 'drizzle');
    mkdirSync(join(steps, 'meta'), { recursive: true });
    cpSync(folder, steps, { recursive: true });
    for (const e of extra) writeFileSync(join(steps, `${e.tag}.sql`), e.sql);
    const last = journal.entries.at(-1) ?? { idx: -1, when: 0, tag: '' };
    const entries = [
      ...journal.entries,
      // The migrator applies entries newer (`when`) than the last one applied.
      ...extra.map((e, i) => ({ ...last, idx: journal.entries.length + i, when: last.when + 1 + i, tag: e.tag })),
    ];
    const report: StepReport[] = [];
    const db = drizzle(client);
    for (let i = 0; i < entries.length; i++) {
      writeFileSync(
        join(steps, 'meta/_journal.json'),
        JSON.stringify({ ...journal, entries: entries.slice(0, i + 1) }),
      );
      const before = await snapshot(sql);
      await migrate(db, { migrationsFolder: steps });
      const lost = lostRows(before, await snapshot(sql));
      const migration = entries[i]?.tag ?? String(i);
      report.push({ migration, lost, skipped: (await populate(sql, migration)).skipped });
    }
    return report;
  } finally {
    client.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await applyStepByStep(process.argv[2])));
}
