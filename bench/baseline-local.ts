// The floor for `npm run bench` on Node and Bun: a bare Hono app doing only the storage work each
// benchmarked route must do, with the same SQLite driver (libsql, a `file:` database in WAL mode)
// and the same kind of byte store (one file per image in a directory). No auth, no validation,
// no OpenAPI: what is left is what the platform itself costs.
//   GET  /img/:id  one select by id, then stream the file
//   GET  /list     one 20-row page select, as JSON
//   POST /upload   stream the body into a new file, then insert a row
// Prints `{"port":N}` on stdout once listening. Usage: (tsx|bun) bench/baseline-local.ts <dir>
import { createReadStream, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createClient } from '@libsql/client';
import { Hono } from 'hono';

const dir = process.argv[2];
if (!dir) throw new Error('usage: baseline-local.ts <dir>');
const files = join(dir, 'files');
mkdirSync(files, { recursive: true });
const client = createClient({ url: `file:${join(dir, 'baseline.db')}` });
await client.execute('PRAGMA journal_mode = WAL');
await client.execute(
  'CREATE TABLE IF NOT EXISTS images (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, name TEXT NOT NULL, ' +
    'size INTEGER NOT NULL, content_type TEXT NOT NULL, storage_key TEXT NOT NULL, tags TEXT NOT NULL, created_at INTEGER NOT NULL)',
);
await client.execute('CREATE INDEX IF NOT EXISTS images_owner ON images (owner_id, created_at)');

const SEED = 20;
const bytes = new Uint8Array(10 * 1024).map((_, i) => (i * 31) & 0xff);
for (let i = 0; i < SEED; i++) {
  const key = crypto.randomUUID();
  writeFileSync(join(files, key), bytes);
  await client.execute({
    sql: 'INSERT INTO images (owner_id, name, size, content_type, storage_key, tags, created_at) VALUES (1, ?, ?, ?, ?, ?, ?)',
    args: [`img-${i}.png`, bytes.length, 'image/png', key, '["cat","garden"]', Date.now() + i],
  });
}

const app = new Hono();
app.get('/img/:id', async (c) => {
  const { rows } = await client.execute({
    sql: 'SELECT storage_key, content_type, size FROM images WHERE id = ? AND owner_id = 1',
    args: [Number(c.req.param('id'))],
  });
  const row = rows[0];
  if (!row) return c.notFound();
  const body = Readable.toWeb(createReadStream(join(files, String(row.storage_key)))) as ReadableStream;
  return new Response(body, {
    headers: { 'content-type': String(row.content_type), 'content-length': String(row.size) },
  });
});
app.get('/list', async (c) => {
  const { rows } = await client.execute(
    'SELECT id, name, size, content_type, tags, created_at FROM images WHERE owner_id = 1 ORDER BY created_at DESC, id DESC LIMIT 20',
  );
  return c.json(
    rows.map((r) => ({
      img_id: r.id,
      name: r.name,
      size: r.size,
      content_type: r.content_type,
      tags: JSON.parse(String(r.tags)),
      created_at: Math.floor(Number(r.created_at) / 1000),
    })),
  );
});
app.post('/upload', async (c) => {
  const key = crypto.randomUUID();
  let size = 0;
  const count = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, ctl) {
      size += chunk.byteLength;
      ctl.enqueue(chunk);
    },
  });
  await (c.req.raw.body ?? new Blob([]).stream())
    .pipeThrough(count)
    .pipeTo(Writable.toWeb(createWriteStream(join(files, key))) as WritableStream<Uint8Array>);
  const { lastInsertRowid } = await client.execute({
    sql: 'INSERT INTO images (owner_id, name, size, content_type, storage_key, tags, created_at) VALUES (2, ?, ?, ?, ?, ?, ?)',
    args: ['upload.png', size, 'image/png', key, '["cat","garden"]', Date.now()],
  });
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
