import { describe, expect, it } from 'vitest';
import { looksLikeSvg, SNIFF_BYTES, type SniffedImage, sniffImage } from '../../../src/formats/sniff';
import {
  avif,
  type Bytes,
  bigImage,
  bmp,
  crc32,
  gif,
  jpeg,
  LOSSY_WEBP_SIZE,
  png,
  sha256Hex,
  svg,
  tiff,
  webp,
} from '../../support/images';

const text = (s: string): Bytes => new Uint8Array(new TextEncoder().encode(s));
const bytes = (...values: number[]): Bytes => Uint8Array.from(values);

/** Deterministic xorshift32, so a failing fuzz case can be replayed. */
function random(seed: number) {
  let state = seed >>> 0 || 1;
  return (below: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % below;
  };
}

/**
 * `data` behind a proxy that throws on any index read outside it. JavaScript would silently give
 * `undefined` for such a read, so only this makes "never reads outside the buffer" testable.
 */
function guarded(data: Uint8Array): Uint8Array {
  return new Proxy(data, {
    get(target, prop) {
      if (typeof prop === 'string' && /^-?\d+$/.test(prop)) {
        const index = Number(prop);
        if (index < 0 || index >= target.length) throw new RangeError(`read at ${index} of ${target.length}`);
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const sniff = (data: Uint8Array) => sniffImage(guarded(data));

const image = (contentType: string, extension: string, width: number, height: number): SniffedImage => ({
  contentType,
  extension,
  width,
  height,
});

type Case = [name: string, make: () => Bytes | Promise<Bytes>, expected: SniffedImage];

const CASES: Case[] = [
  ['PNG 7x5', () => png(7, 5), image('image/png', 'png', 7, 5)],
  ['PNG 1x1', () => png(1, 1), image('image/png', 'png', 1, 1)],
  ['PNG 300x2', () => png(300, 2), image('image/png', 'png', 300, 2)],
  ['JPEG baseline 2x3', () => jpeg(), image('image/jpeg', 'jpg', 2, 3)],
  ['JPEG baseline 640x480', () => jpeg(640, 480), image('image/jpeg', 'jpg', 640, 480)],
  ['JPEG 65535x1', () => jpeg(65535, 1), image('image/jpeg', 'jpg', 65535, 1)],
  ['JPEG extended (SOF1)', () => jpeg(33, 20, { sof: 0xc1 }), image('image/jpeg', 'jpg', 33, 20)],
  ['JPEG progressive (SOF2)', () => jpeg(20, 33, { sof: 0xc2 }), image('image/jpeg', 'jpg', 20, 33)],
  ['JPEG with fill bytes before SOF', () => jpeg(9, 4, { fill: 5 }), image('image/jpeg', 'jpg', 9, 4)],
  ['GIF 7x5', () => gif(7, 5), image('image/gif', 'gif', 7, 5)],
  ['GIF 300x1', () => gif(300, 1), image('image/gif', 'gif', 300, 1)],
  ['WebP lossy (VP8)', () => webp('lossy'), image('image/webp', 'webp', LOSSY_WEBP_SIZE.width, 2)],
  ['WebP lossless (VP8L) 7x5', () => webp('lossless', 7, 5), image('image/webp', 'webp', 7, 5)],
  ['WebP lossless max 16384x16384', () => webp('lossless', 16384, 16384), image('image/webp', 'webp', 16384, 16384)],
  ['WebP lossless 1x1', () => webp('lossless', 1, 1), image('image/webp', 'webp', 1, 1)],
  ['WebP extended (VP8X) 7x5', () => webp('extended', 7, 5), image('image/webp', 'webp', 7, 5)],
  ['WebP extended 16000x3', () => webp('extended', 16000, 3), image('image/webp', 'webp', 16000, 3)],
  ['AVIF 7x5', () => avif(7, 5), image('image/avif', 'avif', 7, 5)],
  ['AVIF 4032x3024', () => avif(4032, 3024), image('image/avif', 'avif', 4032, 3024)],
  [
    'AVIF with a thumbnail listed first reports the primary item',
    () => avif(64, 48, { thumbnail: { width: 16, height: 12 } }),
    image('image/avif', 'avif', 64, 48),
  ],
  [
    'AVIF by compatible brand only',
    () => avif(7, 5, { major: 'mif1', compatible: ['mif1', 'miaf', 'avif'] }),
    image('image/avif', 'avif', 7, 5),
  ],
  [
    'AVIF sequence brand',
    () => avif(7, 5, { major: 'avis', compatible: ['avis', 'msf1'] }),
    image('image/avif', 'avif', 7, 5),
  ],
  ['BMP 7x5 bottom-up', () => bmp(7, 5), image('image/bmp', 'bmp', 7, 5)],
  ['BMP 7x5 top-down (negative height)', () => bmp(7, 5, { topDown: true }), image('image/bmp', 'bmp', 7, 5)],
  ['BMP core header', () => bmp(5, 7, { core: true }), image('image/bmp', 'bmp', 5, 7)],
  ['TIFF little-endian SHORT', () => tiff(7, 5), image('image/tiff', 'tiff', 7, 5)],
  ['TIFF big-endian SHORT', () => tiff(7, 5, { byteOrder: 'MM' }), image('image/tiff', 'tiff', 7, 5)],
  ['TIFF little-endian LONG', () => tiff(5, 7, { dimensions: 'long' }), image('image/tiff', 'tiff', 5, 7)],
  [
    'TIFF big-endian LONG',
    () => tiff(5, 7, { byteOrder: 'MM', dimensions: 'long' }),
    image('image/tiff', 'tiff', 5, 7),
  ],
  ['TIFF wider than a SHORT', () => tiff(70000, 1), image('image/tiff', 'tiff', 70000, 1)],
];

describe('sniffImage: every accepted format, with dimensions', () => {
  it.each(CASES)('%s', async (_name, make, expected) => {
    expect(sniff(await make())).toEqual(expected);
  });

  it('reads only the head: a full-size SNIFF_BYTES prefix gives the same answer', async () => {
    for (const [, make, expected] of CASES) {
      expect(sniff((await make()).subarray(0, SNIFF_BYTES))).toEqual(expected);
    }
  });
});

describe('sniffImage: JPEG segment walk', () => {
  it('finds SOF after a large APP1 (EXIF) segment', () => {
    const file = jpeg(123, 45, { exif: 60_000 });
    expect(file.length).toBeGreaterThan(60_000);
    expect(sniff(file.subarray(0, SNIFF_BYTES))).toEqual(image('image/jpeg', 'jpg', 123, 45));
  });

  it('keeps the type but omits dimensions when SOF lies beyond the head', () => {
    const file = jpeg(123, 45, { exif: 65_000, comments: 30_000 });
    expect(sniff(file)).toEqual(image('image/jpeg', 'jpg', 123, 45));
    expect(sniff(file.subarray(0, SNIFF_BYTES))).toEqual({ contentType: 'image/jpeg', extension: 'jpg' });
  });

  it('skips DHT (C4), JPG (C8) and DAC (CC), whose codes sit in the SOF range', () => {
    // Each segment's first bytes would read as a 16x32 frame if mistaken for SOF.
    const decoy = [0x08, 0x00, 0x10, 0x00, 0x20, 0x01, 0x01, 0x11, 0x00];
    const segment = (marker: number) => [0xff, marker, 0x00, decoy.length + 2, ...decoy];
    const sof = [0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x05, 0x00, 0x07, 0x01, 0x01, 0x11, 0x00];
    const file = bytes(0xff, 0xd8, ...segment(0xc4), ...segment(0xc8), ...segment(0xcc), ...sof, 0xff, 0xd9);
    expect(sniff(file)).toEqual(image('image/jpeg', 'jpg', 7, 5));
  });

  it('steps over standalone markers (TEM, RSTn) and fill bytes', () => {
    const sof = [0xff, 0xc1, 0x00, 0x0b, 0x08, 0x00, 0x05, 0x00, 0x07, 0x01, 0x01, 0x11, 0x00];
    const file = bytes(0xff, 0xd8, 0xff, 0x01, 0xff, 0xff, 0xd3, 0xff, 0xff, 0xff, ...sof);
    expect(sniff(file)).toEqual(image('image/jpeg', 'jpg', 7, 5));
  });

  it('skips stray bytes between segments, as libjpeg does (with a warning)', () => {
    const sof = [0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x05, 0x00, 0x07, 0x01, 0x01, 0x11, 0x00];
    const file = bytes(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x41, 0x42, 0x00, 0x00, 0x00, ...sof);
    expect(sniff(file)).toEqual(image('image/jpeg', 'jpg', 7, 5));
  });

  it('stops at SOS or EOI without a frame header: type only', () => {
    const sos = bytes(0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 63, 0, 0xff, 0xc0, 0, 11, 8, 0, 5, 0, 7);
    expect(sniff(sos)).toEqual({ contentType: 'image/jpeg', extension: 'jpg' });
    expect(sniff(bytes(0xff, 0xd8, 0xff, 0xd9))).toEqual({ contentType: 'image/jpeg', extension: 'jpg' });
  });

  it('treats a zero height (defined later by DNL) as unknown', () => {
    const file = bytes(0xff, 0xd8, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x11, 0x00);
    expect(sniff(file)).toEqual({ contentType: 'image/jpeg', extension: 'jpg' });
  });

  it('survives segment lengths of 0 and 1, a frame header too short for its fields and trailing fill bytes', () => {
    for (const file of [
      bytes(0xff, 0xd8, 0xff, 0xc0, 0x00, 0x05, 0x08, 0x00, 0x05, 0x00, 0x07, 0x01, 0x01, 0x11, 0x00),
      bytes(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00, 0xff, 0xc0),
      bytes(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01),
      new Uint8Array(10_000).fill(0xff).fill(0xd8, 1, 2),
    ]) {
      expect(sniff(file)).toEqual({ contentType: 'image/jpeg', extension: 'jpg' });
    }
  });
});

describe('sniffImage: other formats in detail', () => {
  it('reads each WebP chunk kind from its own header', () => {
    const kinds = [webp('lossy'), webp('lossless', 40, 30), webp('extended', 40, 30)];
    expect(kinds.map((f) => String.fromCharCode(...f.subarray(12, 16)))).toEqual(['VP8 ', 'VP8L', 'VP8X']);
    expect(kinds.map((f) => sniff(f))).toEqual([
      image('image/webp', 'webp', 3, 2),
      image('image/webp', 'webp', 40, 30),
      image('image/webp', 'webp', 40, 30),
    ]);
  });

  it('keeps WebP as WebP with an unknown first chunk, without dimensions', () => {
    const file = webp('lossless', 7, 5);
    file.set(text('ALPH'), 12);
    expect(sniff(file)).toEqual({ contentType: 'image/webp', extension: 'webp' });
  });

  it('reports no AVIF size when several ispe exist and the primary cannot be resolved', () => {
    const file = avif(64, 48, { thumbnail: { width: 16, height: 12 } });
    const pitm = findAscii(file, 'pitm');
    file.set(text('xxxx'), pitm); // the box is now unknown, so the primary item is too
    expect(sniff(file)).toEqual({ contentType: 'image/avif', extension: 'avif' });
  });

  it('keeps AVIF without dimensions when meta lies beyond the head', () => {
    const file = avif(7, 5);
    const metaAt = findAscii(file, 'meta') - 4;
    expect(sniff(file.subarray(0, metaAt + 20))).toEqual({ contentType: 'image/avif', extension: 'avif' });
  });

  it('accepts the 1,000,000-pixel edge and omits absurd dimensions', async () => {
    const withIhdr = async (width: number, height: number) => {
      const file = await png(1, 1);
      const view = new DataView(file.buffer);
      view.setUint32(16, width);
      view.setUint32(20, height);
      view.setUint32(29, crc32(file.subarray(12, 29))); // keep IHDR's CRC honest
      return file;
    };
    expect(sniff(await withIhdr(1_000_000, 1))).toEqual(image('image/png', 'png', 1_000_000, 1));
    expect(sniff(await withIhdr(1_000_001, 1))).toEqual({ contentType: 'image/png', extension: 'png' });
    expect(sniff(await withIhdr(0, 5))).toEqual({ contentType: 'image/png', extension: 'png' });
    expect(sniff(await withIhdr(0xffffffff, 0xffffffff))).toEqual({ contentType: 'image/png', extension: 'png' });
    expect(sniff(bmp(0, 0))).toEqual({ contentType: 'image/bmp', extension: 'bmp' });
    expect(sniff(avif(2_000_000, 3))).toEqual({ contentType: 'image/avif', extension: 'avif' });
  });

  it('takes the magnitude of a negative BMP height but rejects a negative width', () => {
    const file = bmp(7, 5, { topDown: true });
    expect(new DataView(file.buffer).getInt32(22, true)).toBe(-5);
    new DataView(file.buffer).setInt32(18, -7, true);
    expect(sniff(file)).toEqual({ contentType: 'image/bmp', extension: 'bmp' });
  });

  it('does not take "BM" text for a bitmap', () => {
    expect(sniff(text('BM is a set of initials, not a bitmap header.'))).toBeUndefined();
  });

  it('keeps TIFF without dimensions when IFD0 lies outside the head', () => {
    const file = tiff(7, 5);
    new DataView(file.buffer).setUint32(4, 1_000_000, true);
    expect(sniff(file)).toEqual({ contentType: 'image/tiff', extension: 'tiff' });
    expect(sniff(tiff(7, 5).subarray(0, 20))).toEqual({ contentType: 'image/tiff', extension: 'tiff' });
  });
});

describe('sniffImage: what is not an accepted image', () => {
  const rejected: [string, Bytes][] = [
    ['empty input', new Uint8Array()],
    ['a text file', text('Hello, this is a plain text file.\nNothing to see here.\n')],
    ['HTML', text('<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>')],
    ['SVG', svg({ prolog: true })],
    ['PDF', text('%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n')],
    ['HEIC (ftyp heic)', avif(7, 5, { major: 'heic', compatible: ['mif1', 'heic'] })],
    ['HEIF without an AVIF brand', avif(7, 5, { major: 'mif1', compatible: ['mif1', 'miaf'] })],
    ['an MP4 video', avif(7, 5, { major: 'isom', compatible: ['isom', 'iso2', 'mp41'] })],
    ['a WAV file (RIFF but not WEBP)', text('RIFF\u0024\u0000\u0000\u0000WAVEfmt ')],
    ['BigTIFF', bytes(0x49, 0x49, 0x2b, 0x00, 0x08, 0x00, 0x00, 0x00)],
    ['a lone JPEG SOI', bytes(0xff, 0xd8)],
    ['a PNG signature cut short', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a)],
    ['GIF with an unknown version', text('GIF88a\u0007\u0000\u0005\u0000')],
  ];
  it.each(rejected)('rejects %s', (_name, data) => {
    expect(sniff(data)).toBeUndefined();
  });
});

describe('sniffImage: truncated and hostile input', () => {
  it('never misreports a truncated image: each prefix has the same type and size, or less', async () => {
    for (const [name, make, expected] of CASES) {
      const full = await make();
      const step = Math.max(1, Math.floor(full.length / 400));
      for (let cut = 0; cut <= full.length; cut += cut < 300 ? 1 : step) {
        const result = sniff(full.subarray(0, cut));
        if (result === undefined) continue;
        const where = `${name} cut at ${cut}`;
        expect(result.contentType, where).toBe(expected.contentType);
        if (result.width !== undefined) expect(result, where).toEqual(expected);
        else expect(result, where).toEqual({ contentType: expected.contentType, extension: expected.extension });
      }
    }
  });

  it('answers every format by its first 64 bytes at the latest (type known before dimensions)', async () => {
    for (const [name, make, expected] of CASES) {
      expect(sniff((await make()).subarray(0, 64))?.contentType, name).toBe(expected.contentType);
    }
  });

  it('survives random garbage without throwing or reading outside the buffer', () => {
    const next = random(0x5eed);
    for (let i = 0; i < 3000; i++) {
      const data = Uint8Array.from({ length: next(400) }, () => next(256));
      const result = sniff(data);
      if (result?.width !== undefined) {
        expect(result.width).toBeGreaterThan(0);
        expect(result.width).toBeLessThanOrEqual(1_000_000);
      }
    }
  });

  it('survives mutated real images: flipped bytes, inserted 0xFF runs and huge sizes', async () => {
    const next = random(0xbadc0de);
    const seeds = await Promise.all(CASES.map(([, make]) => make()));
    const small = seeds.filter((s) => s.length < 20_000);
    let recognised = 0;
    for (let i = 0; i < 4000; i++) {
      const source = small[i % small.length] as Bytes;
      const data = source.slice(0, Math.max(12, next(source.length + 1)));
      const edits = 1 + next(6);
      for (let e = 0; e < edits; e++) {
        // Keep the magic mostly intact so the parsers behind it get exercised.
        const at = 4 + next(Math.max(1, data.length - 4));
        const kind = next(3);
        if (kind === 0) data[at] = next(256);
        else if (kind === 1) data.fill(0xff, at, at + 1 + next(8));
        else data.fill(next(2) ? 0xff : 0x00, at, at + 4); // sizes of 0 or 2^32-1
      }
      const result = sniff(data);
      if (result) recognised++;
      if (result?.width !== undefined) {
        expect(Number.isInteger(result.width) && result.width > 0 && result.width <= 1_000_000).toBe(true);
        expect(Number.isInteger(result.height) && (result.height as number) > 0).toBe(true);
        expect(result.height).toBeLessThanOrEqual(1_000_000);
      }
    }
    expect(recognised).toBeGreaterThan(1000); // the fuzzing reached the format parsers
  });

  it('walks hostile ISO-BMFF boxes without trusting their sizes', () => {
    const ftyp = [0, 0, 0, 16, ...text('ftypavif'), 0, 0, 0, 0];
    const hostile = [
      [...ftyp, 0, 0, 0, 0, ...text('meta')], // size 0: to the end
      [...ftyp, 0, 0, 0, 1, ...text('meta'), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // 64-bit size
      [...ftyp, 0, 0, 0, 1, ...text('meta'), 0, 0], // 64-bit size cut short
      [...ftyp, 0, 0, 0, 4, ...text('meta'), 0, 0, 0, 0], // smaller than its header
      [...ftyp, 0xff, 0xff, 0xff, 0xff, ...text('meta'), 0, 0, 0, 0, 0, 0, 0, 12, ...text('iprp')],
    ];
    for (const data of hostile) {
      expect(sniff(Uint8Array.from(data))).toEqual({ contentType: 'image/avif', extension: 'avif' });
    }
    expect(sniff(bytes(0, 0, 0, 12, ...text('ftypavif')))).toBeUndefined(); // no minor version
  });

  it('bounds the TIFF IFD walk by the buffer, whatever the entry count', () => {
    const file = tiff(7, 5).subarray(0, 30);
    new DataView(file.buffer).setUint16(8, 0xffff, true);
    expect(sniff(file)).toEqual({ contentType: 'image/tiff', extension: 'tiff' });
  });
});

describe('looksLikeSvg', () => {
  const variants: [string, Bytes][] = [
    ['plain', svg()],
    ['with a UTF-8 BOM', svg({ bom: true })],
    ['with an XML prolog', svg({ prolog: true })],
    ['with leading whitespace', svg({ leading: ' \t\r\n\n  ' })],
    ['with a DOCTYPE', svg({ doctype: true })],
    ['with a comment before the root', svg({ comment: true })],
    ['with all of them', svg({ bom: true, leading: '\n ', prolog: true, comment: true, doctype: true })],
    ['with a DOCTYPE internal subset', text('<!DOCTYPE svg [ <!ENTITY a "<b>"> ]>\n<svg/>')],
    ['with an unusual DOCTYPE root', text('<?xml version="1.0"?><!DOCTYPE x><svg width="1"></svg>')],
    ['upper-case (as HTML parsers accept)', text('<SVG xmlns="http://www.w3.org/2000/svg"></SVG>')],
    ['namespace-prefixed', text('<svg:svg xmlns:svg="http://www.w3.org/2000/svg"/>')],
  ];
  it.each(variants)('recognises SVG %s, which sniffImage still rejects', (_name, data) => {
    expect(looksLikeSvg(data)).toBe(true);
    expect(sniff(data)).toBeUndefined();
  });

  const others: [string, Uint8Array][] = [
    ['empty input', new Uint8Array()],
    ['plain text', text('svg files are not accepted here')],
    ['HTML', text('<!DOCTYPE html><html><body><svg></svg></body></html>')],
    ['other XML', text('<?xml version="1.0"?>\n<note><svg/></note>')],
    ['an element that merely starts with svg', text('<svgfoo/>')],
    ['an unterminated prolog', text('<?xml version="1.0"')],
    ['a PNG', bigImage(1000)],
    ['random bytes', Uint8Array.from({ length: 512 }, (_, i) => (i * 73 + 11) & 0xff)],
  ];
  it.each(others)('does not take %s for SVG', (_name, data) => {
    expect(looksLikeSvg(data)).toBe(false);
  });
});

describe('fixtures', () => {
  it('builds PNG chunks with correct CRCs and a zlib IDAT that inflates to the scanlines', async () => {
    const file = await png(4, 3);
    const view = new DataView(file.buffer);
    let at = 8;
    const types: string[] = [];
    let idat = new Uint8Array();
    while (at < file.length) {
      const length = view.getUint32(at);
      const type = String.fromCharCode(...file.subarray(at + 4, at + 8));
      types.push(type);
      expect(view.getUint32(at + 8 + length), type).toBe(crc32(file.subarray(at + 4, at + 8 + length)));
      if (type === 'IDAT') idat = file.slice(at + 8, at + 8 + length);
      at += 12 + length;
    }
    expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
    const raw = await new Response(
      new Blob([idat]).stream().pipeThrough(new DecompressionStream('deflate')),
    ).arrayBuffer();
    expect(raw.byteLength).toBe(3 * (1 + 4 * 3)); // filter byte + RGB per row
  });

  it('makes bigImage exactly the requested size, deterministic per seed, and sniffable', async () => {
    const size = 10 * 1024 * 1024;
    const a = bigImage(size);
    const b = bigImage(size);
    const c = bigImage(size, { seed: 2 });
    expect(a.length).toBe(size);
    expect(bigImage(33).length).toBe(33);
    expect(() => bigImage(32)).toThrow(RangeError);
    expect(sniff(a.subarray(0, SNIFF_BYTES))).toEqual(image('image/png', 'png', 4000, 3000));
    expect(sniff(bigImage(100, { width: 9, height: 8 }))).toEqual(image('image/png', 'png', 9, 8));
    const [ha, hb, hc] = await Promise.all([sha256Hex(a), sha256Hex(b), sha256Hex(c)]);
    expect(ha).toBe(hb);
    expect(ha).not.toBe(hc);
    expect(ha).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes with SHA-256 (FIPS 180-2 test vector)', async () => {
    expect(await sha256Hex(text('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('refuses a lossy WebP size it cannot make', () => {
    expect(() => webp('lossy', 4, 4)).toThrow(RangeError);
  });
});

function findAscii(data: Uint8Array, needle: string): number {
  const target = text(needle);
  for (let i = 0; i + target.length <= data.length; i++) {
    if (target.every((v, k) => data[i + k] === v)) return i;
  }
  throw new Error(`${needle} not found`);
}
