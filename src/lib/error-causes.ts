/**
 * Whether `err` or an error it wraps (through `cause`, as drizzle wraps a driver's error) passes
 * `test`. The walk stops after a few links so a cycle of causes cannot hang it.
 */
export function someCause(err: unknown, test: (e: Error) => boolean): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof Error && test(e)) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}
