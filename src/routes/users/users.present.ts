import type { Context } from 'hono';
import type { AppEnv } from '../../http/app-env';
import type { User } from '../../services/accounts';
import { isoTime, unixSeconds } from '../time-format';

// Explicit mapping: nothing but these fields can leave, whatever the row holds.
export const legacyUser = (u: User) => ({ id: u.id, email: u.email, created_at: unixSeconds(u.createdAt) });
export const v1User = (u: User) => ({ id: u.id, email: u.email, created_at: isoTime(u.createdAt) });

/** A token issued by a login, with its expiry as `expiresAt` writes it (after `expires_in`, as ever). */
export const presentLogin = <E>(
  issued: { token: string; expiresAt: number },
  ttlSeconds: number,
  expiresAt: (unixSeconds: number) => E,
) => ({
  token: issued.token,
  token_type: 'Bearer' as const,
  expires_in: ttlSeconds,
  expires_at: expiresAt(issued.expiresAt),
});

/** The token a password change issues (v1 only). */
export const presentToken = <E>(
  issued: { token: string; expiresAt: number },
  ttlSeconds: number,
  expiresAt: (unixSeconds: number) => E,
) => ({
  token: issued.token,
  token_type: 'Bearer' as const,
  expires_at: expiresAt(issued.expiresAt),
  expires_in: ttlSeconds,
});

// What the two surfaces' handlers (users.handlers.ts) differ in, stated once per surface.

/** `/api/v1/user`: ISO 8601 times, 204 on logout. */
export const v1 = {
  user: v1User,
  location: '/api/v1/user',
  expiresAt: (seconds: number) => isoTime(seconds * 1000),
  loggedOut: (c: Context<AppEnv>) => c.body(null, 204),
};

/** The original service: unix seconds, a message with 200 on logout. */
export const legacy = {
  user: legacyUser,
  location: '/api/user',
  expiresAt: (seconds: number) => seconds,
  loggedOut: (c: Context<AppEnv>) => c.json({ message: 'Logged out.' as const }, 200),
};

/** An account deletion that has more to do: the client repeats the request. */
export const deletionPending = () => ({
  status: 'deleting' as const,
  detail: 'The account is being deleted; repeat the request to carry on.',
});
