import { getTableColumns, is, SQL, sql } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db } from './client';

/**
 * `INSERT INTO table SELECT <values> WHERE condition`: an insert that happens only while the
 * condition holds when the statement runs (inside its batch), so a rule checked by SQL (a quota,
 * a live session) cannot be raced past. Values are given like `.values()`; columns left out take
 * their defaults, so adding a column to the table needs no change here.
 */
export function insertWhere<T extends SQLiteTable>(db: Db, table: T, values: T['$inferInsert'], condition: SQL) {
  const given = values as Record<string, unknown>;
  const expressions = Object.entries(getTableColumns(table)).map(([key, column]) => {
    const value = given[key] !== undefined ? given[key] : column.defaultFn ? column.defaultFn() : column.default;
    if (value === undefined || value === null) return sql`NULL`;
    return is(value, SQL) ? value : sql.param(value, column);
  });
  // An INSERT … SELECT must list every column in table order (drizzle's rule for a raw select).
  return db.insert(table).select(sql`SELECT ${sql.join(expressions, sql`, `)} WHERE ${condition}`);
}
