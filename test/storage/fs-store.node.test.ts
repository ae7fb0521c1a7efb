import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSliceOf } from '../../src/storage/fs/file-slices';
import { type FsImageStore, fsStore } from '../../src/storage/fs/fs-store';
import { assertValidKey, InvalidKeyError } from '../../src/storage/fs/keys';
import type { StoredObject } from '../../src/storage/image-store';
import { filesUnder } from '../support/node/files';

let dir: string;
let store: FsImageStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imageapi-fs-'));
  store = fsStore(join(dir, 'images'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Every file under `root`, relative, dot-files included. */
const relativeFilesUnder = async (root: string) => (await filesUnder(root)).map((p) => relative(root, p));

/** What the store says about a key (its object without the body), or null: read, not assumed. */
async function infoOf(key: string) {
  const object = await store.get(key);
  if (!object) return null;
  await object.body.cancel();
  const { key: k, size, etag, uploaded } = object;
  return { key: k, size, etag, uploaded };
}

const bytes = (n: number) => new Uint8Array(randomBytes(n));

/** A stream of `data` cut into `pieces` chunks; `fail` makes it error after the first chunk. */
function streamOf(data: Uint8Array, pieces = 3, fail?: Error): ReadableStream<Uint8Array> {
  const size = Math.ceil(data.byteLength / pieces) || 1;
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (fail && at > 0) return controller.error(fail);
      if (at >= data.byteLength) return controller.close();
      controller.enqueue(data.slice(at, at + size));
      at += size;
    },
  });
}

const bodyOf = (object: StoredObject | null): ReadableStream<Uint8Array> => {
  if (!object) throw new Error('expected a stored object');
  return object.body;
};

const read = async (object: StoredObject | null) => new Uint8Array(await new Response(bodyOf(object)).arrayBuffer());

describe('fs store: round trip', () => {
  it('stores a stream and gives the same bytes, size and a strong quoted ETag back', async () => {
    const data = bytes(200_000); // several read chunks
    const put = await store.put('images/a/one.bin', streamOf(data, 7), { contentType: 'image/png', size: data.length });
    expect(put).toMatchObject({ key: 'images/a/one.bin', size: data.length });
    expect(put.etag).toMatch(/^"[^"\s]+"$/);
    expect(put.uploaded).toBeInstanceOf(Date);
    expect(Math.abs(put.uploaded.getTime() - Date.now())).toBeLessThan(60_000);

    const got = await store.get('images/a/one.bin');
    expect(got).not.toBeNull();
    expect(got?.range).toBeUndefined();
    expect({ ...got, body: undefined }).toEqual({ ...put, body: undefined });
    expect(await read(got)).toEqual(data);
    expect(await infoOf('images/a/one.bin')).toEqual(put);
    // On disk under the root, with nothing else beside it.
    expect(await relativeFilesUnder(store.root)).toEqual(['images/a/one.bin']);
    expect(new Uint8Array(await readFile(join(store.root, 'images/a/one.bin')))).toEqual(data);
  });

  it('stores a Blob, and an empty body', async () => {
    const data = bytes(1234);
    await store.put('b', new Blob([data]), { contentType: 'image/gif', size: data.length });
    expect(await read(await store.get('b'))).toEqual(data);

    const empty = await store.put('empty', new Blob([]), { contentType: 'image/gif', size: 0 });
    expect(empty.size).toBe(0);
    expect((await read(await store.get('empty'))).length).toBe(0);
  });

  it('answers null for missing keys and gives a new ETag when a key is rewritten', async () => {
    expect(await store.get('nope')).toBeNull();
    expect(await infoOf('nope/deeper')).toBeNull();
    const first = await store.put('k', new Blob([bytes(10)]), { contentType: 'x', size: 10 });
    const second = await store.put('k', new Blob([bytes(10)]), { contentType: 'x', size: 10 });
    expect(second.etag).not.toBe(first.etag);
    expect((await infoOf('k'))?.etag).toBe(second.etag);
  });

  it('opens the object before answering: a delete after get() still lets the body be read whole', async () => {
    const data = bytes(300_000);
    await store.put('c', new Blob([data]), { contentType: 'x', size: data.length });
    const opened = await store.get('c');
    expect(opened?.size).toBe(data.length);
    await store.delete(['c']);
    expect(await store.get('c')).toBeNull();
    expect(await read(opened)).toEqual(data);
  });

  it('a cancelled body releases the file', async () => {
    const data = bytes(300_000);
    await store.put('c2', new Blob([data]), { contentType: 'x', size: data.length });
    const partial = await store.get('c2');
    const reader = bodyOf(partial).getReader();
    const first = (await reader.read()).value ?? new Uint8Array();
    expect(first.length).toBeGreaterThan(0);
    expect(first).toEqual(data.subarray(0, first.length));
    await reader.cancel();
    await store.delete(['c2']);
    expect(await infoOf('c2')).toBeNull();
  });

  it('serves the bytes it described even when the key is rewritten before they are read', async () => {
    const before = bytes(50);
    await store.put('d', new Blob([before]), { contentType: 'x', size: 50 });
    const stale = await store.get('d');
    await store.put('d', new Blob([bytes(50).map((b) => b ^ 0xff)]), { contentType: 'x', size: 50 });
    expect(await read(stale)).toEqual(before);
  });
});

