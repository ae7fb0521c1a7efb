import { eq, lte, sql } from 'drizzle-orm';
import type { Db } from './client';
import { loginThrottle, users } from './schema';

export type ThrottleScope = (typeof loginThrottle.$inferSelect)['scope'];

/** One throttle counter: whose, its limit, and where its window would end if one opened now. */
export interface ThrottleCounter {
  scope: ThrottleScope;
  key: string;
  /** Attempts the window allows. */
  max: number;
  /** now + the scope's window, in ms. */
  newResetAt: number;
}

/** A counter as the database holds it (the window that `failures` counts in ends at resetAt). */
export interface CounterRow {
  scope: ThrottleScope;
  failures: number;
  resetAt: number;
}

const wanted = (counters: readonly ThrottleCounter[]) =>
  JSON.stringify(counters.map((c) => ({ scope: c.scope, key: c.key, max: c.max, resetAt: c.newResetAt })));

const field = (name: string) => sql.raw(`json_extract(value, '$.${name}')`);

/**
 * Reserves one attempt on every counter, or on none: in one statement, each counter gains one
 * (a counter whose window has ended starts a new one at 1) only if none of them is full. SQLite
 * computes an INSERT's SELECT before inserting when the SELECT reads the same table, so the
 * check sees every counter as it was and concurrent reservations are serialised: however many
 * run at once, no counter ever passes its limit. Returns the counters reserved (all, or none).
 */
export function reserveLoginAttempt(db: Db, counters: readonly ThrottleCounter[], now: number) {
  const list = wanted(counters);
  const windowOver = sql`${loginThrottle.resetAt} <= ${now}`;
  return db
    .insert(loginThrottle)
    .select(
      sql`SELECT ${field('scope')}, ${field('key')}, 1, ${field('resetAt')} FROM json_each(${list})
          WHERE NOT EXISTS (
            SELECT 1 FROM login_throttle AS held, json_each(${list}) AS w
            WHERE held.scope = json_extract(w.value, '$.scope') AND held.key = json_extract(w.value, '$.key')
              AND held.reset_at > ${now} AND held.failures >= json_extract(w.value, '$.max'))`,
    )
    .onConflictDoUpdate({
      target: [loginThrottle.scope, loginThrottle.key],
      set: {
        failures: sql`CASE WHEN ${windowOver} THEN 1 ELSE ${loginThrottle.failures} + 1 END`,
        resetAt: sql`CASE WHEN ${windowOver} THEN excluded.reset_at ELSE ${loginThrottle.resetAt} END`,
      },
    })
    .returning({ scope: loginThrottle.scope, key: loginThrottle.key, resetAt: loginThrottle.resetAt });
}

/** A reservation as reserveLoginAttempt returned it: the counter, and the window it counted in. */
export interface Reserved {
  scope: ThrottleScope;
  key: string;
  resetAt: number;
}

/**
 * Gives reserved attempts back (the password was right, or not every counter could be reserved),
 * each only in the window it was taken from: one that has ended and been restarted meanwhile
 * owes nothing.
 */
export function releaseLoginAttempt(db: Db, reserved: readonly Reserved[]) {
  const list = JSON.stringify(reserved);
  return db
    .update(loginThrottle)
    .set({ failures: sql`MAX(${loginThrottle.failures} - 1, 0)` })
    .where(
      sql`EXISTS (SELECT 1 FROM json_each(${list})
          WHERE json_extract(value, '$.scope') = ${loginThrottle.scope} AND json_extract(value, '$.key') = ${loginThrottle.key}
            AND json_extract(value, '$.resetAt') = ${loginThrottle.resetAt})`,
    );
}

/** The counters as they are (for a refusal's Retry-After). */
export function readLoginCounters(db: Db, counters: readonly ThrottleCounter[]) {
  return db
    .select({ scope: loginThrottle.scope, failures: loginThrottle.failures, resetAt: loginThrottle.resetAt })
    .from(loginThrottle)
    .where(
      sql`EXISTS (SELECT 1 FROM json_each(${wanted(counters)})
          WHERE json_extract(value, '$.scope') = ${loginThrottle.scope} AND json_extract(value, '$.key') = ${loginThrottle.key})`,
    );
}

/** The user a login names, if any. */
export const loginUser = (db: Db, email: string) =>
  db
    .select({
      id: users.id,
      passwordHash: users.passwordHash,
      tokenVersion: users.tokenVersion,
      deletingAt: users.deletingAt,
    })
    .from(users)
    .where(eq(users.email, email))
    .limit(1);

/** Housekeeping: counters whose window has ended count nothing any more. */
export const pruneLoginCounters = (db: Db, now: number) =>
  db.delete(loginThrottle).where(lte(loginThrottle.resetAt, now)).returning({ key: loginThrottle.key });
