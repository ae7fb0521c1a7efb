/**
 * Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a successful
 * login hands the client `<nonce>.<HMAC of nonce and the account's email>`. A later login for the
 * same account that presents it is counted against that cookie's own small limit instead of the
 * limits shared with everyone at the same address or guessing the same account, so nobody else
 * can lock its holder out. Bound to the normalised email by the MAC, it names the account
 * without carrying it; it is worth nothing for another account, and without AUTH_SECRET nobody
 * can make one.
 */
import { derivedHmacKey, newId, readSignedId, signedId } from './derived-key';

export const DEVICE_COOKIE = 'login_device';
const INFO = 'imageapi device cookie v1';

/** A new device cookie value for `email` (normalised). */
export const newDeviceCookie = (secret: string, email: string): Promise<string> =>
  signedId(derivedHmacKey(secret, INFO), newId(), email);

/** The cookie's nonce when it was issued for `email` by this server; undefined otherwise. */
export const readDeviceCookie = (secret: string, email: string, value: string | undefined) =>
  value === undefined ? Promise.resolve(undefined) : readSignedId(derivedHmacKey(secret, INFO), value, email);
