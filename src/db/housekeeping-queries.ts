import { eq } from 'drizzle-orm';
import type { Db } from './client';
import { housekeeping } from './schema';

/** A saved housekeeping value, or undefined. */
export async function readHousekeeping(db: Db, key: string): Promise<string | undefined> {
  const [row] = await db.select({ value: housekeeping.value }).from(housekeeping).where(eq(housekeeping.key, key));
  return row?.value;
}

/** Saves `value` under `key`, or forgets the key when `value` is undefined. One statement either way. */
export async function writeHousekeeping(db: Db, key: string, value: string | undefined, now: number): Promise<void> {
  if (value === undefined) {
    await db.delete(housekeeping).where(eq(housekeeping.key, key));
    return;
  }
  await db
    .insert(housekeeping)
    .values({ key, value, updatedAt: now })
    .onConflictDoUpdate({ target: housekeeping.key, set: { value, updatedAt: now } });
}
