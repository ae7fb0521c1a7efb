import { describe, expect, it, vi } from 'vitest';
import {
  constantTimeEqual,
  DECOY_HASH,
  hashPassword,
  needsRehash,
  PBKDF2_ITERATIONS,
  preparePassword,
  verifyPassword,
} from '../../../src/auth/password';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('constantTimeEqual', () => {
  it.each([
    ['equal', bytes(1, 2, 3), bytes(1, 2, 3), true],
    ['both empty', bytes(), bytes(), true],
    ['differ in the first byte', bytes(9, 2, 3), bytes(1, 2, 3), false],
    ['differ in the last byte', bytes(1, 2, 3), bytes(1, 2, 4), false],
    ['one bit apart', bytes(0b1000_0000), bytes(0), false],
    ['a prefix of the other', bytes(1, 2), bytes(1, 2, 3), false],
    ['longer than the other', bytes(1, 2, 3, 0), bytes(1, 2, 3), false],
    ['one empty', bytes(), bytes(0), false],
  ])('%s → %s', (_label, a, b, expected) => {
    expect(constantTimeEqual(a, b)).toBe(expected);
    expect(constantTimeEqual(b, a)).toBe(expected);
  });
});

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong or missing one', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
    expect(await verifyPassword('Correct horse battery staple', stored)).toBe(false);
    expect(await verifyPassword('correct horse battery staple', undefined)).toBe(false);
  });

  it('hashes the exact characters, including non-ASCII', async () => {
    const stored = await hashPassword('pässwörd 🔑');
    expect(await verifyPassword('pässwörd 🔑', stored)).toBe(true);
    expect(await verifyPassword('pässwörd 🗝', stored)).toBe(false);
  });

  it('prepares passwords as RFC 8265 OpaqueString: NFC, non-ASCII spaces to U+0020', async () => {
    const nfc = 'caf\u00e9 cr\u00e8me br\u00fbl\u00e9e';
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    expect(preparePassword(nfd)).toBe(nfc);
    expect(preparePassword('a\u00a0b\u2003c')).toBe('a b c');
    // Width is preserved (OpaqueString does no width mapping): full-width A stays itself.
    expect(preparePassword('\uff21')).toBe('\uff21');
    const stored = await hashPassword(nfd);
    expect(await verifyPassword(nfc, stored)).toBe(true);
    expect(await verifyPassword(nfd, stored)).toBe(true);
    expect(await verifyPassword('cafe creme brulee', stored)).toBe(false);
  });

  it('verifies an older hash of the raw password typed either way, and flags it for rehashing', async () => {
    const nfc = 'na\u00efve password';
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(nfc), 'PBKDF2', false, ['deriveBits']);
    const hash = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: PBKDF2_ITERATIONS },
        key,
        256,
      ),
    );
    const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u));
    const stored = `pbkdf2-sha256$${PBKDF2_ITERATIONS}$${b64(salt)}$${b64(hash)}`;
    expect(await verifyPassword(nfc, stored)).toBe(true);
    expect(await verifyPassword(nfc.normalize('NFD'), stored)).toBe(true);
    expect(await verifyPassword('naive password', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
  });

  it('still verifies hashes made with fewer iterations, and flags them for rehashing', async () => {
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('legacy password'), 'PBKDF2', false, [
      'deriveBits',
    ]);
    const hash = new Uint8Array(
      await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1000 }, key, 256),
    );
    const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u));
    const stored = `pbkdf2-sha256$1000$${b64(salt)}$${b64(hash)}`;
    expect(await verifyPassword('legacy password', stored)).toBe(true);
    expect(await verifyPassword('other password', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
    expect(needsRehash(await hashPassword('x'))).toBe(false);
  });

  it.each([
    '',
    'plain text',
    'pbkdf2-sha256$abc$AAAA$AAAA',
    'pbkdf2-sha256$0$AAAA$AAAA',
    'pbkdf2-sha256$100000$$AAAA',
    'pbkdf2-sha256$100000$AAAA$',
    'pbkdf2-sha256$100000$!!!$AAAA',
    `pbkdf2-sha256$${PBKDF2_ITERATIONS + 1}$AAAAAAAAAAAAAAAAAAAAAA==$AAAA`,
    'sha1$100000$AAAA$AAAA',
  ])('refuses every password against an unreadable stored hash %j', async (stored) => {
    expect(await verifyPassword('decoy password never matches', stored)).toBe(false);
    expect(await verifyPassword('anything at all', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
  });
});

describe('the decoy hash (unknown emails)', () => {
  it("is a constant with today's parameters: 16-byte salt, 32-byte hash", () => {
    expect(needsRehash(DECOY_HASH)).toBe(false);
    const [, iterations, salt, hash] = DECOY_HASH.split('$');
    expect(Number(iterations)).toBe(PBKDF2_ITERATIONS);
    expect(atob(salt ?? '')).toHaveLength(16);
    expect(atob(hash ?? '')).toHaveLength(32);
  });

  it('costs exactly one derivation, with the decoy salt, and never matches', async () => {
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    try {
      expect(await verifyPassword('anything at all', undefined)).toBe(false);
      expect(derive).toHaveBeenCalledTimes(1);
      const [params] = derive.mock.calls[0] ?? [];
      const salt = new Uint8Array((params as { salt: ArrayBuffer }).salt);
      expect(btoa(String.fromCharCode(...salt))).toBe(DECOY_HASH.split('$')[2]);
    } finally {
      derive.mockRestore();
    }
  });
});
