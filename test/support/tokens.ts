/**
 * Hand-made JWTs for the session tests: any header, any payload (even one that is not an
 * object), signed with HMAC under any hash, or not at all. jose refuses to make most of these,
 * which is the point.
 */

const encoder = new TextEncoder();

export function base64url(bytes: Uint8Array | string): string {
  const raw = typeof bytes === 'string' ? encoder.encode(bytes) : bytes;
  let binary = '';
  for (const b of raw) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function decodeSegment(segment: string): unknown {
  const binary = atob(segment.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
}

export type HmacHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

export async function hmac(secret: string, data: string, hash: HmacHash = 'SHA-256'): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(data)));
}

/** `header.payload.signature`; a string payload is used as the raw JSON text. */
export async function forgeJwt(
  header: Record<string, unknown>,
  payload: unknown,
  sign: { secret: string; hash?: HmacHash } | 'unsigned',
): Promise<string> {
  const body = `${base64url(JSON.stringify(header))}.${base64url(typeof payload === 'string' ? payload : JSON.stringify(payload))}`;
  if (sign === 'unsigned') return `${body}.`;
  return `${body}.${base64url(await hmac(sign.secret, body, sign.hash))}`;
}

/** The claims of a token the server issued (read, not verified). */
export function claimsOf(token: string): Record<string, unknown> {
  const [, payload = ''] = token.split('.');
  return decodeSegment(payload) as Record<string, unknown>;
}

/**
 * The token with one character of its signature changed. A middle character: the last one of
 * an unpadded base64url signature carries bits that decoders drop, so changing it may change
 * nothing.
 */
export function tamperSignature(token: string): string {
  const cut = token.lastIndexOf('.');
  const signature = token.slice(cut + 1);
  const at = Math.floor(signature.length / 2);
  const swapped = signature[at] === 'A' ? 'B' : 'A';
  return `${token.slice(0, cut + 1)}${signature.slice(0, at)}${swapped}${signature.slice(at + 1)}`;
}
