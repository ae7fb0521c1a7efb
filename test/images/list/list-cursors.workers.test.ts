import { describe, expect, it } from 'vitest';
import { decodePageCursor, encodePageCursor } from '../../../src/services/cursor';

describe('cursors', () => {
  it('round-trips a position', () => {
    const position = { createdAt: 1_764_288_000_123, id: 42 };
    expect(decodePageCursor(encodePageCursor(position))).toEqual(position);
  });

  it.each(['', 'not a cursor!', btoa('[1]'), btoa('{"a":1}'), btoa('[1.5,2]'), btoa('[1,-2]')])(
    'refuses %j',
    (cursor) => {
      expect(decodePageCursor(cursor.replace(/=+$/, ''))).toBeUndefined();
    },
  );
});