describe('fs store: ranges', () => {
  const data = bytes(100_000);
  beforeEach(async () => {
    await store.put('r', streamOf(data), { contentType: 'image/png', size: data.length });
  });

  it.each([
    [0, 1],
    [0, 100_000],
    [1, 10],
    [65_530, 20], // across a read-chunk boundary
    [99_990, 10],
    [50_000, 0],
  ])('offset %i length %i gives exactly that slice', async (offset, length) => {
    const got = await store.get('r', { offset, length });
    expect(got?.range).toEqual({ offset, length });
    expect(got?.size).toBe(data.length);
    expect(await read(got)).toEqual(data.subarray(offset, offset + length));
  });

  it('clamps a range running past the end to what exists', async () => {
    const tail = await store.get('r', { offset: 99_000, length: 5_000 });
    expect(tail?.range).toEqual({ offset: 99_000, length: 1_000 });
    expect(await read(tail)).toEqual(data.subarray(99_000));
    const past = await store.get('r', { offset: 200_000, length: 10 });
    expect(past?.range).toEqual({ offset: 100_000, length: 0 });
    expect((await read(past)).length).toBe(0);
  });

  it('rejects negative or fractional ranges', async () => {
    await expect(store.get('r', { offset: -1, length: 2 })).rejects.toThrow(RangeError);
    await expect(store.get('r', { offset: 0, length: 1.5 })).rejects.toThrow(RangeError);
  });
});

describe('fs store: file slices (how Bun sends bodies with their length)', () => {
  // Past one read's worth (64 KiB): a smaller object is read in one go (below) and has no slice.
  const BIG = 100_000;

  it('names the file range behind an unread body, and nothing else', async () => {
    await store.put('f/s', new Blob([bytes(BIG)]), { contentType: 'x', size: BIG });
    const path = join(store.root, 'f', 's');
    expect(await fileSliceOf((await store.get('f/s'))?.body)).toEqual({ path, start: 0, end: BIG });
    expect(await fileSliceOf((await store.get('f/s', { offset: 10, length: 70_000 }))?.body)).toEqual({
      path,
      start: 10,
      end: 70_010,
    });
    expect(await fileSliceOf(new Blob(['x']).stream())).toBeUndefined();
    expect(await fileSliceOf(null)).toBeUndefined();

    const started = bodyOf(await store.get('f/s'));
    const reader = started.getReader();
    await reader.read();
    expect(await fileSliceOf(started)).toBeUndefined();
    await reader.cancel();

    const stale = await store.get('f/s');
    await store.put('f/s', new Blob([bytes(BIG)]), { contentType: 'x', size: BIG });
    expect(await fileSliceOf(stale?.body)).toBeUndefined();
  });

  it('reads a small object (or a small range) in one go: its bytes, and a body of the same bytes', async () => {
    const content = bytes(1000);
    await store.put('f/small', new Blob([content]), { contentType: 'x', size: 1000 });
    const whole = await store.get('f/small');
    expect(whole?.bytes).toEqual(content);
    expect(await fileSliceOf(whole?.body)).toBeUndefined();
    expect(await read(whole)).toEqual(content);
    const part = await store.get('f/small', { offset: 990, length: 50 });
    expect(part?.range).toEqual({ offset: 990, length: 10 });
    expect(part?.bytes).toEqual(content.slice(990));
    // Read before get() returned: deleting the file afterwards changes nothing.
    const early = await store.get('f/small');
    await store.delete(['f/small']);
    expect(await read(early)).toEqual(content);
    // A small range of a big object is read in one go too.
    const big = bytes(BIG);
    await store.put('f/big', new Blob([big]), { contentType: 'x', size: BIG });
    expect((await store.get('f/big', { offset: 70_000, length: 100 }))?.bytes).toEqual(big.slice(70_000, 70_100));
    expect((await store.get('f/big'))?.bytes).toBeUndefined();
  });
});

