import { UnavailableError, withTimeout } from '../services/unavailable';
import type { Db } from './client';

/** Driver messages that mean "try again": a busy or locked SQLite file, D1's transient faults. */
const TRANSIENT =
  /SQLITE_BUSY|database is locked|SQLITE_LOCKED|D1_ERROR.*(?:overloaded|reset|network|timed? ?out)|Network connection lost/i;

function isTransient(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof Error && TRANSIENT.test(e.message)) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

/**
 * The database as the services use it: a `batch` (every multi-statement write and most reads)
 * that does not answer within `timeoutMs`, or fails with a transient driver error, becomes an
 * `UnavailableError` (503 with Retry-After). A batch that timed out may still commit later, so
 * callers must not undo its effects (an upload then leaves its bytes for housekeeping).
 */
export function guardedDb(db: Db, timeoutMs: number): Db {
  const batch: Db['batch'] = (statements) =>
    withTimeout(
      db.batch(statements).catch((err: unknown) => {
        throw isTransient(err) ? new UnavailableError('database', false, { cause: err }) : err;
      }),
      timeoutMs,
      () => new UnavailableError('database', true),
    );
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'batch') return batch;
      return Reflect.get(target, prop, receiver);
    },
  });
}
