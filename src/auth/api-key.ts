/**
 * API keys: `iak_<user id>_<short id>_<secret>`. The first three parts are the visible prefix
 * shown in key lists (so a person can tell keys apart, and a leaked key's owner is known); the
 * secret is 32 random bytes. The user id rides in the key so that a request's own reads can be
 * scoped to its owner in the same database statement that checks the key: verifying a key costs
 * no round trip more than verifying a token. It is trusted only once the key's hash matched.
 *
 * Only SHA-256 of the whole key is stored. A fast unsalted hash is right here (unlike for
 * passwords): the secret has 256 bits of entropy, so no dictionary or brute-force search over
 * its hash is possible, and the lookup must be one indexed equality per request.
 */

export const API_KEY_PREFIX = 'iak_';

const SHORT_ID_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SHORT_ID_LENGTH = 8;
const SECRET_BYTES = 32;

const KEY = /^iak_([1-9][0-9]{0,15})_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  userId: number;
  /** `iak_<user id>_<short id>`. */
  prefix: string;
  /** SHA-256 of the whole key, hex. */
  hash: string;
}

const base64Url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

export async function hashApiKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export const looksLikeApiKey = (token: string) => token.startsWith(API_KEY_PREFIX);

/** A new key for the user: the secret to show once, and what is stored. */
export async function newApiKey(userId: number): Promise<ParsedApiKey & { key: string }> {
  // 36 does not divide 256: reject the top bytes so every character is equally likely.
  const short: string[] = [];
  while (short.length < SHORT_ID_LENGTH) {
    for (const b of crypto.getRandomValues(new Uint8Array(SHORT_ID_LENGTH * 2))) {
      if (b < 252 && short.length < SHORT_ID_LENGTH) short.push(SHORT_ID_CHARS[b % 36] as string);
    }
  }
  const prefix = `${API_KEY_PREFIX}${userId}_${short.join('')}`;
  const key = `${prefix}_${base64Url(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))}`;
  return { key, userId, prefix, hash: await hashApiKey(key) };
}

/** Undefined for anything that is not shaped like a key this server issues. */
export async function parseApiKey(key: string): Promise<ParsedApiKey | undefined> {
  const match = KEY.exec(key);
  if (!match) return undefined;
  const userId = Number(match[1]);
  if (!Number.isSafeInteger(userId)) return undefined;
  return { userId, prefix: `${API_KEY_PREFIX}${match[1]}_${match[2]}`, hash: await hashApiKey(key) };
}
