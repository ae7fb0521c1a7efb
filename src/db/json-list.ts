/**
 * One bound JSON array for `json_each`. Lone surrogates become U+FFFD here as a last line of
 * defence: JSON.stringify writes them as `\udXXX` escapes, which SQLite decodes into invalid
 * UTF-8 that libsql panics on when the row is read (the services refuse such text earlier).
 */
export const jsonList = (values: readonly string[]) => JSON.stringify(values.map((v) => v.toWellFormed()));
