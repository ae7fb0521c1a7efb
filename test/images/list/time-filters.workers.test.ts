import { describe, expect, it } from 'vitest';
import { intersect, parseInstant, rangeEnd, rangeStart, utcDay } from '../../../src/services/time-filters';

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
