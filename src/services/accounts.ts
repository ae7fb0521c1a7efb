import { hashPassword, needsRehash, verifyPassword } from '../auth/password';
import { type IssuedToken, issueToken, type Session } from '../auth/token';
import { runAll, type Statement } from '../db/batch';
import { clearAccountFailures, loginLookup, recordLoginFailure } from '../db/login-queries';
import type { UserRow } from '../db/schema';
import { bumpTokenVersion, insertUser, setPasswordHash } from '../db/user-queries';
import type { Deps } from '../deps';
import { Conflict, Forbidden, isUniqueViolation, Unauthenticated } from './errors';
import { loginCounters, refuseIfOverLimit, refuseWhileThrottled } from './login-throttle';
import { currentUser } from './session';

/** Emails compare case-insensitively: stored trimmed and lower-cased. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function register(deps: Pick<Deps, 'db' | 'clock'>, email: string, password: string): Promise<UserRow> {
  const passwordHash = await hashPassword(password);
  const now = deps.clock().getTime();
  try {
    const [row] = await insertUser(deps.db, normalizeEmail(email), passwordHash, now);
    if (!row) throw new Error('insert returned no row');
    return row;
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict('An account with this email already exists.');
    throw err;
  }
}

export const INVALID_CREDENTIALS = 'Invalid email or password.';

/**
 * Checks the password under the login throttle (services/login-throttle): one read before the
 * password is checked (the user and both counters), one write after it (a failure counted, or
 * on success the account's counter cleared, if it had one).
 */
export async function login(
  deps: Pick<Deps, 'db' | 'clock'>,
  token: { secret: string; ttlSeconds: number },
  email: string,
  password: string,
  clientAddress: string | undefined,
): Promise<{ userId: number; issued: IssuedToken }> {
  const normalized = normalizeEmail(email);
  const now = deps.clock().getTime();
  const counters = await loginCounters(normalized, clientAddress, now);
  const [row] = await loginLookup(deps.db, normalized, counters.account.key, counters.address?.key);
  refuseWhileThrottled(
    [
      { scope: 'account', failures: row?.accountFailures ?? null, resetAt: row?.accountResetAt ?? null },
      { scope: 'address', failures: row?.addressFailures ?? null, resetAt: row?.addressResetAt ?? null },
    ],
    now,
  );
  const user =
    row?.userId != null && row.passwordHash != null && row.tokenVersion != null
      ? { id: row.userId, passwordHash: row.passwordHash, tokenVersion: row.tokenVersion }
      : undefined;
  // Always one full derivation, so an unknown email costs what a wrong password does.
  const ok = await verifyPassword(password, user?.passwordHash);
  if (!user || !ok) {
    const counted = await recordLoginFailure(
      deps.db,
      counters.address ? [counters.account, counters.address] : [counters.account],
      now,
    );
    refuseIfOverLimit(counted, now);
    // One refusal for both causes (no such user, wrong password).
    throw new Unauthenticated(INVALID_CREDENTIALS);
  }
  const writes: Statement[] = [];
  if (row?.accountFailures != null) writes.push(clearAccountFailures(deps.db, counters.account.key));
  // The password is at hand only now: move hashes made with older parameters to today's.
  if (needsRehash(user.passwordHash)) {
    writes.push(setPasswordHash(deps.db, user.id, await hashPassword(password), deps.clock().getTime()));
  }
  await runAll(deps.db, writes);
  const issued = await issueToken(
    token.secret,
    { userId: user.id, tokenVersion: user.tokenVersion },
    token.ttlSeconds,
    deps.clock(),
  );
  return { userId: user.id, issued };
}

/** Revokes every outstanding token of the user: one conditional update. */
export async function logout(deps: Pick<Deps, 'db' | 'clock'>, session: Session): Promise<void> {
  // The route refuses keys first; this keeps the rule where the write is.
  if (session.kind === 'key') throw new Forbidden('An API key cannot log out.');
  const rows = await bumpTokenVersion(deps.db, session.userId, session.tokenVersion, deps.clock().getTime());
  if (rows.length === 0) throw new Unauthenticated('The session has ended: log in again.');
}

export { currentUser };