describe('fs store: open files', () => {
  /** This process's descriptors open on `path` (Linux). */
  const openOn = (path: string) =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false; // closed meanwhile
      }
    }).length;

  it("closes a small object's file before get() returns, and a large one's when its body ends or is cancelled", async () => {
    await store.put('o/small', new Blob([bytes(100)]), { contentType: 'x', size: 100 });
    await store.put('o/big', new Blob([bytes(200_000)]), { contentType: 'x', size: 200_000 });
    const small = await store.get('o/small');
    expect(openOn(join(store.root, 'o', 'small'))).toBe(0);
    expect(small?.bytes?.byteLength).toBe(100);
    const bigPath = join(store.root, 'o', 'big');
    const read = await store.get('o/big');
    const cancelled = await store.get('o/big');
    expect(openOn(bigPath)).toBe(2);
    expect((await new Response(read?.body).arrayBuffer()).byteLength).toBe(200_000);
    await cancelled?.body.cancel();
    expect(openOn(bigPath)).toBe(0);
  });

  it('closes the file of a large body dropped unread once the stream is collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    await store.put('o/dropped', new Blob([bytes(200_000)]), { contentType: 'x', size: 200_000 });
    const path = join(store.root, 'o', 'dropped');
    for (let i = 0; i < 5; i++) await store.get('o/dropped'); // never read, never cancelled
    expect(openOn(path)).toBe(5);
    for (let i = 0; i < 20 && openOn(path) > 0; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(openOn(path)).toBe(0);
  });
});

