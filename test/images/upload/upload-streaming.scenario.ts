import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearer, newUser, problem, type TestUser } from '../../support/client';
import { bytesOf, legacyIds, v1Ids } from '../../support/image-api';
import { bigImage, png, sha256Hex } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import { storedKeysOf } from '../../support/target';
import { multipart, type Part } from '../../support/upload';

const MIB = 1024 * 1024;
const PATHS = ['/api/images', '/api/v1/images'] as const;

/**
 * Uploads are streamed into the store as they arrive (docs/api.md, "Uploads"): whatever stops an upload
 * after its bytes began to arrive, nothing stays behind, neither a row nor bytes nor a temporary
 * file; and what streams through whole is stored byte for byte.
 */
const uploadStreaming: Scenario = (target) => {
  let user: TestUser;
  let keysBefore: Set<string>;
  // Large enough to span many request chunks, R2 parts and fs writes before anything fails.
  const big = bigImage(6 * MIB + 12_345, { seed: 41 });

  beforeAll(async () => {
    user = await newUser(target(), 'streaming');
  });
  beforeEach(async () => {
    keysBefore = await storedKeysOf(target());
  });

  const newKeys = async () => [...(await storedKeysOf(target()))].filter((k) => !keysBefore.has(k));

  /** No row for the user on either list, and no new key or file in the store. */
  const expectNothingLeft = async () => {
    expect(await v1Ids(target(), user)).toEqual([]);
    expect(await legacyIds(target(), user)).toEqual([]);
    expect(await newKeys()).toEqual([]);
  };

  const imagePart = (value: Uint8Array, o: Partial<Part> = {}): Part => ({
    name: 'image',
    value,
    filename: 'big.png',
    contentType: 'image/png',
    ...o,
  });

  /** Sends `body` in 64 KiB chunks, with no Content-Length (chunked), as a streaming client does. */
  const sendStreamed = (path: string, body: Uint8Array, contentType: string) => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < body.length; at += 64 * 1024) controller.enqueue(body.slice(at, at + 64 * 1024));
        controller.close();
      },
    });
    return target().fetch(path, {
      method: 'POST',
      headers: bearer(user, { 'content-type': contentType }),
      body: stream,
      // Required by fetch for a stream body outside workerd.
      duplex: 'half',
    } as RequestInit);
  };
  const send = (path: string, body: Uint8Array, contentType: string) =>
    target().fetch(path, { method: 'POST', headers: bearer(user, { 'content-type': contentType }), body });

  describe('a body that ends early', () => {
    it.each(PATHS)(
      'answers 400 and stores nothing when the closing boundary is missing on %s',
      async (path) => {
        const { body, contentType } = multipart([imagePart(big)]);
        const cut = body.subarray(0, body.length - '--\r\n'.length - 10);
        for (const sent of [send(path, cut, contentType), sendStreamed(path, cut, contentType)]) {
          const res = await sent;
          expect(res.status).toBe(400);
          expect((await problem(res)).detail).toMatch(/closing boundary/);
        }
        await expectNothingLeft();
      },
      60_000,
    );

    it.each(PATHS)(
      'answers 400 and stores nothing when the body stops inside the image on %s',
      async (path) => {
        const { body, contentType } = multipart([imagePart(big), { name: 'tags', value: 'cat' }]);
        const res = await sendStreamed(path, body.subarray(0, 3 * MIB), contentType);
        expect(res.status).toBe(400);
        await expectNothingLeft();
      },
      60_000,
    );
  });

  describe('a form refused after its image streamed in', () => {
    it.each(PATHS)(
      'deletes the bytes when a bad tags part follows the image on %s',
      async (path) => {
        const { body, contentType } = multipart([imagePart(big), { name: 'tags', value: 'a,,b' }]);
        const res = await sendStreamed(path, body, contentType);
        expect(res.status).toBe(400);
        expect((await problem(res)).errors?.map((e) => e.name)).toContain('tags');
        await expectNothingLeft();
      },
      60_000,
    );

    it.each(PATHS)(
      'refuses two image parts with 400 naming `image`, storing neither, on %s',
      async (path) => {
        const { body, contentType } = multipart([imagePart(big), imagePart(await png(3, 3), { filename: 'b.png' })]);
        const res = await sendStreamed(path, body, contentType);
        expect(res.status).toBe(400);
        expect((await problem(res)).errors?.map((e) => e.name)).toContain('image');
        await expectNothingLeft();
      },
      60_000,
    );

    it('refuses bytes that are not an image with 415 on v1 without storing them, even when large', async () => {
      const noise = bigImage(2 * MIB, { seed: 5 }).fill(0x41);
      const { body, contentType } = multipart([imagePart(noise)]);
      const res = await sendStreamed('/api/v1/images', body, contentType);
      expect(res.status).toBe(415);
      await expectNothingLeft();
    }, 60_000);
  });

  describe('what streams through whole', () => {
    it.each(PATHS)(
      'stores it byte for byte with tags sent before or after the image on %s',
      async (path) => {
        const digest = await sha256Hex(big);
        const orders: Part[][] = [
          [{ name: 'tags', value: 'before' }, imagePart(big)],
          [imagePart(big), { name: 'tags', value: 'after' }],
        ];
        for (const parts of orders) {
          keysBefore = await storedKeysOf(target());
          const { body, contentType } = multipart(parts);
          const res = await sendStreamed(path, body, contentType);
          expect(res.status).toBe(201);
          const img = (await res.json()) as {
            id?: number;
            img_id?: number;
            sha256?: string;
            size: number;
            tags: string[];
          };
          expect(img.size).toBe(big.length);
          expect(img.tags).toEqual([parts[0]?.name === 'tags' ? 'before' : 'after']);
          expect(await newKeys()).toHaveLength(1);
          const id = img.id ?? img.img_id;
          const file = await target().fetch(`/api/image/${id}`, { headers: bearer(user) });
          expect(file.status).toBe(200);
          expect(await sha256Hex(await bytesOf(file))).toBe(digest);
          const meta = await target().fetch(`/api/v1/images/${id}`, { headers: bearer(user) });
          expect(((await meta.json()) as { sha256: string }).sha256).toBe(digest);
          await target().fetch(`/api/v1/images/${id}`, { method: 'DELETE', headers: bearer(user) });
        }
        await expectNothingLeft();
      },
      60_000,
    );
  });
};

export default uploadStreaming;
