import { newDeviceCookie, readDeviceCookie } from '../auth/device-cookie';
import { hashPassword, needsRehash, verifyPassword } from '../auth/password';
import { type IssuedToken, issueToken } from '../auth/token';
import { runAll, type Statement } from '../db/batch';
import { loginUser, readLoginCounters, releaseLoginAttempt, reserveLoginAttempt } from '../db/login-queries';
import type { UserRow } from '../db/schema';
import { bumpTokenVersion, insertUser, setPasswordHash } from '../db/user-queries';
import type { Session } from '../lib/session';
import type { ServiceDeps } from './deps';
import { Conflict, Forbidden, isUniqueViolation, Unauthenticated } from './errors';
import { loginCounters, throttled } from './login-throttle';
import { currentUser } from './session';

/** Emails compare case-insensitively: stored trimmed and lower-cased. */
/** An account as the services hand it out (routes present it; they never import db/). */
export type User = UserRow;

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function register(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  email: string,
  password: string,
): Promise<UserRow> {
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
export const ACCOUNT_BEING_DELETED = 'This account is being deleted.';
export const WRONG_PASSWORD = 'The password is wrong.';

/**
 * The password check of a signed-in user confirming a change (password, email, deletion), under
 * the same throttle as a login for the account's email: the attempt is reserved before the
 * password is looked at (429 when a counter is full), kept when it was wrong (403), given back
 * when it was right.
 */
export async function confirmPassword(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  secret: string,
  user: { email: string; passwordHash: string },
  password: string,
  client: { address: string | undefined; deviceCookie: string | undefined },
): Promise<void> {
  const now = deps.clock().getTime();
  const device = await readDeviceCookie(secret, user.email, client.deviceCookie);
  const counters = await loginCounters(user.email, client.address, device, now);
  const [reserved, state] = await deps.db.batch([
    reserveLoginAttempt(deps.db, counters, now),
    readLoginCounters(deps.db, counters),
  ]);
  if (reserved.length < counters.length) {
    if (reserved.length > 0) await releaseLoginAttempt(deps.db, reserved);
    throw throttled(state, now);
  }
  if (!(await verifyPassword(password, user.passwordHash))) throw new Forbidden(WRONG_PASSWORD);
  await releaseLoginAttempt(deps.db, reserved);
}

/**
 * Checks the password under the login throttle (services/login-throttle): one batch reserves the
 * attempt and reads the user before the password is looked at; a refused reservation is a 429
 * with no password checked. A failure keeps its reservation (that is the count); a success gives
 * it back and hands out a new device cookie for the account.
 */
export async function login(
  deps: Pick<ServiceDeps, 'db' | 'clock'>,
  secrets: { secret: string; ttlSeconds: number },
  email: string,
  password: string,
  client: { address: string | undefined; deviceCookie: string | undefined },
): Promise<{ userId: number; issued: IssuedToken; deviceCookie: string }> {
  const normalized = normalizeEmail(email);
  const now = deps.clock().getTime();
  const device = await readDeviceCookie(secrets.secret, normalized, client.deviceCookie);
  const counters = await loginCounters(normalized, client.address, device, now);
  const [reserved, [row], state] = await deps.db.batch([
    reserveLoginAttempt(deps.db, counters, now),
    loginUser(deps.db, normalized),
    readLoginCounters(deps.db, counters),
  ]);
  if (reserved.length < counters.length) {
    // All or none by construction; should a part ever be taken, it is given back.
    if (reserved.length > 0) await releaseLoginAttempt(deps.db, reserved);
    throw throttled(state, now);
  }
  // Always one full derivation, so an unknown email costs what a wrong password does.
  const ok = await verifyPassword(password, row?.passwordHash);
  // One refusal for both causes (no such user, wrong password).
  if (!row || !ok) throw new Unauthenticated(INVALID_CREDENTIALS);
  // A token issued now would carry the version the deletion moved to: none is issued.
  if (row.deletingAt !== null) {
    await releaseLoginAttempt(deps.db, reserved);
    throw new Unauthenticated(ACCOUNT_BEING_DELETED);
  }
  const writes: Statement[] = [releaseLoginAttempt(deps.db, reserved)];
  // The password is at hand only now: move hashes made with older parameters to today's.
  if (needsRehash(row.passwordHash)) {
    writes.push(setPasswordHash(deps.db, row.id, await hashPassword(password), deps.clock().getTime()));
  }
  await runAll(deps.db, writes);
  const issued = await issueToken(
    secrets.secret,
    { userId: row.id, tokenVersion: row.tokenVersion },
    secrets.ttlSeconds,
    deps.clock(),
  );
  return { userId: row.id, issued, deviceCookie: await newDeviceCookie(secrets.secret, normalized) };
}

/** Revokes every outstanding token of the user: one conditional update. */
export async function logout(deps: Pick<ServiceDeps, 'db' | 'clock'>, session: Session): Promise<void> {
  // The route refuses keys first; this keeps the rule where the write is.
  if (session.kind === 'key') throw new Forbidden('An API key cannot log out.');
  const rows = await bumpTokenVersion(deps.db, session.userId, session.tokenVersion, deps.clock().getTime());
  if (rows.length === 0) throw new Unauthenticated('The session has ended: log in again.');
  // The bump matched the token's version: the session was live, and the request was its user's.
  session.verified = true;
}

export { currentUser };
