/**
 * Share-link tokens: `<link id>.<HMAC-SHA256 of it>`, both base64url. The id is 128 random bits
 * (stored in `share_links`); the MAC, under a key derived from AUTH_SECRET with HKDF, proves the
 * server issued it, so a forged or altered token is refused before the database is asked. The
 * token is not stored: a copy of the database alone cannot make working links.
 */

import { derivedHmacKey, newId, readSignedId, signedId } from './derived-key';

const ID = /^[A-Za-z0-9_-]{22}$/;
const INFO = 'imageapi share-link token v1';

export const isLinkId = (id: string) => ID.test(id);

export const newLinkId = newId;

export const linkToken = (secret: string, id: string): Promise<string> => signedId(derivedHmacKey(secret, INFO), id);

/** The link id a token carries, or undefined for anything this server did not sign. */
export const readLinkToken = (secret: string, token: string): Promise<string | undefined> =>
  readSignedId(derivedHmacKey(secret, INFO), token);
