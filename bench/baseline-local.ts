// The floor for `npm run bench` on Node and Bun: a bare Hono app doing only the storage work each
// benchmarked route must do, with the runtime's fastest local SQLite driver (the one the app
// serves with: libsql's synchronous driver on Node, bun:sqlite on Bun; a `file:` database in WAL
// mode, statements prepared once) and the same kind of byte store (one file per image in a
// directory, written durably: temp file, fsync, rename, fsync of the folder, as any store that
// acknowledges an upload must). No auth, no validation, no OpenAPI: what is left is what the
// platform itself costs.
//   GET  /img/:id  one select by id, then stream the file
//   GET  /list     one 20-row page select, as JSON
//   POST /upload   stream the body into a new file, then insert a row
// Prints `{"port":N}` on stdout once listening. Usage: (tsx|bun) bench/baseline-local.ts <dir>
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';

/** The part of the better-sqlite3 API that libsql and bun:sqlite share. */
interface Statement {
  all(...params: unknown[]): Record<string, unknown>[];
  run(...params: unknown[]): { lastInsertRowid: number | bigint };
}
interface Database {
  exec(sql: string): void;
  prepare(sql: string): Statement;
}

const isBun = 'bun' in process.versions;
async function openDatabase(file: string): Promise<Database> {
  // A variable specifier, so neither tsc nor Node tries to resolve Bun's module.
  const bunSqlite = 'bun:sqlite';
  if (isBun) return new (await import(bunSqlite)).Database(file) as Database;
  return new (await import('libsql')).default(file) as unknown as Database;
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: baseline-local.ts <dir>');
const files = join(dir, 'files');
mkdirSync(files, { recursive: true });
const db = await openDatabase(join(dir, 'baseline.db'));
db.exec('PRAGMA journal_mode = WAL');
db.exec(
  'CREATE TABLE IF NOT EXISTS images (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, name TEXT NOT NULL, ' +
    'size INTEGER NOT NULL, content_type TEXT NOT NULL, storage_key TEXT NOT NULL, tags TEXT NOT NULL, created_at INTEGER NOT NULL)',
);
db.exec('CREATE INDEX IF NOT EXISTS images_owner ON images (owner_id, created_at)');
const insert = db.prepare(
  'INSERT INTO images (owner_id, name, size, content_type, storage_key, tags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
);
const byId = db.prepare('SELECT storage_key, content_type, size FROM images WHERE id = ? AND owner_id = 1');
const page = db.prepare(
  'SELECT id, name, size, content_type, tags, created_at FROM images WHERE owner_id = 1 ORDER BY created_at DESC, id DESC LIMIT 20',
);

const SEED = 20;
const bytes = new Uint8Array(10 * 1024).map((_, i) => (i * 31) & 0xff);
for (let i = 0; i < SEED; i++) {
  const key = crypto.randomUUID();
  writeFileSync(join(files, key), bytes);
  insert.run(1, `img-${i}.png`, bytes.length, 'image/png', key, '["cat","garden"]', Date.now() + i);
}

const app = new Hono();
app.get('/img/:id', (c) => {
  const row = byId.all(Number(c.req.param('id')))[0];
  if (!row) return c.notFound();
  const body = Readable.toWeb(createReadStream(join(files, String(row.storage_key)))) as ReadableStream;
  return new Response(body, {
    headers: { 'content-type': String(row.content_type), 'content-length': String(row.size) },
  });
});
app.get('/list', (c) =>
  c.json(
    page.all().map((r) => ({
      img_id: r.id,
      name: r.name,
      size: r.size,
      content_type: r.content_type,
      tags: JSON.parse(String(r.tags)),
      created_at: Math.floor(Number(r.created_at) / 1000),
    })),
  ),
);
app.post('/upload', async (c) => {
  const key = crypto.randomUUID();
  const temp = join(files, `.${key}.tmp`);
  const file = await open(temp, 'wx');
  let size = 0;
  try {
    for await (const chunk of c.req.raw.body ?? []) {
      size += chunk.byteLength;
      await file.write(chunk);
    }
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, join(files, key));
  const folder = await open(files, 'r');
  await folder.sync();
  await folder.close();
  const { lastInsertRowid } = insert.run(2, 'upload.png', size, 'image/png', key, '["cat","garden"]', Date.now());
  return c.json({ img_id: Number(lastInsertRowid), size }, 201);
});

interface BunLike {
  serve(o: { hostname: string; port: number; fetch: (r: Request) => Response | Promise<Response> }): { port: number };
}
const bun = (globalThis as { Bun?: BunLike }).Bun;
if (bun) {
  const server = bun.serve({ hostname: '127.0.0.1', port: 0, fetch: app.fetch });
  console.log(JSON.stringify({ port: server.port }));
} else {
  const { serve } = await import('@hono/node-server');
  serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
    console.log(JSON.stringify({ port: info.port })),
  );
}
