import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../src/http/problem';
import { UploadSlots } from '../../src/http/upload-slots';

const refusal = (take: () => unknown) => {
  try {
    take();
  } catch (err) {
    if (err instanceof ProblemError) return { status: err.status, detail: err.detail, headers: err.headers };
    throw err;
  }
  throw new Error('was not refused');
};

describe('uploads in flight (UploadSlots)', () => {
  it('caps one user across addresses, and frees a slot when an upload ends', () => {
    const slots = new UploadSlots(2, 10);
    const a = slots.take(1, '192.0.2.1');
    slots.take(1, '192.0.2.2');
    expect(refusal(() => slots.take(1, '192.0.2.3'))).toEqual({
      status: 429,
      detail: 'Too many uploads in progress for this account (at most 2 at once). Retry when one ends.',
      headers: { 'Retry-After': '1' },
    });
    // Another user is not affected.
    slots.take(2, '192.0.2.3');
    a();
    slots.take(1, '192.0.2.3');
  });

  it('caps one address across users', () => {
    const slots = new UploadSlots(10, 3);
    for (const user of [1, 2, 3]) slots.take(user, '198.51.100.7');
    expect(refusal(() => slots.take(4, '198.51.100.7')).detail).toMatch(/from this address \(at most 3/);
    // No address known: only the per-user cap applies.
    slots.take(4, undefined);
  });

  it('refuses without taking anything, so a refused upload leaves no slot held', () => {
    const slots = new UploadSlots(1, 1);
    const release = slots.take(1, '203.0.113.1');
    // The address is full: the user's own count must not move either.
    refusal(() => slots.take(2, '203.0.113.1'));
    release();
    expect(slots.size).toBe(0);
    slots.take(2, '203.0.113.1');
  });

  it('counts a release once, however often it is called', () => {
    const slots = new UploadSlots(2, 2);
    const first = slots.take(1, 'x');
    slots.take(1, 'x');
    first();
    first();
    slots.take(1, 'x');
    expect(() => slots.take(1, 'x')).toThrow(ProblemError);
  });

  it('treats 0 as no cap', () => {
    const slots = new UploadSlots(0, 0);
    for (let i = 0; i < 100; i++) slots.take(1, 'same');
  });

  it('counts an IPv6 client by its /64 at the upload routes, as login throttling does', async () => {
    const { addressGroup } = await import('../../src/services/login-throttle');
    const slots = new UploadSlots(10, 2);
    slots.take(1, addressGroup('2001:db8:1:2::a'));
    slots.take(2, addressGroup('2001:db8:1:2::b'));
    expect(() => slots.take(3, addressGroup('2001:db8:1:2:ffff::c'))).toThrow(ProblemError);
    slots.take(3, addressGroup('2001:db8:1:3::c'));
  });
});
