/**
 * Share-link tokens: `<link id>.<HMAC-SHA256 of it>`, both base64url. The id is 128 random bits
 * (stored in `share_links`); the MAC, under a key derived from AUTH_SECRET with HKDF, proves the
 * server issued it, so a forged or altered token is refused before the database is asked. The
 * token is not stored: a copy of the database alone cannot make working links.
 */

const ID_BYTES = 16;
const ID = /^[A-Za-z0-9_-]{22}$/;
const TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;
const INFO = 'imageapi share-link token v1';

// Spelled this way because Node's type set (tsconfig.node.json) has no global `CryptoKey`.
type Key = Awaited<ReturnType<typeof crypto.subtle.deriveKey>>;
const keys = new Map<string, Promise<Key>>();

// Once per isolate/process and secret: HKDF import and derivation are not free.
function keyFor(secret: string): Promise<Key> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle
      .importKey('raw', new TextEncoder().encode(secret), 'HKDF', false, ['deriveKey'])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(), info: new TextEncoder().encode(INFO) },
          base,
          { name: 'HMAC', hash: 'SHA-256', length: 256 },
          false,
          ['sign', 'verify'],
        ),
      );
    keys.set(secret, key);
  }
  return key;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export const isLinkId = (id: string) => ID.test(id);

export function newLinkId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(ID_BYTES)));
}

export async function linkToken(secret: string, id: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await keyFor(secret), new TextEncoder().encode(id));
  return `${id}.${base64url(new Uint8Array(mac))}`;
}

/** The link id a token carries, or undefined for anything this server did not sign. */
export async function readLinkToken(secret: string, token: string): Promise<string | undefined> {
  const match = TOKEN.exec(token);
  if (!match) return undefined;
  const [, id = '', mac = ''] = match;
  // 43 base64url characters carry 258 bits: only the canonical spelling of 32 bytes is ours.
  const bytes = fromBase64url(mac);
  if (base64url(bytes) !== mac) return undefined;
  const ok = await crypto.subtle.verify('HMAC', await keyFor(secret), bytes, new TextEncoder().encode(id));
  return ok ? id : undefined;
}
