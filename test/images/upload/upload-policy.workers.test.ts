import { describe, expect, it } from 'vitest';
import { looksLikeMarkupOrScript } from '../../../src/formats/sniff';
import { problemFor } from '../../../src/http/domain-problems';
import { imageServingHeaders } from '../../../src/http/image-headers';
import { type BodyMeterLimits, MeteredReader } from '../../../src/http/metered-body';
import { MultipartReader, multipartBoundary } from '../../../src/http/multipart-parts';
import { ProblemError } from '../../../src/http/problem';
import { MAX_FORM_FIELD_BYTES, MAX_FORM_PARTS } from '../../../src/limits';
import { DomainError } from '../../../src/services/errors';
import { classifyUpload, declaredRasterType, type UploadPolicy } from '../../../src/services/upload-policy';
import { bigImage, gif, jpeg, png, svg } from '../../support/images';
import { multipart } from '../../support/upload';

const text = (s: string) => new TextEncoder().encode(s);
const FAKE = text('some-fake-bytes');
const strict: UploadPolicy = { kind: 'strict' };
const legacy = (declaredType: string | undefined): UploadPolicy => ({ kind: 'legacy', declaredType });

/** The status and detail a call throws, or undefined when it returns. */
function refusal(call: () => unknown): { status: number; detail: string } | undefined {
  try {
    call();
    return undefined;
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return { status: problemFor(err).status, detail: err.detail };
  }
}

describe('declaredRasterType', () => {
  it.each([
    ['image/png', 'image/png'],
    ['IMAGE/PNG', 'image/png'],
    [' image/jpeg ; charset=binary', 'image/jpeg'],
    ['image/jpg', 'image/jpeg'],
    ['image/pjpeg', 'image/jpeg'],
    ['image/x-png', 'image/png'],
    ['image/gif', 'image/gif'],
    ['image/webp', 'image/webp'],
    ['image/avif', 'image/avif'],
    ['image/bmp', 'image/bmp'],
    ['image/x-ms-bmp', 'image/bmp'],
    ['image/tiff', 'image/tiff'],
  ])('reads %j as %s', (declared, type) => {
    expect(declaredRasterType(declared)).toBe(type);
  });

  it.each([
    undefined,
    '',
    'text/plain',
    'application/octet-stream',
    'image/svg+xml',
    'image/heic',
    'image/*',
    'text/html',
    'toString',
    '__proto__',
  ])('does not accept %j', (declared) => {
    expect(declaredRasterType(declared)).toBeUndefined();
  });
});

describe('classifyUpload', () => {
  it('stores recognised bytes under the recognised type, verified, whatever the policy or claim', async () => {
    const bytes = await png(3, 2);
    for (const policy of [strict, legacy('image/jpeg'), legacy(undefined), legacy('text/plain')]) {
      expect(classifyUpload(bytes, policy)).toEqual({
        verified: true,
        contentType: 'image/png',
        extension: 'png',
        width: 3,
        height: 2,
      });
    }
    expect(classifyUpload(jpeg(2, 2), legacy('image/gif'))).toMatchObject({
      verified: true,
      contentType: 'image/jpeg',
    });
  });

  it('stores unrecognised bytes on the legacy policy under the declared type, unverified', () => {
    expect(classifyUpload(FAKE, legacy('image/png'))).toEqual({
      verified: false,
      contentType: 'image/png',
      extension: 'png',
    });
    expect(classifyUpload(FAKE, legacy('image/jpg'))).toEqual({
      verified: false,
      contentType: 'image/jpeg',
      extension: 'jpg',
    });
    // Random binary that happens to match nothing is stored too.
    const noise = Uint8Array.from({ length: 2048 }, (_, i) => (i * 97 + 13) & 0xff);
    expect(classifyUpload(noise, legacy('image/webp'))).toMatchObject({ verified: false, contentType: 'image/webp' });
  });

  it('refuses unrecognised bytes on the strict policy, whatever the claim', () => {
    expect(refusal(() => classifyUpload(FAKE, strict))).toEqual({
      status: 415,
      detail: expect.stringMatching(/not a supported image/),
    });
  });

  it.each([
    ['no declared type', FAKE, undefined, /no content type/],
    ['text/plain', FAKE, 'text/plain', /`text\/plain`/],
    ['image/svg+xml', FAKE, 'image/svg+xml', /`image\/svg\+xml`/],
    ['SVG bytes declared image/png', svg({ bom: true, prolog: true }), 'image/png', /SVG/],
    ['HTML declared image/png', text('<!doctype html><p>hi'), 'image/png', /markup or script/],
    ['a script declared image/png', text('x\n<script>alert(1)</script>'), 'image/png', /markup or script/],
  ])('refuses %s on the legacy policy with 415', (_, bytes, declared, says) => {
    const refused = refusal(() => classifyUpload(bytes, legacy(declared)));
    expect(refused?.status).toBe(415);
    expect(refused?.detail).toMatch(says);
  });

  it('quotes at most 100 characters of a declared type', () => {
    const refused = refusal(() => classifyUpload(FAKE, legacy(`text/${'x'.repeat(500)}`)));
    expect(refused?.detail).toContain(`\`text/${'x'.repeat(95)}\``);
    expect(refused?.detail).not.toContain('x'.repeat(101));
  });
});