describe('fs store: atomic writes', () => {
  it.each([
    ['shorter than declared', (d: Uint8Array) => streamOf(d.subarray(0, 900)), /ended after 900 of 1000/],
    ['longer than declared', (d: Uint8Array) => streamOf(new Uint8Array([...d, 1, 2, 3])), /longer/],
    ['failing mid-way', (d: Uint8Array) => streamOf(d, 4, new Error('client went away')), /client went away/],
  ])('a body %s throws and leaves no file and no temp file', async (_label, makeBody, message) => {
    const data = bytes(1000);
    await expect(store.put('x/y/z.bin', makeBody(data), { contentType: 'x', size: 1000 })).rejects.toThrow(message);
    expect(await infoOf('x/y/z.bin')).toBeNull();
    expect(await relativeFilesUnder(store.root)).toEqual([]);
  });

  it('stores a stream of unknown length (no size) as it arrives, or nothing when it fails midway', async () => {
    const data = bytes(300_000);
    const put = await store.put('u/ok.bin', streamOf(data, 9), { contentType: 'x' });
    expect(put.size).toBe(data.length);
    expect(await read(await store.get('u/ok.bin'))).toEqual(data);
    await expect(
      store.put('u/cut.bin', streamOf(data, 9, new Error('client went away')), { contentType: 'x' }),
    ).rejects.toThrow(/client went away/);
    expect(await infoOf('u/cut.bin')).toBeNull();
    expect(await relativeFilesUnder(store.root)).toEqual(['u/ok.bin']);
  });

  it('keeps the previous object whole when its replacement fails', async () => {
    const original = bytes(500);
    const put = await store.put('keep', new Blob([original]), { contentType: 'x', size: 500 });
    await expect(store.put('keep', streamOf(bytes(100)), { contentType: 'x', size: 500 })).rejects.toThrow();
    expect(await infoOf('keep')).toEqual(put);
    expect(await read(await store.get('keep'))).toEqual(original);
    expect(await relativeFilesUnder(store.root)).toEqual(['keep']);
  });

  it('cancels the source stream it gave up on', async () => {
    let cancelled: unknown;
    const body = new ReadableStream<Uint8Array>({
      pull: (c) => c.enqueue(new Uint8Array(600)),
      cancel: (reason) => {
        cancelled = reason;
      },
    });
    await expect(store.put('long', body, { contentType: 'x', size: 1000 })).rejects.toThrow(/longer/);
    expect(cancelled).toBeInstanceOf(Error);
  });

  it('refuses a key that is also the folder of another key, leaving nothing behind', async () => {
    await store.put('p/q', new Blob(['x']), { contentType: 'x', size: 1 });
    await expect(store.put('p', new Blob(['y']), { contentType: 'x', size: 1 })).rejects.toThrow(/conflicts/);
    await expect(store.put('p/q/r', new Blob(['y']), { contentType: 'x', size: 1 })).rejects.toThrow(/conflicts/);
    expect(await relativeFilesUnder(store.root)).toEqual(['p/q']);
    expect(await infoOf('p')).toBeNull();
    expect(await store.get('p/q/r')).toBeNull();
  });

  it('rejects an impossible size before writing anything', async () => {
    await expect(store.put('s', new Blob([]), { contentType: 'x', size: -1 })).rejects.toThrow(RangeError);
    await expect(store.put('s', new Blob([]), { contentType: 'x', size: Number.NaN })).rejects.toThrow(RangeError);
    expect(await relativeFilesUnder(store.root)).toEqual([]);
  });

  it('serves many concurrent writes into one directory', async () => {
    const items = Array.from({ length: 20 }, (_, i) => ({ key: `same/dir-${i}`, data: bytes(5000 + i) }));
    await Promise.all(
      items.map((it) => store.put(it.key, streamOf(it.data), { contentType: 'x', size: it.data.length })),
    );
    for (const it of items) {
      expect(await read(await store.get(it.key))).toEqual(it.data);
    }
    expect((await relativeFilesUnder(store.root)).length).toBe(20);
  });

  it('sweeps temp files left by a crash, but not recent ones or objects', async () => {
    await store.put('a/obj', new Blob([bytes(3)]), { contentType: 'x', size: 3 });
    await mkdir(join(store.root, 'a'), { recursive: true });
    const old = join(store.root, 'a', '.obj2.0000.tmp');
    const fresh = join(store.root, 'a', '.obj3.1111.tmp');
    await writeFile(old, 'partial');
    await writeFile(fresh, 'partial');
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(old, hourAgo, hourAgo);
    expect(await store.removeStaleTempFiles(3600_000)).toBe(1);
    expect(await relativeFilesUnder(store.root)).toEqual(['a/.obj3.1111.tmp', 'a/obj']);
  });
});

describe('fs store: keys', () => {
  const bad = [
    '',
    '..',
    '../escape',
    'a/../../escape',
    'a/..',
    './a',
    'a/./b',
    '/etc/passwd',
    '//host/share',
    'a//b',
    'a/',
    'a\\..\\b',
    '..\\escape',
    'C:\\Windows',
    'C:/x',
    'a\0b',
    'nul\0',
    '.hidden',
    'a/.tmp',
    'sp ace',
    'é',
    'a%2F..',
    'x'.repeat(1025),
  ];

  it.each(bad.map((k) => [JSON.stringify(k).slice(0, 40), k]))('rejects %s everywhere', async (_label, key) => {
    expect(() => assertValidKey(key)).toThrow(InvalidKeyError);
    await expect(store.put(key, new Blob(['x']), { contentType: 'x', size: 1 })).rejects.toThrow(InvalidKeyError);
    await expect(store.get(key)).rejects.toThrow(InvalidKeyError);
    await expect(infoOf(key)).rejects.toThrow(InvalidKeyError);
    await expect(store.delete([key])).rejects.toThrow(InvalidKeyError);
  });

  it('wrote nothing anywhere for the rejected keys', async () => {
    for (const key of bad) await store.put(key, new Blob(['x']), { contentType: 'x', size: 1 }).catch(() => {});
    expect(await relativeFilesUnder(dir)).toEqual([]);
  });

  it.each(['a', 'A-Z_0.9', 'images/2024/01/abc-DEF_123.png', 'a.b/c..d', 'x'.repeat(1024)])('accepts %s', (key) => {
    expect(() => assertValidKey(key)).not.toThrow();
  });
});

