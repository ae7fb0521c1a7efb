import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUSY_TIMEOUT_MS, localDatabasePath, MIGRATIONS_FOLDER, openLibsql } from '../../src/db/libsql';
import { images, users } from '../../src/db/schema';
import { sweepOrphanBytes } from '../../src/services/housekeeping';
import { fsStore } from '../../src/storage/fs/fs-store';
import { memoryLogger } from '../support/node/servers';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imageapi-db-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
  entries: { tag: string }[];
};

describe('migrations folder', () => {
  it('has a journal entry for every .sql file and a file for every entry (libsql reads the journal, D1 the files)', () => {
    const files = readdirSync(MIGRATIONS_FOLDER)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => f.replace(/\.sql$/, ''))
      .sort();
    expect(journal.entries.map((e) => e.tag).sort()).toEqual(files);
    expect(files.length).toBeGreaterThan(0);
  });
});

describe('libsql database', () => {
  it('creates the file (and its folder), switches to WAL, enforces foreign keys and waits on locks', async () => {
    const url = `file:${join(dir, 'nested/deeper/app.db')}`;
    const database = await openLibsql({ url });
    try {
      expect(database.file).toBe(join(dir, 'nested/deeper/app.db'));
      const one = async (q: string) => (await database.client.execute(q)).rows[0]?.[0];
      expect(await one('PRAGMA journal_mode')).toBe('wal');
      expect(await one('PRAGMA foreign_keys')).toBe(1);
      expect(await one('PRAGMA busy_timeout')).toBe(BUSY_TIMEOUT_MS);
    } finally {
      database.close();
    }
  });

  it('applies every migration once, and again on reopen applies nothing', async () => {
    const url = `file:${join(dir, 'app.db')}`;
    const first = await openLibsql({ url });
    const tables = await first.client.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    expect(tables.rows.map((r) => r[0])).toEqual(expect.arrayContaining(['users', 'images', 'tags', 'image_tags']));
    await first.db.insert(users).values({ email: 'kept@example.com', passwordHash: 'x' });
    first.close();

    const second = await openLibsql({ url });
    try {
      const applied = await second.client.execute('SELECT count(*) FROM __drizzle_migrations');
      expect(applied.rows[0]?.[0]).toBe(journal.entries.length);
      const kept = await second.db.select().from(users).where(eq(users.email, 'kept@example.com'));
      expect(kept).toHaveLength(1);
      // The schema defaults work as on D1: milliseconds since the epoch, from SQLite itself.
      expect(Math.abs((kept[0]?.createdAt ?? 0) - Date.now())).toBeLessThan(60_000);
    } finally {
      second.close();
    }
  });

  it('batch() is all-or-nothing, as on D1', async () => {
    const database = await openLibsql({ url: `file:${join(dir, 'app.db')}` });
    try {
      const { db } = database;
      await db.insert(users).values({ email: 'taken@example.com', passwordHash: 'x' });
      await expect(
        db.batch([
          db.insert(users).values({ email: 'new@example.com', passwordHash: 'x' }),
          db.insert(users).values({ email: 'taken@example.com', passwordHash: 'y' }),
        ]),
      ).rejects.toThrow();
      expect(await db.select().from(users).where(eq(users.email, 'new@example.com'))).toEqual([]);
    } finally {
      database.close();
    }
  });

  it('cascades a user delete to their images, as the schema says (foreign keys on)', async () => {
    const database = await openLibsql({ url: `file:${join(dir, 'app.db')}` });
    try {
      const { db } = database;
      const [user] = await db.insert(users).values({ email: 'o@example.com', passwordHash: 'x' }).returning();
      await db.insert(images).values({
        ownerId: user?.id ?? 0,
        name: 'a.png',
        contentType: 'image/png',
        size: 1,
        storageKey: 'k1',
        sha256: '0'.repeat(64),
      });
      await db.delete(users).where(eq(users.id, user?.id ?? 0));
      expect(await db.select({ n: sql<number>`count(*)` }).from(images)).toEqual([{ n: 0 }]);
    } finally {
      database.close();
    }
  });

  it('works in memory too', async () => {
    const database = await openLibsql({ url: 'file::memory:' });
    try {
      expect(database.file).toBeUndefined();
      expect(await database.db.select().from(users)).toEqual([]);
    } finally {
      database.close();
    }
  });

  it.each([
    ['file:./data/imageapi.db', resolve('data/imageapi.db')],
    ['file:data/x.db', resolve('data/x.db')],
    ['file:/srv/x.db', '/srv/x.db'],
    ['file:///srv/x.db', '/srv/x.db'],
    ['file://localhost/srv/x.db', '/srv/x.db'],
    ['file:/srv/with%20space.db', '/srv/with space.db'],
    ['file::memory:', null],
    ['file::memory:?cache=shared', null],
    ['libsql://db.example.com', undefined],
    ['http://127.0.0.1:8080', undefined],
  ])('locates %s', (url, path) => {
    expect(localDatabasePath(url)).toBe(path);
  });
});

