/**
 * PBKDF2-SHA256 password hashing through WebCrypto (available on Workers, Node and Bun).
 * Stored as `<scheme>$<iterations>$<salt b64>$<hash b64>` so the cost can be raised later
 * without invalidating existing hashes. Passwords are prepared as RFC 8265's OpaqueString
 * profile says (non-ASCII spaces to U+0020, then NFC), so a password typed on a keyboard that
 * composes `é` differently still matches.
 */

/** Cloudflare Workers refuse PBKDF2 above 100,000 iterations (miniflare does not): keep it here. */
export const PBKDF2_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const HASH_BITS = 256;
/** Hashes of OpaqueString-prepared passwords. */
const SCHEME = 'pbkdf2-sha256-opaque';
/** Hashes of the password exactly as typed, from before preparation; rehashed at login. */
const RAW_SCHEME = 'pbkdf2-sha256';

/** RFC 8265 §4.2 OpaqueString: width-preserving; non-ASCII spaces map to U+0020; NFC. */
export function preparePassword(password: string): string {
  return password.replace(/(?!\u0020)\p{Zs}/gu, ' ').normalize('NFC');
}

import { withHashSlot } from './hash-gate';

const encoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  return withHashSlot(async () => {
    const key = await crypto.subtle.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveBits']);
    const bits = await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations },
      key,
      HASH_BITS,
    );
    return new Uint8Array(bits);
  });
}

/** Compares in time that depends only on the lengths, not on where the bytes differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(preparePassword(password), salt, PBKDF2_ITERATIONS);
  return `${SCHEME}$${PBKDF2_ITERATIONS}$${toBase64(salt)}$${toBase64(hash)}`;
}

interface ParsedHash {
  /** False for hashes of the raw password (before OpaqueString preparation). */
  prepared: boolean;
  iterations: number;
  salt: Uint8Array;
  hash: Uint8Array;
}

function parseHash(stored: string): ParsedHash | undefined {
  const [scheme, iter, salt, hash] = stored.split('$');
  const iterations = Number(iter);
  if ((scheme !== SCHEME && scheme !== RAW_SCHEME) || !Number.isInteger(iterations) || iterations < 1 || !salt || !hash)
    return undefined;
  if (iterations > PBKDF2_ITERATIONS) return undefined; // the runtime could not compute it anyway
  try {
    return { prepared: scheme === SCHEME, iterations, salt: fromBase64(salt), hash: fromBase64(hash) };
  } catch {
    return undefined;
  }
}

/**
 * Verified against when the email is unknown, so both failures cost one full derivation. A
 * constant, made once with `hashPassword` from a random password nobody kept: computing it at
 * run time cost the first login of every isolate a second 100,000-iteration derivation. A test
 * checks it still has today's parameters.
 */
export const DECOY_HASH =
  'pbkdf2-sha256-opaque$100000$s8Iw1swCA/NKv7lkpJ2SNQ==$5Kizj1743HfC87LSYe7H+UgcN3lZzXaVaEMQHCQive0=';
const decoy = parseHash(DECOY_HASH);

/**
 * Checks a password against a stored hash, or against a decoy when there is no user, so an
 * unknown email takes as long as a wrong password.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const real = stored === undefined ? undefined : parseHash(stored);
  // An unreadable stored hash is treated like a missing user: the work is done against the
  // decoy, and the answer is no even if the password happens to be the decoy's.
  const parsed = real ?? decoy;
  if (!parsed) return false;
  const prepared = preparePassword(password);
  const matches = async (candidate: string) =>
    constantTimeEqual(await derive(candidate, parsed.salt, parsed.iterations), parsed.hash);
  // An older hash was made from the password as typed; it may also have been typed in the
  // prepared form, so try that second (login then rehashes it in the prepared form).
  const ok = parsed.prepared
    ? await matches(prepared)
    : (await matches(password)) || (prepared !== password && (await matches(prepared)));
  return ok && real !== undefined;
}

/** True when a stored hash was made with weaker parameters than today's and should be redone. */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  return !parsed?.prepared || parsed.iterations < PBKDF2_ITERATIONS;
}
