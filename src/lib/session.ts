/** A login: a signed token (bearer or cookie). */
export interface TokenSession {
  kind?: 'token';
  userId: number;
  /** The user's token version when the token was issued; logout bumps the stored one. */
  tokenVersion: number;
}

/** An API key (src/auth/api-key.ts); whether it is live and may write is checked in the database. */
export interface KeySession {
  kind: 'key';
  /** Claimed by the key; trusted once the key's hash matched a row of this user. */
  userId: number;
  keyHash: string;
  /** The request's time (UTC ms): a key whose expiry is not after it is refused. */
  at: number;
  /** The request changes something (any method but GET, HEAD, OPTIONS): needs scope read-write. */
  write: boolean;
}

/**
 * Who a request acts for. Services check it against the database in the batch of their reads;
 * `verified` is set once such a check passed (services/session.ts checkSession): until then a key
 * is only a well-shaped string, and a token may have been revoked.
 */
export type Session = (TokenSession | KeySession) & { verified?: boolean };
