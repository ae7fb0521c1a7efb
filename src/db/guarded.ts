import { someCause } from '../lib/error-causes';
import { UnavailableError, withTimeout } from '../lib/unavailable';
import type { Db } from './client';

/** Driver messages that mean "try again": a busy or locked SQLite file, D1's transient faults. */
const TRANSIENT =
  /SQLITE_BUSY|database is locked|SQLITE_LOCKED|D1_ERROR.*(?:overloaded|reset|network|timed? ?out)|Network connection lost/i;

const isTransient = (err: unknown): boolean => someCause(err, (e) => TRANSIENT.test(e.message));

/**
 * The database as the services use it: a `batch` (every multi-statement write and most reads)
 * that does not answer within `timeoutMs`, or fails with a transient driver error, becomes an
 * `UnavailableError` (503 with Retry-After). A batch that timed out may still commit later, so
 * callers must not undo its effects (an upload then leaves its bytes for housekeeping).
 */
export function guardedDb(db: Db, timeoutMs: number): Db {
  const guard = <T>(work: Promise<T>): Promise<T> =>
    withTimeout(
      work.catch((err: unknown) => {
        throw isTransient(err) ? new UnavailableError('database', false, { cause: err }) : err;
      }),
      timeoutMs,
      () => new UnavailableError('database', true),
    );
  const batch: Db['batch'] = (statements) => guard(db.batch(statements));
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'batch') return batch;
      return Reflect.get(target, prop, receiver);
    },
  });
  guards.set(proxy, guard);
  return proxy;
}

const guards = new WeakMap<Db, <T>(work: Promise<T>) => Promise<T>>();

/**
 * A single statement run outside `batch` (the prepared reads, db/prepared.ts), under the same
 * timeout and transient-error rules when `db` is guarded.
 */
export function guardedCall<T>(db: Db, work: () => Promise<T> | T): Promise<T> {
  const guard = guards.get(db);
  // A synchronous driver answers (or throws) at once: both become the promise the guard judges.
  const running = Promise.resolve().then(work);
  return guard ? guard(running) : running;
}
