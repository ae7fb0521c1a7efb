import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, openLibsql } from '../../src/db/libsql';
import { userUsage } from '../../src/db/schema';

// The stored totals are never recounted, so the migration that adds them must count the images
// that already exist: applied to a database with data, every user's totals match their images.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imageapi-backfill-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

type Journal = { entries: { tag: string }[] };

/** A copy of the migrations folder that stops before the migration adding usage totals. */
function migrationsBeforeUsage(): string {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as Journal;
  const at = journal.entries.findIndex((e) => e.tag.endsWith('_usage_quotas_keys'));
  expect(at).toBeGreaterThan(0);
  const folder = join(dir, 'before');
  mkdirSync(join(folder, 'meta'), { recursive: true });
  for (const e of journal.entries.slice(0, at))
    cpSync(join(MIGRATIONS_FOLDER, `${e.tag}.sql`), join(folder, `${e.tag}.sql`));
  writeFileSync(
    join(folder, 'meta/_journal.json'),
    JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }),
  );
  return folder;
}

it('counts the images stored before the migration into each user’s totals', async () => {
  const url = `file:${join(dir, 'app.db')}`;
  const old = await openLibsql({ url, migrationsFolder: migrationsBeforeUsage() });
  await old.client.executeMultiple(`
    INSERT INTO users (id, email, password_hash) VALUES (1, 'a@example.com', 'x'), (2, 'b@example.com', 'x'), (3, 'c@example.com', 'x');
    INSERT INTO images (owner_id, name, content_type, size, storage_key, sha256) VALUES
      (1, 'a', 'image/png', 100, 'k1', 'h'), (1, 'b', 'image/png', 250, 'k2', 'h'), (2, 'c', 'image/gif', 7, 'k3', 'h');
  `);
  old.close();

  const current = await openLibsql({ url });
  try {
    const rows = await current.db.select().from(userUsage).orderBy(userUsage.userId);
    expect(rows).toEqual([
      { userId: 1, imagesCount: 2, bytesStored: 350, maxImages: null, maxBytes: null },
      { userId: 2, imagesCount: 1, bytesStored: 7, maxImages: null, maxBytes: null },
    ]);
  } finally {
    current.close();
  }
});
