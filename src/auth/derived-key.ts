/**
 * HMAC keys derived from AUTH_SECRET with HKDF, one per purpose (`info`), so a MAC made for one
 * purpose (a share link, a device cookie) is never accepted as another.
 */

// Spelled this way because Node's type set (tsconfig.node.json) has no global `CryptoKey`.
export type HmacKey = Awaited<ReturnType<typeof crypto.subtle.deriveKey>>;
const keys = new Map<string, Promise<HmacKey>>();

/** Once per isolate/process, secret and purpose: HKDF import and derivation are not free. */
export function derivedHmacKey(secret: string, info: string): Promise<HmacKey> {
  const id = `${info}\n${secret}`;
  let key = keys.get(id);
  if (!key) {
    key = crypto.subtle
      .importKey('raw', new TextEncoder().encode(secret), 'HKDF', false, ['deriveKey'])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(), info: new TextEncoder().encode(info) },
          base,
          { name: 'HMAC', hash: 'SHA-256', length: 256 },
          false,
          ['sign', 'verify'],
        ),
      );
    keys.set(id, key);
  }
  return key;
}

export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** What the MAC covers: the id, and `bound` (what it also vouches for without carrying it). */
const signed = (id: string, bound: string | undefined) =>
  new TextEncoder().encode(bound === undefined ? id : `${id}\n${bound}`);

/** `<id>.<MAC>`, both base64url; the id is 22 characters (128 bits). */
export async function signedId(key: Promise<HmacKey>, id: string, bound?: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await key, signed(id, bound));
  return `${id}.${base64url(new Uint8Array(mac))}`;
}

const SIGNED = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** The id of a value signedId made with this key and bound, or undefined for anything else. */
export async function readSignedId(key: Promise<HmacKey>, value: string, bound?: string): Promise<string | undefined> {
  const match = SIGNED.exec(value);
  if (!match) return undefined;
  const [, id = '', mac = ''] = match;
  // 43 base64url characters carry 258 bits: only the canonical spelling of 32 bytes is ours.
  const bytes = fromBase64url(mac);
  if (base64url(bytes) !== mac) return undefined;
  const ok = await crypto.subtle.verify('HMAC', await key, bytes, signed(id, bound));
  return ok ? id : undefined;
}

/** A fresh random id of the length signedId takes. */
export const newId = () => base64url(crypto.getRandomValues(new Uint8Array(16)));
