import { and, eq, sql } from 'drizzle-orm';
import { unauthorized } from '../auth/middleware';
import { hashPassword, needsRehash, verifyPassword } from '../auth/password';
import { type IssuedToken, issueToken, type Session } from '../auth/token';
import type { Db } from '../db/client';
import { type UserRow, users } from '../db/schema';
import { isUniqueViolation, ServiceError } from './errors';
import { currentUser } from './session';

export interface AccountDeps {
  db: Db;
  clock: () => Date;
}

/** Emails compare case-insensitively: stored trimmed and lower-cased. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export async function register(deps: AccountDeps, email: string, password: string): Promise<UserRow> {
  const passwordHash = await hashPassword(password);
  const now = deps.clock().getTime();
  try {
    const [row] = await deps.db
      .insert(users)
      .values({ email: normalizeEmail(email), passwordHash, createdAt: now, updatedAt: now })
      .returning();
    if (!row) throw new Error('insert returned no row');
    return row;
  } catch (err) {
    if (isUniqueViolation(err)) throw new ServiceError(409, 'An account with this email already exists.');
    throw err;
  }
}

export const INVALID_CREDENTIALS = 'Invalid email or password.';

export async function login(
  deps: AccountDeps & { secret: string; ttlSeconds: number },
  email: string,
  password: string,
): Promise<{ user: UserRow; issued: IssuedToken }> {
  const [user] = await deps.db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(email)))
    .limit(1);
  // Always one full derivation, so an unknown email costs what a wrong password does.
  const ok = await verifyPassword(password, user?.passwordHash);
  // The same challenge header as every other 401, and one body for both causes.
  if (!user || !ok) throw unauthorized(INVALID_CREDENTIALS);
  // The password is at hand only now: move hashes made with older parameters to today's.
  if (needsRehash(user.passwordHash)) {
    await deps.db
      .update(users)
      .set({ passwordHash: await hashPassword(password), updatedAt: deps.clock().getTime() })
      .where(eq(users.id, user.id));
  }
  const issued = await issueToken(
    deps.secret,
    { userId: user.id, tokenVersion: user.tokenVersion },
    deps.ttlSeconds,
    deps.clock(),
  );
  return { user, issued };
}

/** Revokes every outstanding token of the user: one conditional update. */
export async function logout(deps: AccountDeps, session: Session): Promise<void> {
  // The route refuses keys first; this keeps the rule where the write is.
  if (session.kind === 'key') throw new ServiceError(403, 'An API key cannot log out.');
  const rows = await deps.db
    .update(users)
    .set({ tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: deps.clock().getTime() })
    .where(and(eq(users.id, session.userId), eq(users.tokenVersion, session.tokenVersion)))
    .returning({ id: users.id });
  if (rows.length === 0) throw unauthorized('The session has ended: log in again.');
}

export { currentUser };
