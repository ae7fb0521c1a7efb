/**
 * db/images/list-page `pageWithSession` against a plain select of the same rows (`withTags`, `toRecord`:
 * drizzle's own column mapping), on whichever driver `db` is: D1, `@libsql/client`, the local
 * synchronous driver. Each image comes back as JSON built by SQLite, so every field must survive
 * that round trip exactly: names and tags with quotes, backslashes, control characters, NUL,
 * emoji and other non-ASCII text, `verified` false, no dimensions.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Db } from '../../src/db/client';
import { type ListFilter, pageWithSession } from '../../src/db/images/list-page';
import { type ImageRecord, toRecord, withTags } from '../../src/db/images/queries';
import { apiKeys, images, imageTags, tags, users } from '../../src/db/schema';
import type { Session } from '../../src/lib/session';

const T0 = 1_700_000_000_000;

/** Text SQLite's JSON must carry unchanged. */
const AWKWARD = [
  'quote " and \\ backslash \\" \\\\u0041',
  "single ' and `back` and </script>",
  'control \u0001\u0008\u000b\u000c\u001f\u007f tab\tnew\nline\rreturn',
  'nul \u0000 inside',
  'line sep \u2028 para sep \u2029 bom \ufeff',
  'émoji 🐱‍👤 👩🏽‍🚀 中文 العربية',
  '𝔘'.repeat(255),
];

/** The reference: every image of the owner, newest first, through drizzle's column mapping. */
async function reference(db: Db, ownerId: number): Promise<ImageRecord[]> {
  const rows = await db
    .select(withTags)
    .from(images)
    .where(and(eq(images.ownerId, ownerId)))
    .orderBy(desc(images.createdAt), desc(images.id));
  return rows.map(toRecord);
}

async function newOwner(db: Db, email: string) {
  const [user] = await db.insert(users).values({ email, passwordHash: 'x', tokenVersion: 3 }).returning();
  if (!user) throw new Error('no user');
  return user;
}

/** Awkward names and tags; two images per instant (ties broken by id); some unverified, no size. */
export async function expectExactRoundTrip(db: Db, email: string) {
  const user = await newOwner(db, email);
  const session: Session = { kind: 'token', userId: user.id, tokenVersion: user.tokenVersion };
  const tagRows = await db
    .insert(tags)
    .values([...AWKWARD.map((name) => name.slice(0, 64)), 'plain'].map((name) => ({ ownerId: user.id, name })))
    .returning();
  for (const [i, name] of AWKWARD.entries()) {
    for (const verified of [true, false]) {
      const [image] = await db
        .insert(images)
        .values({
          ownerId: user.id,
          name,
          contentType: verified ? 'image/png' : 'application/octet-stream',
          size: 1 + i,
          storageKey: `k/${email}/${i}/${verified}`,
          sha256: (i * 2 + Number(verified)).toString(16).padStart(64, 'f'),
          width: verified ? 10 + i : null,
          height: verified ? 20 + i : null,
          verified,
          createdAt: T0 + i * 1000,
        })
        .returning();
      if (!image) throw new Error('no image');
      // Tags in an order of their own: the first image of an instant the reverse of the second.
      const order = verified ? [...tagRows].reverse() : tagRows;
      await db
        .insert(imageTags)
        .values(order.slice(0, 1 + i).map((t, position) => ({ imageId: image.id, tagId: t.id, position })));
    }
  }
  // Names as written: libsql's plain column read (the reference) cuts text at a NUL, which the
  // JSON SQLite builds keeps (D1 keeps it both ways).
  const all = (await reference(db, user.id)).map((r) => ({ ...r, name: AWKWARD[r.size - 1] as string }));
  expect(all).toHaveLength(AWKWARD.length * 2);

  const page = await pageWithSession(db, session, { tags: [], limit: 100 });
  expect(page.session).toEqual([{ tokenVersion: 3, keyScope: null }]);
  // toStrictEqual: the same keys, types (true, not 1; null, not undefined) and values.
  expect(page.items).toStrictEqual(all);
  expect(JSON.stringify(page.items)).toBe(JSON.stringify(all));
  expect(page.items.filter((r) => r.name === 'nul \u0000 inside')).toHaveLength(2);

  // Each filter shape against the reference filtered here.
  const cases: [ListFilter, (r: ImageRecord) => boolean][] = [
    [{ tags: ['plain'], limit: 100 }, (r) => r.tags.includes('plain')],
    [
      { tags: [AWKWARD[0]?.slice(0, 64) ?? '', AWKWARD[5]?.slice(0, 64) ?? ''], limit: 100 },
      (r) => r.tags.includes(AWKWARD[0]?.slice(0, 64) ?? '') && r.tags.includes(AWKWARD[5]?.slice(0, 64) ?? ''),
    ],
    [{ tags: [], from: T0 + 2000, limit: 100 }, (r) => r.createdAt >= T0 + 2000],
    [{ tags: [], until: T0 + 3000, limit: 100 }, (r) => r.createdAt < T0 + 3000],
  ];
  for (const [f, keep] of cases) {
    expect((await pageWithSession(db, session, f)).items, JSON.stringify(f)).toStrictEqual(all.filter(keep));
  }
  // Keyset pages of 3 (ending inside an instant's tie) give the whole list once, in order.
  const paged: ImageRecord[] = [];
  let before: ListFilter['before'];
  for (;;) {
    const { items } = await pageWithSession(db, session, { tags: [], before, limit: 3 }, true);
    paged.push(...items);
    const last = items.at(-1);
    if (items.length < 3 || !last) break;
    before = { createdAt: last.createdAt, id: last.id };
  }
  expect(paged).toStrictEqual(all);
}

