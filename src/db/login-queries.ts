import { and, eq, lte, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Db } from './client';
import { loginThrottle, users } from './schema';

export type ThrottleScope = (typeof loginThrottle.$inferSelect)['scope'];

/** One throttle counter: whose, and where its window would end if a failure started one now. */
export interface ThrottleCounter {
  scope: ThrottleScope;
  key: string;
  /** now + the scope's window, in ms. */
  newResetAt: number;
}

const accountCounter = alias(loginThrottle, 'account_counter');
const addressCounter = alias(loginThrottle, 'address_counter');

/**
 * A login's one read: the user with this email, if any, and both throttle counters, in one
 * statement. It starts from a one-row source so the counters come back when no user matches.
 */
export function loginLookup(db: Db, email: string, accountKey: string, addressKey: string | undefined) {
  return db
    .select({
      userId: users.id,
      passwordHash: users.passwordHash,
      tokenVersion: users.tokenVersion,
      accountFailures: accountCounter.failures,
      accountResetAt: accountCounter.resetAt,
      addressFailures: addressCounter.failures,
      addressResetAt: addressCounter.resetAt,
    })
    .from(sql`(SELECT 1)`)
    .leftJoin(users, eq(users.email, email))
    .leftJoin(accountCounter, and(eq(accountCounter.scope, 'account'), eq(accountCounter.key, accountKey)))
    .leftJoin(
      addressCounter,
      and(eq(addressCounter.scope, 'address'), addressKey === undefined ? sql`0` : eq(addressCounter.key, addressKey)),
    )
    .limit(1);
}

/**
 * Counts one failure on each counter in one atomic upsert: a counter whose window has ended
 * starts a new one at 1. Returns the counts after this failure, so concurrent failures each see
 * their own number and none is lost.
 */
export function recordLoginFailure(db: Db, counters: ThrottleCounter[], now: number) {
  const windowOver = sql`${loginThrottle.resetAt} <= ${now}`;
  return db
    .insert(loginThrottle)
    .values(counters.map((c) => ({ scope: c.scope, key: c.key, failures: 1, resetAt: c.newResetAt })))
    .onConflictDoUpdate({
      target: [loginThrottle.scope, loginThrottle.key],
      set: {
        failures: sql`CASE WHEN ${windowOver} THEN 1 ELSE ${loginThrottle.failures} + 1 END`,
        resetAt: sql`CASE WHEN ${windowOver} THEN excluded.reset_at ELSE ${loginThrottle.resetAt} END`,
      },
    })
    .returning({ scope: loginThrottle.scope, failures: loginThrottle.failures, resetAt: loginThrottle.resetAt });
}

/** Forgets an account's failures (after a successful login). */
export const clearAccountFailures = (db: Db, accountKey: string) =>
  db.delete(loginThrottle).where(and(eq(loginThrottle.scope, 'account'), eq(loginThrottle.key, accountKey)));

/** Housekeeping: counters whose window has ended count nothing any more. */
export const pruneLoginCounters = (db: Db, now: number) =>
  db.delete(loginThrottle).where(lte(loginThrottle.resetAt, now)).returning({ key: loginThrottle.key });
