import { describe, expect, it } from 'vitest';
import { inlineDisposition } from '../../../src/http/content-disposition';
import { etagMatches, parseRange } from '../../../src/http/range';
import { MAX_TAGS_PER_IMAGE } from '../../../src/limits';
import { decodePageCursor, encodePageCursor } from '../../../src/services/cursor';
import { displayName } from '../../../src/services/images';
import { checkTag, checkTagList, splitTagField } from '../../../src/services/tag-rules';
import { intersect, parseInstant, rangeEnd, rangeStart, utcDay } from '../../../src/services/time-filters';

describe('tag rules', () => {
  it('trims and NFC-normalises', () => {
    expect(checkTag('  cafe\u0301 ')).toEqual({ ok: true, tag: 'café' });
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['a\u0007b', /control/],
    ['line\u2028break', /control/],
    ['x'.repeat(65), /longer than 64/],
  ])('refuses %j naming it', (raw, why) => {
    const checked = checkTag(raw);
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.message).toMatch(why);
      expect(checked.message).toContain(JSON.stringify(raw.slice(0, 20)).slice(1, 5));
    }
  });

  it('counts characters, not UTF-16 units: 64 emoji are fine', () => {
    expect(checkTag('😀'.repeat(64)).ok).toBe(true);
    expect(checkTag('😀'.repeat(65)).ok).toBe(false);
  });

  it('drops duplicates keeping the first, after normalising', () => {
    expect(checkTagList(['b', 'a', ' b', 'cafe\u0301', 'café'])).toEqual({ ok: true, tags: ['b', 'a', 'café'] });
  });

  it(`allows ${MAX_TAGS_PER_IMAGE} distinct tags, not one more`, () => {
    const tags = Array.from({ length: MAX_TAGS_PER_IMAGE + 1 }, (_, i) => `t${i}`);
    expect(checkTagList(tags.slice(0, -1)).ok).toBe(true);
    expect(checkTagList(tags).ok).toBe(false);
    // Duplicates do not count towards the cap.
    expect(checkTagList([...tags.slice(0, -1), 't0']).ok).toBe(true);
  });

  it.each([
    [undefined, []],
    ['["cat","garden"]', ['cat', 'garden']],
    ['"cat"', ['cat']],
    ['cat,garden', ['cat', 'garden']],
    ['', []],
    [
      ['cat', 'a,b'],
      ['cat', 'a,b'],
    ],
    [
      ['["x"]', '["y","z"]'],
      ['x', 'y', 'z'],
    ],
  ])('reads the tags field %j', (value, tags) => {
    expect(splitTagField(value as string | string[] | undefined)).toEqual(tags);
  });

  it.each(['["cat"', '[1,2]', '"unterminated'])('refuses malformed JSON tags %j', (value) => {
    expect(splitTagField(value)).toHaveProperty('error');
  });
});

describe('time filters', () => {
  it.each([
    ['1764288000', 1_764_288_000_000, 1000],
    ['1764288000.5', 1_764_288_000_500, 100],
    ['1764288000.25', 1_764_288_000_250, 10],
    ['1764288000.125', 1_764_288_000_125, 1],
    ['2026-11-28', Date.parse('2026-11-28T00:00:00Z'), 86_400_000],
    ['2026-11-28T10:00Z', Date.parse('2026-11-28T10:00:00Z'), 60_000],
    ['2026-11-28T10:00:00Z', Date.parse('2026-11-28T10:00:00Z'), 1000],
    ['2026-11-28T10:00:00.5Z', Date.parse('2026-11-28T10:00:00.500Z'), 100],
    ['2026-11-28T10:00:00+02:00', Date.parse('2026-11-28T08:00:00Z'), 1000],
  ])('parses %s', (text, ms, precisionMs) => {
    expect(parseInstant(text)).toEqual({ ms, precisionMs });
  });

  it.each(['abc', '2026-02-31', '2026-11-28T10:00:00', '-5', '1e9', ''])('refuses %j', (text) => {
    expect(parseInstant(text)).toBeUndefined();
  });

  it('an end bound includes all the time it names: a day, a whole second, a millisecond', () => {
    const day = parseInstant('2026-11-28');
    const second = parseInstant('1764288000');
    const milli = parseInstant('1764288000.123');
    if (!day || !second || !milli) throw new Error('fixtures must parse');
    expect(rangeEnd(day) - rangeStart(day)).toBe(86_400_000);
    expect(rangeEnd(second)).toBe(second.ms + 1000);
    expect(rangeEnd(milli)).toBe(milli.ms + 1);
  });

  it('date is the UTC day containing the instant', () => {
    const p = parseInstant('2026-11-28T23:59:59Z');
    if (!p) throw new Error('must parse');
    expect(utcDay(p)).toEqual({ from: Date.parse('2026-11-28T00:00:00Z'), until: Date.parse('2026-11-29T00:00:00Z') });
  });

  it('intersects ranges', () => {
    expect(intersect({ from: 10 }, { from: 5, until: 20 })).toEqual({ from: 10, until: 20 });
    expect(intersect({}, {})).toEqual({});
  });
});

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

describe('file names', () => {
  it('keeps only the last path part, without control characters', () => {
    expect(displayName('../../etc/passwd.png', 'png')).toBe('passwd.png');
    expect(displayName('C:\\fakepath\\x.png', 'png')).toBe('x.png');
    expect(displayName('a\u0000b\u001f.png', 'png')).toBe('ab.png');
    expect(displayName('', 'jpg')).toBe('image.jpg');
    expect(displayName(undefined, 'gif')).toBe('image.gif');
  });

  it('puts the exact name in filename* and an ASCII stand-in in filename', () => {
    expect(inlineDisposition('日本 "photo".png')).toBe(
      `inline; filename="__ _photo_.png"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%20%22photo%22.png`,
    );
  });
});
