import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc } from 'drizzle-orm';
import { rgbaToThumbHash } from 'thumbhash';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openLibsql } from '../../../src/db/libsql';
import { images } from '../../../src/db/schema';
import { fsStore } from '../../../src/storage/fs/fs-store';
import { avif, png } from '../../support/images';

// `npm run backfill:thumbhash` on images stored before placeholders existed: the script as an
// operator runs it, against a database and image directory of its own.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imageapi-thumbhash-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const base64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** The pixels test/support/images `png` draws. */
function gradient(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      rgba.set([(x * 255) / (width - 1), (y * 255) / (height - 1), 0x80, 0xff], (y * width + x) * 4);
    }
  return rgba;
}

it('gives verified decodable images their ThumbHash, leaves the rest and any already set', async () => {
  const url = `file:${join(dir, 'app.db')}`;
  const imagesDir = join(dir, 'images');
  const store = fsStore(imagesDir);
  const files: [string, Uint8Array, string][] = [
    ['images/a', await png(40, 30), 'image/png'],
    ['images/b', avif(), 'image/avif'],
    ['images/c', await png(40, 30), 'image/png'],
    ['images/d', await png(20, 10), 'image/png'],
  ];
  for (const [key, bytes, contentType] of files)
    await store.put(key, new Blob([Uint8Array.from(bytes)]), { contentType });
  const db = await openLibsql({ url });
  await db.client.executeMultiple(`
    INSERT INTO users (id, email, password_hash) VALUES (1, 'a@example.com', 'x');
    INSERT INTO images (id, owner_id, name, content_type, size, storage_key, sha256, width, height, verified, thumbhash) VALUES
      (1, 1, 'a', 'image/png', 1, 'images/a', 'h', 40, 30, 1, NULL),
      (2, 1, 'b', 'image/avif', 1, 'images/b', 'h', 3, 2, 1, NULL),
      (3, 1, 'c', 'image/png', 1, 'images/c', 'h', NULL, NULL, 0, NULL),
      (4, 1, 'd', 'image/png', 1, 'images/d', 'h', 20, 10, 1, 'kept');
  `);
  db.close();

  const run = spawnSync('npx', ['tsx', 'scripts/backfill-thumbhash.ts'], {
    env: { ...process.env, DATABASE_URL: url, IMAGES_DIR: imagesDir, AUTH_SECRET: 'x'.repeat(48) },
    encoding: 'utf8',
  });
  expect(run.stderr + run.stdout).toContain('examined 2 images without a thumbhash; gave 1 one');
  expect(run.status).toBe(0);

  const after = await openLibsql({ url });
  try {
    const rows = await after.db
      .select({ id: images.id, thumbhash: images.thumbhash })
      .from(images)
      .orderBy(asc(images.id));
    expect(rows).toEqual([
      { id: 1, thumbhash: base64(rgbaToThumbHash(40, 30, gradient(40, 30))) },
      { id: 2, thumbhash: null },
      { id: 3, thumbhash: null },
      { id: 4, thumbhash: 'kept' },
    ]);
  } finally {
    after.close();
  }
});