describe('looksLikeMarkupOrScript', () => {
  const utf16 = (s: string, bigEndian: boolean, bom: boolean) => {
    const out: number[] = bom ? (bigEndian ? [0xfe, 0xff] : [0xff, 0xfe]) : [];
    for (const ch of s) out.push(...(bigEndian ? [0, ch.charCodeAt(0)] : [ch.charCodeAt(0), 0]));
    return Uint8Array.from(out);
  };
  const markup: [string, Uint8Array][] = [
    ['an SVG', svg()],
    ['an SVG with BOM, prolog and comment', svg({ bom: true, prolog: true, comment: true })],
    ['HTML', text('<!DOCTYPE html><html></html>')],
    ['HTML after whitespace', text(' \r\n\t<html>')],
    ['an XML prolog', text('<?xml version="1.0"?><a/>')],
    ['PHP', text('<?php echo 1;')],
    ['a comment', text('<!-- x -->')],
    ['any leading tag', text('<b>bold</b>')],
    ['a script tag after other text', text('GIF-ish junk <SCRIPT src=x></SCRIPT>')],
    ['an iframe after binary', Uint8Array.from([0, 1, 2, 255, ...text('<iframe src=x>')])],
    ['an img onerror after text', text('hello <img src=x onerror=alert(1)>')],
    ['a shebang', text('#!/usr/bin/env python\n')],
    ['a PDF', text('%PDF-1.4\n')],
    ['UTF-16LE HTML with a BOM', utf16('<html>', false, true)],
    ['UTF-16BE HTML with a BOM', utf16('<html>', true, true)],
    ['UTF-16LE HTML without a BOM', utf16('<html>', false, false)],
    ['UTF-16BE script without a BOM', utf16('hi <script>', true, false)],
    ['UTF-8 BOM then markup', Uint8Array.from([0xef, 0xbb, 0xbf, ...text('<p>')])],
  ];
  it.each(markup)('takes %s for markup or script', (_, bytes) => {
    expect(looksLikeMarkupOrScript(bytes)).toBe(true);
  });

  const other: [string, Uint8Array][] = [
    ['the fake bytes', FAKE],
    ['empty input', new Uint8Array()],
    ['plain text with a less-than sign', text('1 < 2 and <scripted> is not a tag')],
    ['a PNG', bigImage(5000)],
    ['a GIF', gif(3, 3)],
    ['random bytes', Uint8Array.from({ length: 4096 }, (_, i) => (i * 73 + 11) & 0xff)],
  ];
  it.each(other)('does not take %s for markup', (_, bytes) => {
    expect(looksLikeMarkupOrScript(bytes)).toBe(false);
  });

  it('looks only at the first 4 KiB for tags further in', () => {
    const far = text(`${'a'.repeat(5000)}<script>`);
    expect(looksLikeMarkupOrScript(far)).toBe(false);
  });
});

describe('unverified images', () => {
  it('are served as downloads only; verified images inline', () => {
    expect(imageServingHeaders({ name: 'a b.png', verified: false })).toEqual({
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': 'sandbox',
      'Content-Disposition': `attachment; filename="a b.png"; filename*=UTF-8''a%20b.png`,
    });
    expect(imageServingHeaders({ name: 'a b.png', verified: true })).toEqual({
      'X-Content-Type-Options': 'nosniff',
      'Content-Disposition': `inline; filename="a b.png"; filename*=UTF-8''a%20b.png`,
    });
  });
});

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
