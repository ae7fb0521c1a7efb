import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/lib/unavailable';
import { guardedStore } from '../../src/storage/guarded';
import type { ImageStore } from '../../src/storage/image-store';
import { R2_PART_BYTES, r2Store } from '../../src/storage/r2';
import { addedKeys, storedKeys } from '../support/workers/stored-keys';

const MIB = 1024 * 1024;

/** `total` bytes (a repeating pattern) in `chunk`-byte chunks; `failAfter` errors the stream there. */
function source(total: number, failAfter?: number, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAfter !== undefined && at >= failAfter) return controller.error(new Error('client went away'));
      if (at >= total) return controller.close();
      const n = Math.min(chunk, total - at);
      controller.enqueue(pattern(at, n));
      at += n;
    },
  });
}

function pattern(offset: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (offset + i) % 251;
  return out;
}

/** The first byte that differs from the pattern, or -1. */
function firstWrong(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== i % 251) return i;
  return -1;
}

describe('R2 store: a body of unknown length', () => {
  const store = r2Store(env.IMAGES);

  it.each([
    ['fits the first part: one put', 100_000, undefined],
    ['is empty', 0, undefined],
    ['ends exactly where a small body ends (256 KiB)', 256 * 1024, undefined],
    ['is one byte past a small body', 256 * 1024 + 1, undefined],
    ['crosses the small-body mark inside a chunk', 3 * R2_PART_BYTES - 7, 100_003],
    ['spans parts: a multipart upload', 2 * R2_PART_BYTES + 12_345, undefined],
    ['is exactly one part', R2_PART_BYTES, undefined],
    ['is exactly one part, in chunks that straddle it', R2_PART_BYTES, 1_000_003],
  ])(
    '%s',
    async (_, total, chunk) => {
      const key = `stream-test/${crypto.randomUUID()}`;
      const info = await store.put(key, source(total, undefined, chunk), { contentType: 'image/png' });
      expect(info.size).toBe(total);
      const got = await env.IMAGES.get(key);
      expect(got?.httpMetadata?.contentType).toBe('image/png');
      const back = new Uint8Array(await (got as R2ObjectBody).arrayBuffer());
      expect(back.length).toBe(total);
      expect(firstWrong(back)).toBe(-1);
      await env.IMAGES.delete(key);
    },
    60_000,
  );

  it('stores nothing when the body fails after a part went up', async () => {
    const before = await storedKeys();
    const key = `stream-test/${crypto.randomUUID()}`;
    await expect(
      store.put(key, source(3 * MIB + R2_PART_BYTES, R2_PART_BYTES + MIB), { contentType: 'x' }),
    ).rejects.toThrow(/client went away/);
    expect(await env.IMAGES.head(key)).toBeNull();
    expect(addedKeys(before, await storedKeys())).toEqual([]);
  }, 60_000);
});

describe('guarded store: a streamed put', () => {
  /** A store whose put reads the whole body, then takes `thenMs` more. */
  const slowStore = (thenMs: number): ImageStore =>
    ({
      async put(key: string, body: ReadableStream<Uint8Array>) {
        let size = 0;
        for await (const chunk of body) size += chunk.byteLength;
        await new Promise((resolve) => setTimeout(resolve, thenMs));
        return { key, size, etag: '"x"', uploaded: new Date() };
      },
    }) as unknown as ImageStore;

  /** Three chunks, 80 ms apart: a slow client, not a slow store. */
  const slowClient = () => {
    let n = 0;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (n++ === 3) return controller.close();
        await new Promise((resolve) => setTimeout(resolve, 80));
        controller.enqueue(new Uint8Array(10));
      },
    });
  };

  it('starts the clock when the last byte was handed over, not before', async () => {
    const guarded = guardedStore(() => slowStore(0), 100);
    await expect(guarded.put('k', slowClient(), { contentType: 'x' })).resolves.toMatchObject({ size: 30 });
  });

  it('still answers 503 when the store then hangs', async () => {
    const guarded = guardedStore(() => slowStore(1_000), 100);
    const err = await guarded.put('k', slowClient(), { contentType: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).timedOut).toBe(true);
  });
});
