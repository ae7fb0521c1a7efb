import { createHash, randomBytes } from 'node:crypto';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsStore } from '../../src/storage/fs/fs-store';
import { bearer, newUser, type TestUser } from '../support/client';
import { dataDir, httpTarget, startInProcess } from '../support/node/servers';

/**
 * The export of a large account from a Node server in this process: the archive is read as it
 * arrives and checked as it goes (every entry's sha256 against the manifest pages), never held,
 * so the process's RSS growth while it streams is the server's. Rows are seeded straight into
 * the SQLite file and the bytes into the store directory.
 */
const IMAGES = 1200;
const IMAGE_BYTES = 160 * 1024;
const ARCHIVE_BYTES = IMAGES * (IMAGE_BYTES + 512);
/** Well under the archive (about 190 MiB): a server that buffered it would grow past this. */
const RSS_GROWTH_LIMIT = 64 * 2 ** 20;

/** A ustar reader over chunks: sha256 of each entry, the small JSON entries kept whole. */
function streamingTar() {
  let pending = new Uint8Array(0);
  let entry:
    | { name: string; left: number; pad: number; hash: ReturnType<typeof createHash>; keep?: Uint8Array[] }
    | undefined;
  const hashes = new Map<string, string>();
  const jsons = new Map<string, unknown>();
  let ended = false;
  const ascii = (b: Uint8Array) => new TextDecoder().decode(b).replace(/\0.*$/s, '');
  return {
    hashes,
    jsons,
    get ended() {
      return ended;
    },
    push(chunk: Uint8Array) {
      let data = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      pending = new Uint8Array(0);
      while (data.length) {
        if (entry && entry.left > 0) {
          const take = Math.min(entry.left, data.length);
          const part = data.subarray(0, take);
          entry.hash.update(part);
          entry.keep?.push(part.slice());
          entry.left -= take;
          data = data.subarray(take);
          continue;
        }
        if (entry) {
          if (data.length < entry.pad) {
            entry.pad -= data.length;
            return;
          }
          data = data.subarray(entry.pad);
          hashes.set(entry.name, entry.hash.digest('hex'));
          if (entry.keep) jsons.set(entry.name, JSON.parse(Buffer.concat(entry.keep).toString('utf8')));
          entry = undefined;
          continue;
        }
        if (data.length < 512) {
          pending = data.slice();
          return;
        }
        const header = data.subarray(0, 512);
        data = data.subarray(512);
        if (header.every((b) => b === 0)) {
          ended = true;
          continue;
        }
        const name = ascii(header.subarray(0, 100));
        const size = Number.parseInt(ascii(header.subarray(124, 136)), 8);
        entry = { name, left: size, pad: (512 - (size % 512)) % 512, hash: createHash('sha256') };
        if (name.endsWith('.json')) entry.keep = [];
      }
    },
  };
}

describe('export of a large account [node]', () => {
  let origin: string;
  let user: TestUser;
  let stop: () => Promise<void>;
  let sha: string;

  beforeAll(async () => {
    const data = await dataDir();
    const server = await startInProcess(data.env);
    origin = server.origin;
    user = await newUser(httpTarget('node', origin), 'export-scale');
    const bytes = randomBytes(IMAGE_BYTES);
    sha = createHash('sha256').update(bytes).digest('hex');
    const store = fsStore(data.env.IMAGES_DIR as string);
    for (let i = 0; i < IMAGES; i++) {
      await store.put(`seed-${user.id}-${i}`, new Blob([bytes]), { contentType: 'image/png', size: IMAGE_BYTES });
    }
    const client = createClient({ url: data.env.DATABASE_URL as string });
    await client.execute({
      sql: `INSERT INTO images (owner_id, name, content_type, size, storage_key, sha256, width, height, verified, created_at)
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
        SELECT ?, 'img-' || i || '.png', 'image/png', ?, 'seed-' || ? || '-' || i, ?, 10, 10, 1, 1700000000000 + i * 1000 FROM n`,
      args: [IMAGES, user.id, IMAGE_BYTES, String(user.id), sha],
    });
    client.close();
    stop = async () => {
      await server.shutdown('tests done');
      await data.remove();
    };
  }, 180_000);

  afterAll(() => stop?.());

  it(`streams ${IMAGES} images (about ${Math.round(ARCHIVE_BYTES / 2 ** 20)} MiB) with bounded RSS growth, every entry as its manifest says`, async () => {
    // A first small read warms the code paths, so the figure is the stream's own.
    const warm = await fetch(`${origin}/api/v1/user/export`, { headers: bearer(user) });
    await warm.body?.cancel();
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let total = 0;
    const tar = streamingTar();
    const res = await fetch(`${origin}/api/v1/user/export`, { headers: bearer(user) });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      tar.push(value);
      if (total % (8 * IMAGE_BYTES) < value.length) peak = Math.max(peak, process.memoryUsage().rss);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const growth = peak - before;
    console.log(
      `export: ${IMAGES} images, ${(total / 2 ** 20).toFixed(1)} MiB streamed, RSS growth ${(growth / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(tar.ended).toBe(true);
    expect(total).toBeGreaterThan(ARCHIVE_BYTES);
    expect(growth).toBeLessThan(RSS_GROWTH_LIMIT);

    const summary = tar.jsons.get('manifest.json') as { images: number; bytes: number; manifest_pages: number };
    expect(summary).toMatchObject({ images: IMAGES, bytes: IMAGES * IMAGE_BYTES });
    const listed: { file: string; sha256: string }[] = [];
    for (let p = 1; p <= summary.manifest_pages; p++) {
      listed.push(
        ...(tar.jsons.get(`manifest/${String(p).padStart(6, '0')}.json`) as { file: string; sha256: string }[]),
      );
    }
    expect(listed).toHaveLength(IMAGES);
    expect(new Set(listed.map((e) => e.file)).size).toBe(IMAGES);
    for (const e of listed) expect(tar.hashes.get(e.file)).toBe(e.sha256);
    expect(listed[0]?.sha256).toBe(sha);
  }, 180_000);
});
