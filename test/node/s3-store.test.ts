import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/lib/unavailable';
import { guardedStore } from '../../src/storage/guarded';
import type { StoredObject } from '../../src/storage/image-store';
import { S3_PART_BYTES, type S3ImageStore, s3Store } from '../../src/storage/s3';
import { type MotoServer, startMoto } from './support/moto';

// The S3 store against a real S3-compatible server (moto), one fresh bucket per test.
let moto: MotoServer;
let store: S3ImageStore;

beforeAll(async () => {
  moto = await startMoto();
}, 60_000);
afterAll(() => moto?.stop());
beforeEach(async () => {
  store = s3Store((await moto.bucket()).settings);
});

const bytes = (n: number) => new Uint8Array(randomBytes(n));

/** A stream of `data` in chunks of `chunk` bytes; `failAfter` errors it once that many bytes went out. */
function streamOf(data: Uint8Array, chunk = 64 * 1024, failAfter?: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (failAfter !== undefined && at >= failAfter) return controller.error(new Error('client went away'));
      if (at >= data.byteLength) return controller.close();
      controller.enqueue(data.slice(at, at + chunk));
      at += chunk;
    },
  });
}

const read = async (object: StoredObject | null) => {
  if (!object) throw new Error('expected a stored object');
  return new Uint8Array(await new Response(object.body).arrayBuffer());
};

/** Large arrays compared as bytes: vitest's deep equality walks them element by element. */
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

const allKeys = async () => {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.cursor;
  } while (cursor);
  return keys;
};

