import { describe, expect, it } from 'vitest';
import { etagMatches, parseRange } from '../../../src/http/range';

describe('ranges', () => {
  it.each([
    ['bytes=0-9', 100, { offset: 0, length: 10 }],
    ['bytes=90-', 100, { offset: 90, length: 10 }],
    ['bytes=-5', 100, { offset: 95, length: 5 }],
    ['bytes=-500', 100, { offset: 0, length: 100 }],
    ['bytes=95-500', 100, { offset: 95, length: 5 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    ['bytes=-0', 100, 'unsatisfiable'],
    ['bytes=5-1', 100, undefined],
    ['bytes=0-1,5-6', 100, undefined],
    ['items=0-1', 100, undefined],
    [undefined, 100, undefined],
  ])('%s of %d bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it('matches entity tags as If-None-Match does', () => {
    expect(etagMatches('"abc"', '"abc"')).toBe(true);
    expect(etagMatches('W/"abc"', '"abc"')).toBe(true);
    expect(etagMatches('"x", "abc"', '"abc"')).toBe(true);
    expect(etagMatches('*', '"abc"')).toBe(true);
    expect(etagMatches('"abd"', '"abc"')).toBe(false);
    expect(etagMatches(undefined, '"abc"')).toBe(false);
  });
});
