import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { TokenSession } from '../lib/session';

export interface IssuedToken {
  token: string;
  expiresAt: number;
}

const ALG = 'HS256';
/**
 * A token is never issued in the future, but hosts' clocks (Node/Bun on several machines)
 * may disagree by a little: beyond this, an `iat` ahead of our clock is not a token we issued.
 */
export const ISSUED_AT_SKEW_SECONDS = 60;
/** `CryptoKey`, named the way both the Workers and the Node type sets know it. */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const keys = new Map<string, Promise<HmacKey>>();

/**
 * The HMAC key, imported once per isolate/process. Given raw bytes, jose imports a CryptoKey on
 * every sign and verify, which costs more than the HMAC itself; given a CryptoKey it uses it as is.
 */
function keyFor(secret: string): Promise<HmacKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    // A failed import is not kept: the next request tries again.
    key.catch(() => keys.delete(secret));
    keys.set(secret, key);
  }
  return key;
}

export async function issueToken(
  secret: string,
  session: TokenSession,
  ttlSeconds: number,
  now: Date,
): Promise<IssuedToken> {
  const iat = Math.floor(now.getTime() / 1000);
  const expiresAt = iat + ttlSeconds;
  const token = await new SignJWT({ ver: session.tokenVersion })
    .setProtectedHeader({ alg: ALG, typ: 'JWT' })
    .setSubject(String(session.userId))
    .setIssuedAt(iat)
    .setExpirationTime(expiresAt)
    .sign(await keyFor(secret));
  return { token, expiresAt };
}

interface Verified {
  secret: string;
  session: TokenSession;
  iat: number;
  exp: number;
}
/**
 * Tokens whose signature and claims already checked out, so a client sending the same token on
 * every request costs one HMAC per process/isolate rather than one per request. Only the time
 * checks depend on `now`, and they are made again on every hit. Bounded: oldest out first.
 */
const verified = new Map<string, Verified>();
export const VERIFIED_TOKENS_KEPT = 1024;

/** jose's own rules: expired when `exp` ≤ now (whole seconds); `iat` within our skew. */
function stillValid(entry: Verified, now: Date): boolean {
  return entry.exp > Math.floor(now.getTime() / 1000) && entry.iat <= now.getTime() / 1000 + ISSUED_AT_SKEW_SECONDS;
}

/** Returns the session a token carries, or undefined for any bad, expired or foreign token. */
export async function readToken(secret: string, token: string, now: Date): Promise<TokenSession | undefined> {
  const known = verified.get(token);
  if (known && known.secret === secret) return stillValid(known, now) ? { ...known.session } : undefined;
  try {
    const { payload } = await jwtVerify(token, await keyFor(secret), {
      algorithms: [ALG],
      currentDate: now,
      requiredClaims: ['sub', 'iat', 'exp'],
    });
    // We only ever issue the decimal id as a string: anything else (a number, '1e0', ' 1') is not ours.
    if (typeof payload.sub !== 'string' || !/^[1-9][0-9]{0,15}$/.test(payload.sub)) return undefined;
    const userId = Number(payload.sub);
    const tokenVersion = payload.ver;
    if (!Number.isSafeInteger(userId)) return undefined;
    if (typeof tokenVersion !== 'number' || !Number.isSafeInteger(tokenVersion)) return undefined;
    // jose has checked that iat is a number; it does not look at when.
    if (Number(payload.iat) > now.getTime() / 1000 + ISSUED_AT_SKEW_SECONDS) return undefined;
    const session = { userId, tokenVersion };
    // A token with claims we never issue (nbf) is not remembered; it is checked in full each time.
    if (payload.nbf === undefined) {
      if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value as string);
      verified.set(token, { secret, session, iat: Number(payload.iat), exp: Number(payload.exp) });
    }
    return { ...session };
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) return undefined;
    throw err;
  }
}
