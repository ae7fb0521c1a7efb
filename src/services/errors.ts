/** Errors the services raise; they know nothing of HTTP, routes map them through ProblemError. */
export { ProblemError as ServiceError } from '../http/problem';

/** True when a driver error (D1 or libsql, possibly wrapped by drizzle) is a UNIQUE violation. */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof Error && /UNIQUE constraint failed/i.test(e.message)) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}
