import { describe, expect, it } from 'vitest';
import { type BodyMeterLimits, MeteredReader } from '../../../src/http/metered-body';
import { MultipartReader, multipartBoundary } from '../../../src/http/multipart-parts';
import { ProblemError } from '../../../src/http/problem';
import { MAX_FORM_FIELD_BYTES, MAX_FORM_PARTS } from '../../../src/limits';
import { bigImage } from '../../support/images';
import { multipart } from '../../support/upload';

const text = (s: string) => new TextEncoder().encode(s);
const FAKE = text('some-fake-bytes');

describe('declared part types', () => {
  it.each([
    ['multipart/form-data; boundary=abc', 'abc'],
    ['Multipart/Form-Data; charset=utf-8; Boundary="a b;c"', 'a b;c'],
    ['multipart/mixed; boundary=abc', undefined],
    ['application/json', undefined],
    [null, undefined],
  ])('reads the boundary of %j', (header, boundary) => {
    expect(multipartBoundary(header)).toBe(boundary);
  });

  const chunked = (body: Uint8Array, size: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < body.length; at += size) controller.enqueue(body.slice(at, at + size));
        controller.close();
      },
    });
  const limits: BodyMeterLimits = {
    maxBytes: 1024 * 1024,
    tooLarge: 'too large',
    idleMs: 5000,
    minBytesPerSecond: 0,
    maxMs: 60_000,
  };
  const metered = (stream: ReadableStream<Uint8Array>, l = limits) => new MeteredReader(stream, l);

  type Seen = [name: string, kind: string, declared: string | undefined, value: string];
  /** Reads every part of a body sent in chunks of `size` bytes; file parts are read to the end. */
  async function read(body: Uint8Array, boundary: string, size: number, l = limits): Promise<Seen[]> {
    const reader = new MultipartReader(metered(chunked(body, size), l), `multipart/form-data; boundary=${boundary}`);
    const seen: Seen[] = [];
    for (let part = await reader.next(); part; part = await reader.next()) {
      if (part.kind === 'field') seen.push([part.name, 'field', undefined, part.value]);
      else seen.push([part.name, `file:${part.filename}`, part.declaredType, await new Response(part.body).text()]);
    }
    return seen;
  }

  it.each([1, 2, 7, 64, 100_000])(
    'streams each part with its own Content-Type, read in %i-byte chunks',
    async (size) => {
      const boundary = 'xYz-123';
      // Content that contains CRLFs, a blank line and a near-delimiter must not be read as headers.
      const tricky = `line\r\n\r\n--xYz-12\r\nContent-Type: text/html\r\n\r\n`;
      const { body } = multipart(
        [
          { name: 'tags', value: '["a"]', contentType: 'application/json' },
          { name: 'image', value: text(tricky), filename: 'x.png', contentType: 'image/png' },
          { name: 'image', value: FAKE, filename: 'second.png', contentType: 'image/gif' },
          { name: 'other', value: FAKE, filename: 'café 日本.png' },
          { name: 'field.two', value: FAKE, filename: 'z', contentType: 'IMAGE/JPEG; q=1' },
        ],
        boundary,
      );
      expect(await read(body, boundary, size)).toEqual([
        ['tags', 'field', undefined, '["a"]'],
        ['image', 'file:x.png', 'image/png', tricky],
        ['image', 'file:second.png', 'image/gif', 'some-fake-bytes'],
        ['other', 'file:café 日本.png', undefined, 'some-fake-bytes'],
        ['field.two', 'file:z', 'IMAGE/JPEG; q=1', 'some-fake-bytes'],
      ]);
    },
  );

  it('skips what a consumer leaves of a file part when it asks for the next part', async () => {
    const { body } = multipart(
      [
        { name: 'image', value: bigImage(200_000, { seed: 1 }), filename: 'a.png' },
        { name: 'tags', value: 'late' },
      ],
      'b',
    );
    const reader = new MultipartReader(metered(chunked(body, 4096)), 'multipart/form-data; boundary=b');
    expect((await reader.next())?.kind).toBe('file');
    expect(await reader.next()).toEqual({ kind: 'field', name: 'tags', value: 'late' });
    expect(await reader.next()).toBeUndefined();
  });

  it('ignores what follows the closing delimiter', async () => {
    const boundary = 'b';
    const { body } = multipart([{ name: 'image', value: FAKE, filename: 'a.png', contentType: 'image/png' }], boundary);
    const epilogue = text('\r\n--b\r\nContent-Disposition: form-data; name="late"; filename="l"\r\n\r\nx');
    for (const size of [1, 2, 3, 5, 1000]) {
      expect(await read(Uint8Array.from([...body, ...epilogue]), 'b', size)).toEqual([
        ['image', 'file:a.png', 'image/png', 'some-fake-bytes'],
      ]);
    }
  });

  /** The status a read fails with. */
  const failure = (run: Promise<unknown>) =>
    run.then(
      () => undefined,
      (err: unknown) => (err instanceof ProblemError ? err.status : err),
    );

  it.each([
    ['without its closing delimiter', (b: Uint8Array) => b.subarray(0, b.length - 6)],
    ['in the middle of a file part', (b: Uint8Array) => b.subarray(0, 150)],
    ['in the middle of part headers', (b: Uint8Array) => b.subarray(0, 40)],
    ['with no part at all', () => new Uint8Array(0)],
  ])('fails with 400 for a body that ends %s, also inside a file part being read', async (_, cut) => {
    const { body } = multipart([{ name: 'image', value: bigImage(1000, { seed: 2 }), filename: 'a.png' }], 'b');
    expect(await failure(read(cut(body), 'b', 64))).toBe(400);
  });

  it('fails with 413 once the body passes its limit, and once the fields together pass theirs', async () => {
    const { body } = multipart([{ name: 'image', value: bigImage(5000, { seed: 3 }), filename: 'a.png' }], 'b');
    expect(await failure(read(body, 'b', 512, { ...limits, maxBytes: 4000 }))).toBe(413);
    const field = multipart([{ name: 'tags', value: 'x'.repeat(MAX_FORM_FIELD_BYTES + 1) }], 'b');
    expect(await failure(read(field.body, 'b', 512))).toBe(413);
    // Many fields each under any per-field size: the bound is on all of them together.
    const many = multipart(
      Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, value: 'y'.repeat(MAX_FORM_FIELD_BYTES / 16) })),
      'b',
    );
    expect(await failure(read(many.body, 'b', 4096))).toBe(413);
    const parts = multipart(
      Array.from({ length: MAX_FORM_PARTS + 1 }, (_, i) => ({ name: `p${i}`, value: 'z' })),
      'b',
    );
    expect(await failure(read(parts.body, 'b', 4096))).toBe(413);
  });

  describe('the meter every body is read through', () => {
    /** Chunks of `size` bytes every `everyMs`, `count` times. */
    const paced = (size: number, everyMs: number, count: number) => {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent++ >= count) return controller.close();
          await new Promise((r) => setTimeout(r, everyMs));
          controller.enqueue(new Uint8Array(size));
        },
      });
    };
    const readAll = async (stream: ReadableStream<Uint8Array>, l: BodyMeterLimits) => {
      const reader = new MeteredReader(stream, l);
      for (let r = await reader.read(); !r.done; r = await reader.read());
      return reader.bytesRead;
    };

    it('lets a steady body through, and refuses one still arriving past maxMs, however steady (408)', async () => {
      const steady = { ...limits, maxMs: 2000 };
      expect(await readAll(paced(1024, 10, 10), steady)).toBe(10 * 1024);
      expect(await failure(readAll(paced(1024, 20, 50), { ...limits, maxMs: 300 }))).toBe(408);
    });

    it('refuses a body that stalls for idleMs, and one slower than minBytesPerSecond once past it (408)', async () => {
      expect(await failure(readAll(paced(1, 400, 3), { ...limits, idleMs: 200 }))).toBe(408);
      // Never idle for 150 ms, but 1 byte per 100 ms is far under 1000 bytes a second.
      expect(await failure(readAll(paced(1, 100, 10), { ...limits, idleMs: 150, minBytesPerSecond: 1000 }))).toBe(408);
    });

    it('counts chunked bytes against maxBytes as they arrive (413)', async () => {
      expect(await failure(readAll(paced(1000, 1, 20), { ...limits, maxBytes: 5000 }))).toBe(413);
    });
  });
});
