import { describe, expect, it } from 'vitest';
import { someCause } from '../../src/lib/error-causes';
import { isUniqueViolation } from '../../src/services/errors';

describe('someCause', () => {
  it('finds a match wrapped two causes down, as drizzle wraps a driver error', () => {
    const driver = new Error('SQLITE_CONSTRAINT: UNIQUE constraint failed: users.email');
    const wrapped = new Error('Failed query', { cause: new Error('batch failed', { cause: driver }) });
    expect(isUniqueViolation(wrapped)).toBe(true);
    expect(isUniqueViolation(new Error('Failed query', { cause: new Error('disk I/O error') }))).toBe(false);
  });

  it('ends on a cycle of causes instead of walking it forever', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.defineProperty(a, 'cause', { value: b });
    let seen = 0;
    const never = () => {
      seen++;
      return false;
    };
    expect(someCause(a, never)).toBe(false);
    expect(seen).toBe(5);
  });

  it('passes over causes that are not errors', () => {
    expect(someCause(new Error('x', { cause: 'a string' }), (e) => e.message === 'a string')).toBe(false);
    expect(someCause(undefined, () => true)).toBe(false);
  });
});
