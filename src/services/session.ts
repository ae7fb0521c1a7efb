import type { SessionCheckRow } from '../db/prepared';
import { type SessionRow, sessionRow } from '../db/session-queries';
import type { Session } from '../lib/session';
import type { ServiceDeps } from './deps';
import { Forbidden, Unauthenticated } from './errors';

/**
 * Services put `sessionRow` (db/session-queries) in the batch of their own reads, or read it in
 * the same statement (db/prepared), so a request pays one database round trip, then pass its
 * rows here.
 * Throws Unauthenticated unless the user still exists and the token is not revoked, or the key
 * is live; Forbidden when a read-only key asks to write.
 */
export function checkSession<R extends SessionCheckRow>(rows: readonly R[], session: Session): R {
  const user = rows[0];
  if (session.kind === 'key') {
    if (!user?.keyScope) throw new Unauthenticated('The API key is unknown, revoked or expired.');
    // A live key of this user: whatever it may do, the request is the user's.
    session.verified = true;
    if (session.write && user.keyScope !== 'read-write') {
      throw new Forbidden('This API key is read-only: it cannot change anything.');
    }
    return user;
  }
  if (!user || user.tokenVersion !== session.tokenVersion) {
    throw new Unauthenticated('The session has ended: log in again.');
  }
  session.verified = true;
  return user;
}

/**
 * For what must not happen on an unproven claim (reading a request body, counting usage): one
 * round trip unless a service already checked this request's session.
 */
export async function verifySession(deps: Pick<ServiceDeps, 'db'>, session: Session): Promise<void> {
  if (!session.verified) await currentUser(deps, session);
}

/** For requests with nothing else to read: one round trip. */
export async function currentUser(deps: Pick<ServiceDeps, 'db'>, session: Session): Promise<SessionRow> {
  return checkSession(await sessionRow(deps.db, session), session);
}
