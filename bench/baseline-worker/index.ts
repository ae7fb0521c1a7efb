// The floor for `npm run bench` on workerd: a bare Worker doing only the storage work each
// benchmarked route must do, on D1 and R2 (see bench/baseline-local.ts for the routes).
// POST /seed stores the 20 images the GET routes read.
// Its own bindings (not the app's Workers `Env`, which this Worker does not share).
interface BaselineBindings {
  DB: D1Database;
  IMAGES: R2Bucket;
}

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });

export default {
  async fetch(request: Request, env: BaselineBindings): Promise<Response> {
    const url = new URL(request.url);
    const img = /^\/img\/(\d+)$/.exec(url.pathname);
    if (request.method === 'GET' && img) {
      const row = await env.DB.prepare(
        'SELECT storage_key, content_type, size FROM images WHERE id = ? AND owner_id = 1',
      )
        .bind(Number(img[1]))
        .first<{ storage_key: string; content_type: string; size: number }>();
      if (!row) return new Response('not found', { status: 404 });
      const object = await env.IMAGES.get(row.storage_key);
      if (!object) return new Response('gone', { status: 404 });
      return new Response(object.body, {
        headers: { 'content-type': row.content_type, 'content-length': String(object.size) },
      });
    }
    if (request.method === 'GET' && url.pathname === '/list') {
      const { results } = await env.DB.prepare(
        'SELECT id, name, size, content_type, tags, created_at FROM images WHERE owner_id = 1 ORDER BY created_at DESC, id DESC LIMIT 20',
      ).all<{ id: number; name: string; size: number; content_type: string; tags: string; created_at: number }>();
      return json(
        results.map((r) => ({
          img_id: r.id,
          name: r.name,
          size: r.size,
          content_type: r.content_type,
          tags: JSON.parse(r.tags),
          created_at: Math.floor(r.created_at / 1000),
        })),
      );
    }
    if (request.method === 'POST' && url.pathname === '/upload') {
      const key = crypto.randomUUID();
      const length = Number(request.headers.get('content-length'));
      // R2 needs a known length for a stream: a fixed-length stream passes the body straight through.
      const { readable, writable } = new FixedLengthStream(length);
      const [object] = await Promise.all([
        env.IMAGES.put(key, readable),
        (request.body ?? new Blob([]).stream()).pipeTo(writable),
      ]);
      if (!object) return new Response('not stored', { status: 500 });
      const row = await env.DB.prepare(
        'INSERT INTO images (owner_id, name, size, content_type, storage_key, tags, created_at) VALUES (2, ?, ?, ?, ?, ?, ?) RETURNING id',
      )
        .bind('upload.png', object.size, 'image/png', key, '["cat","garden"]', Date.now())
        .first<{ id: number }>();
      return json({ img_id: row?.id, size: object.size }, 201);
    }
    if (request.method === 'POST' && url.pathname === '/seed') {
      const bytes = new Uint8Array(10 * 1024).map((_, i) => (i * 31) & 0xff);
      const ids: number[] = [];
      for (let i = 0; i < 20; i++) {
        const key = crypto.randomUUID();
        await env.IMAGES.put(key, bytes);
        const row = await env.DB.prepare(
          'INSERT INTO images (owner_id, name, size, content_type, storage_key, tags, created_at) VALUES (1, ?, ?, ?, ?, ?, ?) RETURNING id',
        )
          .bind(`img-${i}.png`, bytes.length, 'image/png', key, '["cat","garden"]', Date.now() + i)
          .first<{ id: number }>();
        if (row) ids.push(row.id);
      }
      return json({ ids });
    }
    return new Response('not found', { status: 404 });
  },
};