describe('s3 store: puts', () => {
  it('a small stream of unknown length is one PUT; the same bytes, size and a strong quoted ETag come back', async () => {
    const data = bytes(100_000);
    const put = await store.put('images/small', streamOf(data), { contentType: 'image/png' });
    expect(put).toMatchObject({ key: 'images/small', size: data.length });
    // A single PUT's ETag is the MD5; a multipart one ends in -<parts>.
    expect(put.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const got = await store.get('images/small');
    expect(got).toMatchObject({ key: 'images/small', size: data.length, etag: put.etag });
    expect(got?.range).toBeUndefined();
    expect(await read(got)).toEqual(data);
  });

  it('a large stream of unknown length goes up as a multipart upload, part by part', async () => {
    const data = bytes(2 * S3_PART_BYTES + 12_345);
    const put = await store.put('images/large', streamOf(data, 100_000), { contentType: 'image/jpeg' });
    expect(put.size).toBe(data.length);
    expect(put.etag).toMatch(/^"[0-9a-f]{32}-3"$/);
    const got = await store.get('images/large');
    expect(got?.etag).toBe(put.etag);
    expect(sameBytes(await read(got), data)).toBe(true);
    expect(await store.listMultipartUploads()).toEqual([]);
  });

  it('a Blob and a stream of declared length are stored; a body that is not its declared length stores nothing', async () => {
    const data = bytes(3000);
    await store.put('variants/blob', new Blob([data]), { contentType: 'image/webp', size: data.length });
    expect(await read(await store.get('variants/blob'))).toEqual(data);
    await store.put('images/declared', streamOf(data, 1000), { contentType: 'image/png', size: data.length });
    expect(await read(await store.get('images/declared'))).toEqual(data);
    await expect(store.put('images/short', streamOf(data), { contentType: 'image/png', size: 3001 })).rejects.toThrow(
      /ended after 3000 of 3001/,
    );
    await expect(store.put('images/long', streamOf(data), { contentType: 'image/png', size: 2999 })).rejects.toThrow(
      /longer than the declared/,
    );
    expect(await allKeys()).toEqual(['images/declared', 'variants/blob']);
  });

  it('a body failing after parts went up aborts the upload: no object, no multipart upload left', async () => {
    const data = bytes(3 * S3_PART_BYTES);
    const failing = streamOf(data, 256 * 1024, 2 * S3_PART_BYTES + 512 * 1024);
    await expect(store.put('images/broken', failing, { contentType: 'image/png' })).rejects.toThrow('client went away');
    expect(await store.get('images/broken')).toBeNull();
    expect(await store.listMultipartUploads()).toEqual([]);
    expect(await allKeys()).toEqual([]);
  });

  it('a body failing within the first part stores nothing and begins no upload', async () => {
    const failing = streamOf(bytes(1_000_000), 64 * 1024, 300_000);
    await expect(store.put('images/early', failing, { contentType: 'image/png' })).rejects.toThrow('client went away');
    expect(await store.listMultipartUploads()).toEqual([]);
    expect(await allKeys()).toEqual([]);
  });
});

describe('s3 store: reads', () => {
  it('serves ranges with the whole size and the same ETag, clamps a range past the end, and null for a missing key', async () => {
    const data = bytes(50_000);
    const put = await store.put('images/r', new Blob([data]), { contentType: 'image/png' });
    const mid = await store.get('images/r', { offset: 1000, length: 500 });
    expect(mid).toMatchObject({ size: data.length, etag: put.etag, range: { offset: 1000, length: 500 } });
    expect(await read(mid)).toEqual(data.slice(1000, 1500));
    const tail = await store.get('images/r', { offset: 49_990, length: 100 });
    expect(tail?.range).toEqual({ offset: 49_990, length: 10 });
    expect(await read(tail)).toEqual(data.slice(49_990));
    const past = await store.get('images/r', { offset: 60_000, length: 10 });
    expect(past).toMatchObject({ size: data.length, etag: put.etag, range: { offset: data.length, length: 0 } });
    expect(await read(past)).toEqual(new Uint8Array());
    const none = await store.get('images/r', { offset: 0, length: 0 });
    expect(none?.range).toEqual({ offset: 0, length: 0 });
    expect(await store.get('images/missing')).toBeNull();
    expect(await store.get('images/missing', { offset: 0, length: 10 })).toBeNull();
  });

  it('gives each content its own strong ETag, the same from put, get and list (what If-None-Match / If-Range compare)', async () => {
    const a = await store.put('images/a', new Blob([bytes(100)]), { contentType: 'image/png' });
    const b = await store.put('images/b', new Blob([bytes(100)]), { contentType: 'image/png' });
    expect(a.etag).not.toBe(b.etag);
    const { objects } = await store.list({});
    expect(objects.map((o) => [o.key, o.size, o.etag])).toEqual([
      ['images/a', 100, a.etag],
      ['images/b', 100, b.etag],
    ]);
    for (const o of objects) expect(Math.abs(o.uploaded.getTime() - Date.now())).toBeLessThan(60_000);
    const ranged = await store.get('images/b', { offset: 1, length: 1 });
    expect(ranged?.etag).toBe(b.etag);
    await ranged?.body.cancel();
  });
});

describe('s3 store: deletes and listing', () => {
  it('deletes an image and its variants in one batch, ignores keys already gone, and a single key too', async () => {
    const keys = ['images/x', 'variants/x/1', 'variants/x/2', 'variants/x/3', 'images/keep'];
    for (const k of keys) await store.put(k, new Blob([bytes(10)]), { contentType: 'image/png' });
    await store.delete(['images/x', 'variants/x/1', 'variants/x/2', 'variants/x/3', 'variants/x/never-was']);
    expect(await allKeys()).toEqual(['images/keep']);
    await store.delete(['images/keep']);
    await store.delete(['images/keep']);
    await store.delete([]);
    expect(await allKeys()).toEqual([]);
  });

  it('lists in key order, page by page with a cursor that resumes after its last key, and by prefix', async () => {
    const keys = Array.from({ length: 23 }, (_, i) => `variants/img/${String(i).padStart(2, '0')}`);
    for (const k of [...keys, 'images/img']) await store.put(k, new Blob([bytes(3)]), { contentType: 'image/png' });
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ cursor, limit: 10, prefix: 'variants/img/' });
      pages.push(page.objects.map((o) => o.key));
      cursor = page.cursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 3]);
    expect(pages.flat()).toEqual(keys);
    // A saved cursor is just the last key: it still resumes in a later process.
    const later = s3Store((await moto.bucket()).settings);
    expect((await later.list({})).objects).toEqual([]);
    expect((await store.list({ cursor: 'variants/img/20' })).objects.map((o) => o.key)).toEqual(keys.slice(21));
    expect(await allKeys()).toEqual(['images/img', ...keys]);
  });

  it('pings a reachable bucket; a missing bucket or a dead server fails, and the guarded store makes that a 503', async () => {
    await store.ping();
    const settings = (await moto.bucket()).settings;
    await expect(s3Store({ ...settings, bucket: 'no-such-bucket-here' }).ping()).rejects.toThrow(
      /HeadBucket failed: 404/,
    );
    const dead = s3Store({ ...settings, endpoint: 'http://127.0.0.1:9' });
    const guarded = guardedStore(() => dead, 5_000);
    await expect(guarded.get('images/a')).rejects.toBeInstanceOf(UnavailableError);
    await expect(guarded.ping()).rejects.toBeInstanceOf(UnavailableError);
  });
});
