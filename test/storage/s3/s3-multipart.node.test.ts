import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fsStore } from '../../../src/storage/fs/fs-store';
import { S3_PART_BYTES, s3Store } from '../../../src/storage/s3';
import { withS3Multipart } from '../../../src/storage/s3-multipart';
import { type MotoServer, startMoto } from '../../support/node/moto';

// What Workers build when S3 credentials for the R2 bucket are set (src/index.ts): the bound
// store for everything but upload sessions, whose multipart calls and presigned parts go through
// the bucket's S3 API. Here a directory stands in for the binding and moto for R2's S3 endpoint.
let moto: MotoServer;
let dir: string;

beforeAll(async () => {
  moto = await startMoto();
  dir = await mkdtemp(join(tmpdir(), 'imageapi-s3-multipart-'));
}, 60_000);
afterAll(async () => {
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('sends parts to presigned URLs and assembles them in the bucket; other calls keep the bound store', async () => {
  const s3 = s3Store((await moto.bucket()).settings);
  const store = withS3Multipart(fsStore(dir), s3);
  expect(store.minPartBytes).toBe(S3_PART_BYTES);

  const key = 'images/sessions-presigned';
  const parts = [new Uint8Array(randomBytes(S3_PART_BYTES)), new Uint8Array(randomBytes(1234))];
  const { uploadId } = await store.createMultipart(key, { contentType: 'image/png' });
  // Sent as a client would: straight to the URL, with the headers it was given (and no keys).
  for (const [i, body] of [...parts.entries()].reverse()) {
    const signed = await store.presignPart?.(key, {
      uploadId,
      partNumber: i + 1,
      size: body.length,
      expiresInSeconds: 60,
    });
    if (!signed) throw new Error('the composed store presigns no part');
    expect(signed.url).toContain('X-Amz-Signature=');
    const { 'Content-Length': _length, ...headers } = signed.headers;
    const res = await fetch(signed.url, { method: signed.method, headers, body });
    await res.body?.cancel();
    expect(res.status).toBe(200);
  }
  const held = (await store.listParts?.(key, uploadId)) ?? [];
  expect(held.map((p) => [p.number, p.size])).toEqual([
    [1, S3_PART_BYTES],
    [2, 1234],
  ]);
  const done = await store.completeMultipart(key, uploadId, held, S3_PART_BYTES + 1234);
  expect(done.size).toBe(S3_PART_BYTES + 1234);

  // The bytes are in the bucket, whole and in order; the directory never saw them.
  const stored = await s3.get(key);
  const back = new Uint8Array(await new Response(stored?.body).arrayBuffer());
  expect(Buffer.from(back).equals(Buffer.concat(parts))).toBe(true);
  expect(await readdir(dir)).toEqual([]);

  // Everything else is the bound store's.
  await store.put('images/plain', new Blob([new Uint8Array([1, 2, 3])]), { contentType: 'image/png', size: 3 });
  expect(await s3.get('images/plain')).toBeNull();
  expect((await store.get('images/plain'))?.size).toBe(3);
}, 60_000);

it('aborting removes the parts from the bucket', async () => {
  const s3 = s3Store((await moto.bucket()).settings);
  const store = withS3Multipart(fsStore(dir), s3);
  const { uploadId } = await store.createMultipart('images/aborted', { contentType: 'image/png' });
  await store.putPart('images/aborted', new Blob([new Uint8Array(10)]).stream(), {
    uploadId,
    partNumber: 1,
    size: 10,
  });
  expect(await s3.listMultipartUploads()).toHaveLength(1);
  await store.abortMultipart('images/aborted', uploadId);
  expect(await s3.listMultipartUploads()).toEqual([]);
});