/** The session check's row for tokens and keys, a user with no images, and one who is gone. */
export async function expectSessionRows(db: Db, email: string) {
  const user = await newOwner(db, email);
  const token: Session = { kind: 'token', userId: user.id, tokenVersion: user.tokenVersion };
  expect(await pageWithSession(db, token, { tags: [], limit: 10 })).toEqual({
    session: [{ tokenVersion: 3, keyScope: null }],
    items: [],
  });
  const keyHash = 'b'.repeat(60) + String(user.id).padStart(4, '0');
  await db.insert(apiKeys).values({ userId: user.id, prefix: 'iak_x', keyHash, scope: 'read', expiresAt: T0 });
  const key = (at: number, hash = keyHash): Session => ({
    kind: 'key',
    userId: user.id,
    keyHash: hash,
    at,
    write: false,
  });
  expect((await pageWithSession(db, key(T0 - 1), { tags: ['x'], limit: 10 })).session).toEqual([
    { tokenVersion: 3, keyScope: 'read' },
  ]);
  // Expired at the request's time; an unknown hash.
  expect((await pageWithSession(db, key(T0), { tags: [], limit: 10 })).session).toEqual([
    { tokenVersion: 3, keyScope: null },
  ]);
  expect((await pageWithSession(db, key(T0 - 1, 'c'.repeat(64)), { tags: [], limit: 10 })).session).toEqual([
    { tokenVersion: 3, keyScope: null },
  ]);
  await db.run(sql`DELETE FROM api_keys WHERE user_id = ${user.id}`);
  await db.delete(users).where(eq(users.id, user.id));
  expect(await pageWithSession(db, token, { tags: [], limit: 10 })).toEqual({ session: [], items: [] });
}

/**
 * A page whose JSON is over D1's 2 MB value limit (200 images with 255-character names and 50
 * tags of 64 four-byte characters: ~2.8 MB): one JSON value per image, so it still reads.
 */
export async function expectLargePage(db: Db, email: string) {
  const user = await newOwner(db, email);
  const session: Session = { kind: 'token', userId: user.id, tokenVersion: user.tokenVersion };
  const count = 200;
  await db.run(sql`INSERT INTO images (owner_id, name, content_type, size, storage_key, sha256, width, height, verified, created_at)
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${count})
    SELECT ${user.id}, ${'𝔘'.repeat(250)} || printf('%05d', i), 'image/png', 1, ${`large/${email}/`} || i, printf('%064x', i), 1, 1, 1, ${T0} + i
    FROM n`);
  await db.run(sql`INSERT INTO tags (owner_id, name)
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < 50)
    SELECT ${user.id}, ${'𝔙'.repeat(62)} || printf('%02d', i) FROM n`);
  await db.run(sql`INSERT INTO image_tags (image_id, tag_id, position)
    SELECT im.id, t.id, t.id FROM images AS im INNER JOIN tags AS t ON t.owner_id = im.owner_id WHERE im.owner_id = ${user.id}`);
  const all = await reference(db, user.id);
  expect(all).toHaveLength(count);
  expect(all.every((r) => r.tags.length === 50)).toBe(true);
  expect(new TextEncoder().encode(JSON.stringify(all)).length).toBeGreaterThan(2_500_000);
  const page = await pageWithSession(db, session, { tags: [], limit: 1000 });
  expect(page.items).toStrictEqual(all);
}
