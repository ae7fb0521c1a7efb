/**
 * Tokens that open one part of one upload session: `<expiry, unix seconds>.<HMAC-SHA256>`, the
 * MAC (under a key derived from AUTH_SECRET for this purpose alone) covering the upload id, the
 * part number, its exact length and the expiry. The token carries no credential of the user: a
 * browser or a script PUTs the part with it alone, and it opens nothing else.
 */
import { base64url, derivedHmacKey, fromBase64url } from './derived-key';

const INFO = 'imageapi upload part token v1';
const TOKEN = /^([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/;

export interface PartGrant {
  uploadId: string;
  partNumber: number;
  size: number;
}

const signed = (g: PartGrant, expires: number) =>
  new TextEncoder().encode(`${g.uploadId}\n${g.partNumber}\n${g.size}\n${expires}`);

export async function partToken(secret: string, grant: PartGrant, expiresAtMs: number): Promise<string> {
  const expires = Math.floor(expiresAtMs / 1000);
  const mac = await crypto.subtle.sign('HMAC', await derivedHmacKey(secret, INFO), signed(grant, expires));
  return `${expires}.${base64url(new Uint8Array(mac))}`;
}

/** Whether `token` opens exactly this part at `nowMs`: signed here, for it, and not expired. */
export async function opensPart(secret: string, token: string, grant: PartGrant, nowMs: number): Promise<boolean> {
  const match = TOKEN.exec(token);
  if (!match) return false;
  const [, expires = '', mac = ''] = match;
  if (Number(expires) * 1000 <= nowMs) return false;
  const bytes = fromBase64url(mac);
  if (base64url(bytes) !== mac) return false;
  return crypto.subtle.verify('HMAC', await derivedHmacKey(secret, INFO), bytes, signed(grant, Number(expires)));
}
