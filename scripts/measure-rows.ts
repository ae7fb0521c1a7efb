// What one image, tag and usage row costs in SQLite, for docs/scale.md: builds a database from
// the project's migrations (drizzle/) in a temporary file, fills it with rows shaped like the
// app's (random storage keys and digests, camera file names, three tags per image from a
// per-user vocabulary, a list thumbnail per image, a year of daily usage), and reads each
// table's and index's pages from SQLite's dbstat table. SQLite pages are 4 KiB here as on D1.
//
//   npm run measure:rows [-- --users 200 --images 500]
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { MIGRATIONS_FOLDER } from '../src/db/libsql';
import { mulberry32 } from './prng';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const USERS = arg('users', 200);
const IMAGES_PER_USER = arg('images', 500);
const TAGS_PER_IMAGE = 3;
const VOCABULARY = 40;
const DAYS = 365;
const OPERATIONS_PER_DAY = 5;
const OPERATIONS = ['listImages', 'getImageFile', 'uploadImage', 'getImage', 'getUsage', 'putImageTags'];

const random = mulberry32(24);
const hex = (bytes: number) =>
  Array.from({ length: bytes }, () =>
    Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('');
const word = () =>
  Array.from(
    { length: 4 + Math.floor(random() * 8) },
    () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 26)],
  ).join('');

