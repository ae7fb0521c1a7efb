import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchAround } from '../../../src/db/batch';
import type { Db } from '../../../src/db/client';
import { type UploadRow, uploadRows } from '../../../src/db/images/upload-rows';
import { openLibsql } from '../../../src/db/libsql';
import { apiKeys, images, imageTags, tags, users, userUsage } from '../../../src/db/schema';
import type { Session } from '../../../src/lib/session';

// The upload's batch is prepared once per database and shape, then bound to each upload's
// values (src/db/images/upload-rows.ts). D1 runs it in every upload scenario; here it runs on both local
// drivers (the `@libsql/client` one that remote URLs use, and the synchronous one `file:` URLs
// serve with), through the same statements several times with different values.
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imageapi-upload-rows-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const row = (storageKey: string, over: Partial<UploadRow> = {}): UploadRow => ({
  name: `${storageKey}.png`,
  contentType: 'image/png',
  size: 100,
  storageKey,
  sha256: storageKey.padEnd(64, '0'),
  width: 10,
  height: 20,
  verified: true,
  createdAt: 1_764_337_000_000,
  ...over,
});

async function upload(db: Db, session: Session, r: UploadRow, t: string[], maxImages = 0) {
  const rows = uploadRows(db, session, r, t, { maxBytes: 0, maxImages });
  const [[inserted], [sessionRows, usage]] = await batchAround(db, [rows.insert], rows.writes, [
    rows.session,
    rows.usage,
  ]);
  return { inserted, sessionRows, usage };
}

const tagsOf = (db: Db, key: string) =>
  db
    .select({ name: tags.name })
    .from(imageTags)
    .innerJoin(tags, eq(tags.id, imageTags.tagId))
    .innerJoin(images, eq(images.id, imageTags.imageId))
    .where(eq(images.storageKey, key))
    .orderBy(asc(imageTags.position))
    .then((rs) => rs.map((r) => r.name));

describe.each([
  ['@libsql/client', false],
  ['the synchronous driver', true],
])('the prepared upload batch on %s', (_name, serveSynchronously) => {
  it('binds each upload its own values: rows, tags in order, usage, quota and session refusals', async () => {
    const { db, close } = await openLibsql({ url: `file:${join(dir, 'app.db')}`, serveSynchronously });
    try {
      const [user] = await db.insert(users).values({ email: 'u@example.com', passwordHash: 'x' }).returning();
      if (!user) throw new Error('no user');
      const session: Session = { userId: user.id, tokenVersion: 0 };

      const first = await upload(db, session, row('a'), ['red', 'blue']);
      expect(first.inserted).toEqual([expect.objectContaining({ ...row('a'), ownerId: user.id })]);
      expect(first.usage).toEqual([{ imagesCount: 1, bytesStored: 100, maxImages: null, maxBytes: null }]);
      expect(await tagsOf(db, 'a')).toEqual(['red', 'blue']);

      // The same statements, other values: nothing of the first upload leaks into the second.
      const second = await upload(
        db,
        session,
        row('b', { size: 7, width: null, height: null, verified: false, name: 'zoë 😀.gif' }),
        ['blue', 'green'],
      );
      expect(second.inserted).toEqual([
        expect.objectContaining({ storageKey: 'b', size: 7, width: null, verified: false, name: 'zoë 😀.gif' }),
      ]);
      expect(await tagsOf(db, 'b')).toEqual(['blue', 'green']);
      const third = await upload(db, session, row('c'), []);
      expect(third.inserted).toHaveLength(1);
      expect(await tagsOf(db, 'c')).toEqual([]);
      expect(third.usage).toEqual([expect.objectContaining({ imagesCount: 3, bytesStored: 207 })]);

      // Over the image quota: no row, no tags, no usage change; the check rows explain why.
      const full = await upload(db, session, row('d'), ['red'], 3);
      expect(full.inserted).toEqual([]);
      expect(full.usage).toEqual([expect.objectContaining({ imagesCount: 3, bytesStored: 207 })]);
      expect(await tagsOf(db, 'd')).toEqual([]);

      // A token from before a logout: nothing written.
      await db.update(users).set({ tokenVersion: 1 }).where(eq(users.id, user.id));
      const stale = await upload(db, session, row('e'), ['red']);
      expect(stale.inserted).toEqual([]);
      expect(stale.sessionRows).toEqual([expect.objectContaining({ tokenVersion: 1, keyScope: null })]);

      // API keys: a read-write key writes, a read-only one does not.
      await db.insert(apiKeys).values([
        { userId: user.id, prefix: 'p1', keyHash: 'rw-hash', scope: 'read-write' },
        { userId: user.id, prefix: 'p2', keyHash: 'ro-hash', scope: 'read' },
      ]);
      const keySession = (keyHash: string): Session => ({
        kind: 'key',
        userId: user.id,
        keyHash,
        at: Date.now(),
        write: true,
      });
      const byKey = await upload(db, keySession('rw-hash'), row('f'), ['red']);
      expect(byKey.inserted).toHaveLength(1);
      expect(byKey.sessionRows).toEqual([expect.objectContaining({ keyScope: 'read-write' })]);
      const readOnly = await upload(db, keySession('ro-hash'), row('g'), ['red']);
      expect(readOnly.inserted).toEqual([]);
      expect(readOnly.sessionRows).toEqual([expect.objectContaining({ keyScope: 'read' })]);

      const stored = await db.select({ key: images.storageKey }).from(images).orderBy(images.id);
      expect(stored.map((s) => s.key)).toEqual(['a', 'b', 'c', 'f']);
      const totals = await db.select({ n: userUsage.imagesCount, bytes: userUsage.bytesStored }).from(userUsage);
      expect(totals).toEqual([{ n: 4, bytes: 307 }]);
    } finally {
      close();
    }
  });
});