describe('fs store: delete', () => {
  it('deletes several keys and ignores missing ones', async () => {
    for (const k of ['d/1', 'd/2', 'd/3']) await store.put(k, new Blob(['x']), { contentType: 'x', size: 1 });
    await store.delete(['d/1', 'd/3', 'd/missing', 'never/there']);
    expect(await relativeFilesUnder(store.root)).toEqual(['d/2']);
    await store.delete([]);
  });

  it('deletes nothing when any key is invalid', async () => {
    await store.put('keep', new Blob(['x']), { contentType: 'x', size: 1 });
    await expect(store.delete(['keep', '../x'])).rejects.toThrow(InvalidKeyError);
    expect(await infoOf('keep')).not.toBeNull();
  });
});

describe('fs store: list', () => {
  // Chosen so that sorting whole keys differs from naive directory order: '-' and '.' sort before '/'.
  const keys = ['a-b', 'a.c', 'a/x', 'a/y/z', 'a0', 'b/c/d', 'b/c/e', 'b/d', 'B', 'z_', 'zz/1'];

  beforeEach(async () => {
    for (const k of keys) await store.put(k, new Blob([k]), { contentType: 'x', size: k.length });
  });

  it('lists everything in key order in one page by default, with the same info as head', async () => {
    const page = await store.list({});
    expect(page.objects.map((o) => o.key)).toEqual([...keys].sort());
    expect(page.cursor).toBeUndefined();
    for (const o of page.objects) expect(await infoOf(o.key)).toEqual(o);
  });

  it.each([1, 2, 3, 5, 11, 50])('pages through with limit %i, each key once, in order', async (limit) => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list({ cursor, limit });
      expect(page.objects.length).toBeLessThanOrEqual(limit);
      seen.push(...page.objects.map((o) => o.key));
      cursor = page.cursor;
      pages++;
      expect(pages).toBeLessThan(20);
    } while (cursor);
    expect(seen).toEqual([...keys].sort());
    expect(pages).toBe(Math.max(1, Math.ceil(keys.length / limit)));
  });

  it('lists only keys under a prefix, as R2 does, paging within it', async () => {
    const under = (prefix: string) => [...keys].sort().filter((k) => k.startsWith(prefix));
    for (const prefix of ['a/', 'a', 'b/c/', 'b/c/d', 'b/', 'zz/', 'B', 'q/', 'nope/deeper/']) {
      expect(
        (await store.list({ prefix })).objects.map((o) => o.key),
        prefix,
      ).toEqual(under(prefix));
    }
    const first = await store.list({ prefix: 'b/', limit: 2 });
    expect(first.objects.map((o) => o.key)).toEqual(['b/c/d', 'b/c/e']);
    const rest = await store.list({ prefix: 'b/', limit: 2, cursor: first.cursor });
    expect(rest).toEqual({ objects: [expect.objectContaining({ key: 'b/d' })] });
    // A prefix naming a folder this store could never write lists nothing rather than escaping.
    expect(await store.list({ prefix: '../' })).toEqual({ objects: [] });
  });

  it('skips temp files and stray names it would never write', async () => {
    await writeFile(join(store.root, 'a', '.x.123.tmp'), 'partial');
    await writeFile(join(store.root, 'with space'), 'stray');
    expect((await store.list({})).objects.map((o) => o.key)).toEqual([...keys].sort());
  });

  it('lists an empty or missing root as empty, and refuses a forged cursor', async () => {
    const empty = fsStore(join(dir, 'never-created'));
    expect(await empty.list({})).toEqual({ objects: [] });
    const forged = Buffer.from('../../etc').toString('base64url');
    await expect(store.list({ cursor: forged })).rejects.toThrow(InvalidKeyError);
  });
});