const dir = mkdtempSync(join(tmpdir(), 'measure-rows-'));
const file = join(dir, 'rows.db');
const db = new Database(file);
try {
  for (const name of readdirSync(MIGRATIONS_FOLDER)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    for (const statement of readFileSync(join(MIGRATIONS_FOLDER, name), 'utf8').split('--> statement-breakpoint')) {
      if (statement.trim()) db.exec(statement);
    }
  }
  const insertUser = db.prepare('INSERT INTO users (email, password_hash) VALUES (?, ?) RETURNING id');
  const insertImage = db.prepare(
    `INSERT INTO images (owner_id, name, content_type, size, storage_key, sha256, width, height, created_at)
     VALUES (?, ?, 'image/jpeg', ?, ?, ?, 4032, 3024, ?) RETURNING id`,
  );
  const insertTag = db.prepare('INSERT INTO tags (owner_id, name) VALUES (?, ?) RETURNING id');
  const insertImageTag = db.prepare('INSERT INTO image_tags (image_id, tag_id, position) VALUES (?, ?, ?)');
  const insertVariant = db.prepare(
    'INSERT INTO image_variants (image_id, hash, key, stored, size, counted, created_at) VALUES (?, ?, ?, 1, ?, 0, ?)',
  );
  const insertUsage = db.prepare('INSERT INTO user_usage (user_id, images_count, bytes_stored) VALUES (?, ?, ?)');
  const insertDay = db.prepare(
    'INSERT INTO usage_days (user_id, day, bytes_uploaded, bytes_downloaded, uploads_refused) VALUES (?, ?, ?, ?, 0)',
  );
  const insertRequests = db.prepare('INSERT INTO usage_requests (user_id, day, operation, count) VALUES (?, ?, ?, ?)');

  const start = Date.UTC(2025, 0, 1);
  db.exec('BEGIN');
  for (let u = 0; u < USERS; u++) {
    const { id: userId } = insertUser.get(
      `${word()}.${word()}@example.com`,
      `pbkdf2-sha256$100000$${hex(16)}$${hex(32)}`,
    ) as {
      id: number;
    };
    const tagIds = Array.from({ length: VOCABULARY }, () => (insertTag.get(userId, word()) as { id: number }).id);
    for (let i = 0; i < IMAGES_PER_USER; i++) {
      const at = start + Math.floor(random() * DAYS * 86_400_000);
      const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
      const storageKey = `images/${randomUUID()}`;
      const { id: imageId } = insertImage.get(
        userId,
        `IMG_${stamp}.jpg`,
        2_000_000 + Math.floor(random() * 3_000_000),
        storageKey,
        hex(32),
        at,
      ) as {
        id: number;
      };
      const chosen = new Set<number>();
      while (chosen.size < TAGS_PER_IMAGE) chosen.add(tagIds[Math.floor(random() * VOCABULARY)] as number);
      for (const [position, tagId] of [...chosen].entries()) insertImageTag.run(imageId, tagId, position);
      const hash = hex(32);
      insertVariant.run(imageId, hash, `variants/${storageKey}/${hash}.webp`, 8_000 + Math.floor(random() * 8_000), at);
    }
    insertUsage.run(userId, IMAGES_PER_USER, IMAGES_PER_USER * 3_500_000);
    for (let d = 0; d < DAYS; d++) {
      const day = new Date(start + d * 86_400_000).toISOString().slice(0, 10);
      insertDay.run(userId, day, Math.floor(random() * 50_000_000), Math.floor(random() * 500_000_000));
      const ops = new Set<string>();
      while (ops.size < OPERATIONS_PER_DAY) ops.add(OPERATIONS[Math.floor(random() * OPERATIONS.length)] as string);
      for (const op of ops) insertRequests.run(userId, day, op, 1 + Math.floor(random() * 200));
    }
  }
  db.exec('COMMIT');
  db.exec('VACUUM');

  const owners = new Map(
    (
      db.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')").all() as {
        name: string;
        tbl_name: string;
      }[]
    ).map((r) => [r.name, r.tbl_name]),
  );
  const pages = db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all() as {
    name: string;
    bytes: number;
  }[];
  const byTable = new Map<string, { table: number; indexes: number }>();
  for (const { name, bytes } of pages) {
    const table = owners.get(name) ?? name;
    const entry = byTable.get(table) ?? { table: 0, indexes: 0 };
    if (table === name) entry.table += bytes;
    else entry.indexes += bytes;
    byTable.set(table, entry);
  }
  const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  const rows = [
    'images',
    'image_tags',
    'tags',
    'image_variants',
    'usage_days',
    'usage_requests',
    'users',
    'user_usage',
  ].map((table) => {
    const n = count(table);
    const { table: t, indexes } = byTable.get(table) ?? { table: 0, indexes: 0 };
    return {
      table,
      rows: n,
      tableBytes: t,
      indexBytes: indexes,
      bytesPerRow: Math.round((t + indexes) / Math.max(n, 1)),
    };
  });
  const size = statSync(file).size;
  const images = count('images');
  const perImage = ['images', 'image_tags', 'image_variants'].reduce((sum, t) => {
    const r = rows.find((x) => x.table === t);
    return sum + (r ? r.tableBytes + r.indexBytes : 0);
  }, 0);
  const perDay = ['usage_days', 'usage_requests'].reduce((sum, t) => {
    const r = rows.find((x) => x.table === t);
    return sum + (r ? r.tableBytes + r.indexBytes : 0);
  }, 0);
  console.log(
    `SQLite ${(db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v}, page size ${(db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size} B`,
  );
  console.log(
    `${USERS} users × ${IMAGES_PER_USER} images, ${TAGS_PER_IMAGE} tags each from ${VOCABULARY} per user, a thumbnail each, ${DAYS} days of usage (${OPERATIONS_PER_DAY} operations a day)\n`,
  );
  console.log('| table | rows | table bytes | index bytes | bytes per row (with its indexes) |');
  console.log('|---|--:|--:|--:|--:|');
  for (const r of rows)
    console.log(`| ${r.table} | ${r.rows} | ${r.tableBytes} | ${r.indexBytes} | ${r.bytesPerRow} |`);
  console.log(
    `\nfile: ${size} B; per image (its row, ${TAGS_PER_IMAGE} tag links and a thumbnail row, with indexes): ${Math.round(perImage / images)} B`,
  );
  console.log(
    `per user and active day (a usage_days row and ${OPERATIONS_PER_DAY} usage_requests rows): ${Math.round(perDay / (USERS * DAYS))} B`,
  );
} finally {
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