describe('housekeeping on Node: the sweep over libsql and the directory store', () => {
  it('deletes old bytes no row points at, keeps referenced and recent ones', async () => {
    const database = await openLibsql({ url: `file:${join(dir, 'app.db')}` });
    try {
      const store = fsStore(join(dir, 'images'));
      const put = (key: string) => store.put(key, new Blob(['bytes']), { contentType: 'image/png', size: 5 });
      await put('img/referenced');
      await put('img/orphan-old');
      await put('img/orphan-recent');
      const longAgo = new Date(Date.now() - 3 * 3600_000);
      for (const key of ['img/referenced', 'img/orphan-old']) await utimes(join(store.root, key), longAgo, longAgo);
      const [user] = await database.db.insert(users).values({ email: 'h@example.com', passwordHash: 'x' }).returning();
      await database.db.insert(images).values({
        ownerId: user?.id ?? 0,
        name: 'a.png',
        contentType: 'image/png',
        size: 5,
        storageKey: 'img/referenced',
        sha256: '0'.repeat(64),
      });

      const result = await sweepOrphanBytes({
        db: database.db,
        store,
        clock: () => new Date(),
        logger: memoryLogger(),
      });
      expect(result).toEqual({ scanned: 3, deleted: 1, pages: 1, passComplete: true });
      expect((await store.list({})).objects.map((o) => o.key)).toEqual(['img/orphan-recent', 'img/referenced']);
    } finally {
      database.close();
    }
  });
});

describe('text that is not valid UTF-8', () => {
  // What `json_each('["a\ud800b"]')` stored before tags were checked: the bytes 61 ED A0 80 62.
  const BAD = "CAST(X'61EDA08062' AS TEXT)";

  it('is repaired when the database opens, so reading it can no longer abort the process', async () => {
    const url = `file:${join(dir, 'bad.db')}`;
    const first = await openLibsql({ url });
    await first.client.execute("INSERT INTO users (id, email, password_hash) VALUES (1, 'u@example.com', 'x')");
    await first.client.execute(`INSERT INTO tags (id, owner_id, name) VALUES (1, 1, ${BAD})`);
    // A tag that the repaired one will collide with, on another image.
    await first.client.execute("INSERT INTO tags (id, owner_id, name) VALUES (2, 1, 'a\uFFFDb')");
    await first.client.execute(
      `INSERT INTO images (id, owner_id, name, content_type, size, storage_key, sha256) VALUES
         (1, 1, ${BAD}, 'image/png', 1, 'images/one', 'x'), (2, 1, 'two.png', 'image/png', 1, 'images/two', 'y')`,
    );
    await first.client.execute('INSERT INTO image_tags (image_id, tag_id, position) VALUES (1, 1, 0), (2, 2, 0)');
    const hexOf = async (q: string) => (await first.client.execute(q)).rows.map((r) => r[0]);
    expect(await hexOf('SELECT hex(name) FROM tags ORDER BY id')).toEqual(['61EDA08062', '61EFBFBD62']);
    first.close();

    const second = await openLibsql({ url });
    try {
      const tags = await second.client.execute('SELECT id, name FROM tags ORDER BY id');
      expect(tags.rows.map((r) => [r[0], r[1]])).toEqual([[2, 'a\uFFFDb']]);
      const links = await second.client.execute('SELECT image_id, tag_id FROM image_tags ORDER BY image_id');
      expect(links.rows.map((r) => [r[0], r[1]])).toEqual([
        [1, 2],
        [2, 2],
      ]);
      const names = await second.client.execute('SELECT name FROM images ORDER BY id');
      expect(names.rows.map((r) => r[0])).toEqual(['a\uFFFDb', 'two.png']);
    } finally {
      second.close();
    }
  });

  it('leaves valid non-ASCII text alone', async () => {
    const url = `file:${join(dir, 'good.db')}`;
    const first = await openLibsql({ url });
    await first.db.insert(users).values({ email: 'zoë@example.com', passwordHash: 'x' });
    first.close();
    const second = await openLibsql({ url });
    try {
      const [row] = await second.db.select().from(users);
      expect(row?.email).toBe('zoë@example.com');
    } finally {
      second.close();
    }
  });
});
