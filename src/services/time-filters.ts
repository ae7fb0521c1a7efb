/** Date filters: unix seconds (integer or float) or ISO 8601, turned into UTC millisecond bounds. */

const UNIX = /^-?\d+(\.(\d+))?$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
// A full ISO 8601 date-time; a zone is required so nothing depends on the server's time zone.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i;

const DAY_MS = 86_400_000;
// Year 1970 to 9999, comfortably inside what Date and SQLite integers handle.
const MAX_MS = 253_402_300_799_999;

export interface ParsedInstant {
  ms: number;
  /**
   * How much time the value names: a day for `YYYY-MM-DD`, a second for whole unix seconds or
   * `…T10:00:00Z`, a minute for `…T10:00Z`, less for fractions. An end bound includes all of it,
   * so `end_date` set to an image's own `created_at` (whole seconds) includes that image.
   */
  precisionMs: number;
}

/** 1000 ms for no fraction, 100 for one digit, 10 for two, 1 for three or more. */
const fractionPrecision = (fraction: string | undefined) => (fraction ? 10 ** Math.max(0, 3 - fraction.length) : 1000);

/** Parses one filter value; undefined when it is neither unix seconds nor ISO 8601. */
export function parseInstant(value: string): ParsedInstant | undefined {
  const text = value.trim();
  let ms: number;
  let precisionMs: number;
  const unix = UNIX.exec(text);
  const dateTime = DATE_TIME.exec(text);
  if (unix) {
    ms = Math.round(Number(text) * 1000);
    precisionMs = fractionPrecision(unix[2]);
  } else if (DATE_ONLY.test(text)) {
    ms = Date.parse(`${text}T00:00:00Z`);
    precisionMs = DAY_MS;
    // Date.parse rolls 2026-02-31 over; refuse instead.
    if (!Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) !== text) return undefined;
  } else if (dateTime) {
    ms = Date.parse(text.replace(' ', 'T'));
    precisionMs = dateTime[1] === undefined ? 60_000 : fractionPrecision(dateTime[2]);
  } else return undefined;
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_MS) return undefined;
  return { ms, precisionMs };
}

export interface TimeRange {
  /** Inclusive lower bound, UTC ms. */
  from?: number;
  /** Exclusive upper bound, UTC ms. */
  until?: number;
}

/** `start_date`: from that instant (a bare date: from its midnight UTC). */
export const rangeStart = (p: ParsedInstant): number => p.ms;

/** `end_date`: up to and including all the time it names (a bare date: that whole day). */
export const rangeEnd = (p: ParsedInstant): number => p.ms + p.precisionMs;

/** `date`: the UTC day that contains the instant. */
export function utcDay(p: ParsedInstant): Required<TimeRange> {
  const from = Math.floor(p.ms / DAY_MS) * DAY_MS;
  return { from, until: from + DAY_MS };
}

/** Intersects ranges; an empty intersection is still a valid (empty) range. */
export function intersect(a: TimeRange, b: TimeRange): TimeRange {
  const from = a.from === undefined ? b.from : b.from === undefined ? a.from : Math.max(a.from, b.from);
  const until = a.until === undefined ? b.until : b.until === undefined ? a.until : Math.min(a.until, b.until);
  return { ...(from !== undefined ? { from } : {}), ...(until !== undefined ? { until } : {}) };
}
