import { describe, expect, it } from 'vitest';
import { MAX_TAGS_PER_IMAGE } from '../../../src/limits';
import { checkTag, checkTagList, splitTagField } from '../../../src/services/tag-rules';

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
