/**
 * The review CI applies to every file in drizzle/ (docs/cloudflare.md, "Reviewing a migration"): a migration
 * may not drop or rebuild a table that other tables reference with ON DELETE CASCADE unless it
 * puts those tables' rows back. D1 applies each migration in a transaction with foreign keys
 * enforced and ignores drizzle-kit's `PRAGMA foreign_keys=OFF` there, so `DROP TABLE users`
 * deletes every row that cascades from `users` (test/migrations/migrations-keep-rows.workers.test.ts shows it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Snapshot {
  tables: Record<string, { foreignKeys: Record<string, { tableFrom: string; tableTo: string; onDelete?: string }> }>;
}

export interface Journal {
  entries: { idx: number; tag: string }[];
}

/** table → the tables whose rows are deleted with its rows (directly or further down). */
export function cascadingDependents(snapshot: Snapshot): Map<string, Set<string>> {
  const children = new Map<string, Set<string>>();
  for (const table of Object.values(snapshot.tables)) {
    for (const fk of Object.values(table.foreignKeys)) {
      if (fk.onDelete?.toLowerCase() !== 'cascade' || fk.tableFrom === fk.tableTo) continue;
      if (!children.has(fk.tableTo)) children.set(fk.tableTo, new Set());
      children.get(fk.tableTo)?.add(fk.tableFrom);
    }
  }
  const all = new Map<string, Set<string>>();
  for (const parent of children.keys()) {
    const found = new Set<string>();
    const queue = [...(children.get(parent) ?? [])];
    while (queue.length) {
      const t = queue.shift() as string;
      if (found.has(t)) continue;
      found.add(t);
      queue.push(...(children.get(t) ?? []));
    }
    all.set(parent, found);
  }
  return all;
}

const name = String.raw`[\`"\[]?([A-Za-z0-9_]+)[\`"\]]?`;
const DROP = new RegExp(String.raw`^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?${name}`, 'i');
const INSERT = new RegExp(String.raw`^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+${name}`, 'i');

export const statementsOf = (sql: string) =>
  sql
    .split(/-->\s*statement-breakpoint|;\s*\n/)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * What is wrong with one migration, given the schema before it: for each dropped (or rebuilt)
 * table, the cascading tables whose rows it does not insert again after the drop.
 */
export function reviewMigration(sql: string, before: Snapshot): string[] {
  const dependents = cascadingDependents(before);
  const statements = statementsOf(sql);
  const problems: string[] = [];
  statements.forEach((statement, at) => {
    const dropped = DROP.exec(statement)?.[1];
    if (!dropped) return;
    const refilled = new Set(
      statements
        .slice(at + 1)
        .map((s) => INSERT.exec(s)?.[1])
        .filter((t): t is string => t !== undefined),
    );
    const lost = [...(dependents.get(dropped) ?? [])].filter((t) => !refilled.has(t));
    if (lost.length) {
      problems.push(
        `DROP TABLE ${dropped} deletes every row of ${lost.join(', ')} on D1 (ON DELETE CASCADE; D1 ignores ` +
          'PRAGMA foreign_keys=OFF inside a migration): keep those rows aside before the DROP and INSERT them ' +
          'back after it, as docs/cloudflare.md "Reviewing a migration" shows',
      );
    }
  });
  return problems;
}

/** Every migration of `folder` reviewed against the snapshot of the one before it. */
export function reviewFolder(folder: string): { tag: string; problems: string[] }[] {
  const journal = JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as Journal;
  return journal.entries.map((entry, i) => {
    const previous = journal.entries[i - 1];
    if (!previous) return { tag: entry.tag, problems: [] }; // nothing exists before the first one
    const snapshotFile = join(folder, 'meta', `${String(previous.idx).padStart(4, '0')}_snapshot.json`);
    const before = JSON.parse(readFileSync(snapshotFile, 'utf8')) as Snapshot;
    return {
      tag: entry.tag,
      problems: reviewMigration(readFileSync(join(folder, `${entry.tag}.sql`), 'utf8'), before),
    };
  });
}
