import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../../src/db/libsql';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imageapi-migrate-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The migration files in order, each split into statements as drizzle writes them. */
const migrations = readdirSync(MIGRATIONS_FOLDER)
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .map((file) => ({
    file,
    statements: readFileSync(join(MIGRATIONS_FOLDER, file), 'utf8')
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter(Boolean),
  }));

describe('the migration adding images.verified', () => {
  // Found by what it does, not its name: merging other branches may renumber it.
  const at = migrations.findIndex((m) => m.statements.some((s) => /ALTER TABLE `images` ADD `verified`/.test(s)));

  it('exists', () => {
    expect(at).toBeGreaterThan(0);
  });

  it('keeps existing images, all verified', async () => {
    const client = createClient({ url: `file:${join(dir, 'app.db')}` });
    try {
      const apply = async (list: typeof migrations) => {
        for (const m of list) for (const s of m.statements) await client.execute(s);
      };
      await apply(migrations.slice(0, at));
      await client.execute("INSERT INTO users (email, password_hash) VALUES ('a@example.com', 'x')");
      await client.execute(
        `INSERT INTO images (owner_id, name, content_type, size, storage_key, sha256)
         VALUES (1, 'old.png', 'image/png', 3, 'images/old', 'abc')`,
      );
      await apply(migrations.slice(at));
      const rows = await client.execute('SELECT name, verified FROM images');
      expect(rows.rows.map((r) => ({ name: r.name, verified: r.verified }))).toEqual([
        { name: 'old.png', verified: 1 },
      ]);
    } finally {
      client.close();
    }
  });
});
