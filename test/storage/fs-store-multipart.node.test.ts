import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FsImageStore, fsStore } from '../../src/storage/fs/fs-store';
import { filesUnder } from '../support/node/files';

let dir: string;
let store: FsImageStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fs-multipart-'));
  store = fsStore(dir, { durable: false });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const files = async () => (await filesUnder(dir)).map((p) => relative(dir, p)).sort();

/** `bytes` as a stream in 1000-byte chunks, optionally failing after `failAfter` of them. */
function chunked(bytes: Uint8Array, failAfter?: number): ReadableStream<Uint8Array> {
  let at = 0;
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (failAfter !== undefined && sent === failAfter) return controller.error(new Error('client went away'));
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 1000));
      at += 1000;
      sent++;
    },
  });
}

describe('fs store: multipart uploads', () => {
  it('assembles parts put in any order (one again) into the object, and keeps no staging file', async () => {
    const whole = randomBytes(25_000);
    const { uploadId } = await store.createMultipart('images/a', { contentType: 'image/png' });
    const cut = [whole.subarray(0, 10_000), whole.subarray(10_000, 20_000), whole.subarray(20_000)];
    const p3 = await store.putPart('images/a', chunked(cut[2] as Buffer), { uploadId, partNumber: 3, size: 5_000 });
    const p1 = await store.putPart('images/a', chunked(cut[0] as Buffer), { uploadId, partNumber: 1, size: 10_000 });
    await store.putPart('images/a', chunked(randomBytes(10_000)), { uploadId, partNumber: 2, size: 10_000 });
    const p2 = await store.putPart('images/a', chunked(cut[1] as Buffer), { uploadId, partNumber: 2, size: 10_000 });
    const info = await store.completeMultipart('images/a', uploadId, [p3, p1, p2], whole.length);
    expect(info.size).toBe(whole.length);
    const object = await store.get('images/a');
    expect(Buffer.from(await new Response(object?.body).arrayBuffer()).equals(whole)).toBe(true);
    expect(await files()).toEqual(['images/a']);
  });

  it('keeps nothing of a part that fails, is short or is long, and refuses to assemble a replaced part', async () => {
    const { uploadId } = await store.createMultipart('images/b', { contentType: 'image/png' });
    const part = randomBytes(5_000);
    const opts = { uploadId, partNumber: 1, size: 5_000 };
    await expect(store.putPart('images/b', chunked(part, 2), opts)).rejects.toThrow(/went away/);
    await expect(store.putPart('images/b', chunked(part.subarray(0, 4_000)), opts)).rejects.toThrow(/ended after/);
    await expect(store.putPart('images/b', chunked(randomBytes(6_000)), opts)).rejects.toThrow(/longer/);
    expect(await files()).toEqual([]);
    const first = await store.putPart('images/b', chunked(part), opts);
    await store.putPart('images/b', chunked(randomBytes(5_000)), opts);
    await expect(store.completeMultipart('images/b', uploadId, [first], 5_000)).rejects.toThrow(/not the one/);
    expect(await store.get('images/b')).toBeNull();
  });

  it('aborts: every part goes, and the upload takes no more', async () => {
    const { uploadId } = await store.createMultipart('images/c', { contentType: 'image/png' });
    await store.putPart('images/c', chunked(randomBytes(3_000)), { uploadId, partNumber: 1, size: 3_000 });
    expect(await files()).toHaveLength(1);
    await store.abortMultipart('images/c', uploadId);
    expect(await files()).toEqual([]);
    await expect(
      store.putPart('images/c', chunked(randomBytes(3_000)), { uploadId, partNumber: 2, size: 3_000 }),
    ).rejects.toThrow(/No multipart upload/);
    await expect(store.abortMultipart('images/c', '../../etc')).rejects.toThrow(/Invalid multipart upload id/);
  });
});
