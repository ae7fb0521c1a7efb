/**
 * Rules for any text that reaches storage. A string with an unpaired UTF-16 surrogate (JSON
 * `"\ud800"`) has no UTF-8 form: D1 stores it as U+FFFD, SQLite's JSON functions as invalid
 * bytes that libsql cannot read back. Such strings are refused, never repaired silently.
 */

export const NOT_WELL_FORMED = 'contains an unpaired UTF-16 surrogate (not valid Unicode text)';

/** True when every surrogate in `s` is paired: the string has a UTF-8 encoding. */
export const isWellFormed = (s: string) => s.isWellFormed();
