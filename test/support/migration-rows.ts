/**
 * Checks that migrations keep existing rows, on any SQLite engine (D1 in the Workers pool,
 * libsql on Node and Bun): after each migration step every table gets rows made up from its
 * own columns (a parent row before the rows that reference it), and after the next step every
 * row that existed must still be there, found by its primary key.
 *
 * Nothing here names a table or a column: a new table or column is populated without editing
 * this file, so the check keeps up with the schema by itself.
 */

export type Row = Record<string, unknown>;

/** The little an engine must offer: run a statement, read rows as objects. */
export interface Sql {
  all(sql: string, params?: unknown[]): Promise<Row[]>;
  run(sql: string, params?: unknown[]): Promise<void>;
}

/** Bookkeeping tables of the migrators and the engines, never the app's data. */
const INTERNAL = /^(sqlite_|_cf_|d1_migrations$|__drizzle_migrations$)/;

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

interface Column {
  name: string;
  type: string;
  notnull: number;
  dflt_value: unknown;
  pk: number;
}

interface ForeignKey {
  table: string;
  from: string;
  to: string | null;
}

export async function userTables(db: Sql): Promise<string[]> {
  const rows = await db.all("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  return rows.map((r) => String(r.name)).filter((name) => !INTERNAL.test(name));
}

const columnsOf = async (db: Sql, table: string) =>
  (await db.all(`PRAGMA table_info(${quote(table)})`)) as unknown as Column[];
const foreignKeysOf = async (db: Sql, table: string) =>
  (await db.all(`PRAGMA foreign_key_list(${quote(table)})`)) as unknown as ForeignKey[];

/** Parents before children, so a row can point at a row made just before it. */
export async function inDependencyOrder(db: Sql, tables: string[]): Promise<string[]> {
  const parents = new Map<string, Set<string>>();
  for (const t of tables) {
    parents.set(t, new Set((await foreignKeysOf(db, t)).map((fk) => fk.table).filter((p) => p !== t)));
  }
  const ordered: string[] = [];
  const visit = (t: string, path: Set<string>) => {
    if (ordered.includes(t) || path.has(t)) return;
    path.add(t);
    for (const p of parents.get(t) ?? []) if (parents.has(p)) visit(p, path);
    ordered.push(t);
  };
  for (const t of tables) visit(t, new Set());
  return ordered;
}

/** A value of the column's type affinity (SQLite's rules), distinct for every call. */
function madeUp(column: Column, serial: string, n: number): unknown {
  const type = column.type.toUpperCase();
  if (type.includes('INT')) return 1_000_000 + n;
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return `${column.name}-${serial}`;
  if (type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB')) return n + 0.5;
  if (type === '' || type.includes('BLOB')) return `${column.name}-${serial}`;
  return n;
}

let counter = 0;

/**
 * Inserts `perTable` rows into every table, each filled from its own columns: an INTEGER
 * PRIMARY KEY is left to SQLite, a foreign key points at the newest row of its parent, a
 * column with a default keeps it, everything else gets a distinct made-up value. A table whose
 * constraints refuse such a row (a CHECK, say) is skipped and reported, not fatal: the rows of
 * the other tables still count.
 */
export async function populate(db: Sql, label: string, perTable = 2): Promise<{ skipped: Record<string, string> }> {
  const skipped: Record<string, string> = {};
  for (const table of await inDependencyOrder(db, await userTables(db))) {
    const columns = await columnsOf(db, table);
    const fks = await foreignKeysOf(db, table);
    const rowidAlias =
      columns.filter((c) => c.pk > 0).length === 1 && /^INTEGER$/i.test(columns.find((c) => c.pk > 0)?.type ?? '');
    for (let i = 0; i < perTable; i++) {
      const names: string[] = [];
      const values: unknown[] = [];
      try {
        for (const column of columns) {
          if (column.pk > 0 && rowidAlias) continue;
          const fk = fks.find((f) => f.from === column.name);
          if (fk) {
            // The newest parent row: a fresh one per step, so composite keys never collide.
            const to = fk.to ?? 'rowid';
            const [parent] = await db.all(
              `SELECT ${quote(to)} AS v FROM ${quote(fk.table)} ORDER BY rowid DESC LIMIT 1 OFFSET ?`,
              [i],
            );
            if (!parent) throw new Error(`no row in ${fk.table} to point at`);
            names.push(column.name);
            values.push(parent.v);
            continue;
          }
          if (column.dflt_value !== null && column.pk === 0) continue;
          names.push(column.name);
          values.push(madeUp(column, `${label}-${++counter}`, counter));
        }
        const sql = names.length
          ? `INSERT INTO ${quote(table)} (${names.map(quote).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`
          : `INSERT INTO ${quote(table)} DEFAULT VALUES`;
        await db.run(sql, values);
      } catch (err) {
        skipped[table] = err instanceof Error ? err.message : String(err);
        break;
      }
    }
  }
  return { skipped };
}

/** Every row of every table, by primary key (or the whole row when the table has none). */
export async function snapshot(db: Sql): Promise<Map<string, Set<string>>> {
  const result = new Map<string, Set<string>>();
  for (const table of await userTables(db)) {
    const key = (await columnsOf(db, table)).filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    const select = key.length ? key.map((c) => quote(c.name)).join(', ') : '*';
    const rows = await db.all(`SELECT ${select} FROM ${quote(table)}`);
    result.set(table, new Set(rows.map((r) => JSON.stringify(Object.values(r)))));
  }
  return result;
}

/**
 * What `after` lost of `before`: per table, how many of its rows are gone. A table dropped on
 * purpose must be named in `dropped`; its rows are then not counted.
 */
export function lostRows(
  before: Map<string, Set<string>>,
  after: Map<string, Set<string>>,
  dropped: readonly string[] = [],
): Record<string, number> {
  const lost: Record<string, number> = {};
  for (const [table, rows] of before) {
    if (dropped.includes(table)) continue;
    const now = after.get(table);
    const missing = now ? [...rows].filter((r) => !now.has(r)).length : rows.size;
    if (missing) lost[table] = missing;
  }
  return lost;
}
