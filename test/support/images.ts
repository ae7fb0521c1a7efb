/**
 * Image fixtures built in code, so no binary files are committed and every dimension is chosen
 * by the test that uses it. Web APIs only (Uint8Array, CompressionStream, crypto.subtle): the
 * same module runs inside workerd and in Node.
 *
 * PNG, GIF, BMP, TIFF, JPEG and WebP fixtures are real, decodable images (checked once with
 * ImageMagick `identify`/`convert` and libwebp's `dwebp` while writing them; no test depends on
 * those tools). The AVIF fixture is structurally well-formed ISO-BMFF but carries no real AV1
 * bitstream. `bigImage` is a PNG only as far as a sniffer can tell.
 */

export type Bytes = Uint8Array<ArrayBuffer>;

/** Big- or little-endian byte assembly for headers; pixel data is written into typed arrays. */
class Writer {
  private readonly parts: number[] = [];
  constructor(private readonly littleEndian = false) {}
  u8(...values: number[]): this {
    for (const v of values) this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.littleEndian ? this.u8(v, v >>> 8) : this.u8(v >>> 8, v);
  }
  u24(v: number): this {
    return this.littleEndian ? this.u8(v, v >>> 8, v >>> 16) : this.u8(v >>> 16, v >>> 8, v);
  }
  u32(v: number): this {
    return this.littleEndian ? this.u8(v, v >>> 8, v >>> 16, v >>> 24) : this.u8(v >>> 24, v >>> 16, v >>> 8, v);
  }
  ascii(text: string): this {
    for (let i = 0; i < text.length; i++) this.u8(text.charCodeAt(i));
    return this;
  }
  bytes(data: Uint8Array): this {
    for (const v of data) this.parts.push(v);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Bytes {
    return Uint8Array.from(this.parts);
  }
}

function concat(...chunks: Uint8Array[]): Bytes {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const ascii = (text: string): Bytes => new Uint8Array(new TextEncoder().encode(text));

const hex = (digits: string): Bytes => Uint8Array.from(digits.match(/../g) ?? [], (h) => Number.parseInt(h, 16));

// --- PNG -----------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG uses it). */
export function crc32(...chunks: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const chunk of chunks) {
    for (const byte of chunk) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Bytes {
  const typeBytes = ascii(type);
  const head = new Writer().u32(data.length).bytes(typeBytes).done();
  const tail = new Writer().u32(crc32(typeBytes, data)).done();
  return concat(head, data, tail);
}

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** IHDR for 8-bit truecolour (RGB), no interlace. */
const ihdr = (width: number, height: number) =>
  pngChunk('IHDR', new Writer().u32(width).u32(height).u8(8, 2, 0, 0, 0).done());

/** zlib (RFC 1950) — what PNG's IDAT holds and what CompressionStream calls 'deflate'. */
async function zlib(data: Bytes): Promise<Bytes> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A decodable RGB PNG with a colour gradient. */
export async function png(width: number, height: number): Promise<Bytes> {
  const stride = 1 + width * 3;
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    // Each scanline starts with filter type 0 (none), already zero.
    for (let x = 0; x < width; x++) {
      const at = y * stride + 1 + x * 3;
      raw[at] = (x * 255) / Math.max(1, width - 1);
      raw[at + 1] = (y * 255) / Math.max(1, height - 1);
      raw[at + 2] = 0x80;
    }
  }
  return concat(
    PNG_SIGNATURE,
    ihdr(width, height),
    pngChunk('IDAT', await zlib(raw)),
    pngChunk('IEND', new Uint8Array()),
  );
}

/**
 * A decodable RGB PNG of random pixels: no two calls give the same bytes, and the noise keeps
 * deflate from shrinking it, so the file is about `width * height * 3` bytes.
 */
export async function noisePng(width: number, height: number): Promise<Bytes> {
  const stride = 1 + width * 3;
  const raw = new Uint8Array(stride * height);
  // getRandomValues fills at most 65,536 bytes per call.
  for (let at = 0; at < raw.length; at += 65_536) crypto.getRandomValues(raw.subarray(at, at + 65_536));
  for (let y = 0; y < height; y++) raw[y * stride] = 0; // filter type 0 (none) on every scanline
  return concat(
    PNG_SIGNATURE,
    ihdr(width, height),
    pngChunk('IDAT', await zlib(raw)),
    pngChunk('IEND', new Uint8Array()),
  );
}

// --- JPEG ----------------------------------------------------------------------------------------

export interface JpegOptions {
  /** SOF marker: 0xC0 baseline (default), 0xC1 extended sequential, 0xC2 progressive (DC scan only). */
  sof?: 0xc0 | 0xc1 | 0xc2;
  /** Payload bytes of an APP1 "Exif" segment placed before the frame header (at most 65533). */
  exif?: number;
  /** Total bytes of COM segments placed before the frame header, to push it far into the file. */
  comments?: number;
  /** 0xFF fill bytes inserted before the SOF marker (allowed by the JPEG syntax). */
  fill?: number;
}

const segment = (marker: number, payload: Uint8Array): Bytes =>
  concat(
    new Writer()
      .u8(0xff, marker)
      .u16(payload.length + 2)
      .done(),
    payload,
  );

/**
 * A decodable greyscale JPEG of any size up to 65535x65535: uniform mid-grey, since every block
 * is coded with a zero DC difference and an immediate end-of-block. Huffman tables with a single
 * one-bit code each make the scan two bits per 8x8 block (one bit for the DC-only progressive
 * variant). Tables precede the frame header, so a sniffer must skip DQT/DHT to find SOF.
 */
export function jpeg(width = 2, height = 3, options: JpegOptions = {}): Bytes {
  const sof = options.sof ?? 0xc0;
  const parts: Uint8Array[] = [Uint8Array.of(0xff, 0xd8)];
  parts.push(segment(0xe0, new Writer().ascii('JFIF\0').u8(1, 1, 0).u16(1).u16(1).u8(0, 0).done()));
  if (options.exif !== undefined) {
    if (options.exif < 14 || options.exif > 65533) throw new RangeError('exif payload must be 14..65533 bytes');
    // "Exif\0\0", then a little-endian TIFF header pointing at an empty IFD0, then padding.
    const exif = new Uint8Array(options.exif);
    exif.set(new Writer(true).ascii('Exif\0\0II*\0').u32(8).u16(0).done());
    parts.push(segment(0xe1, exif));
  }
  for (let left = options.comments ?? 0; left > 0; left -= 65533) {
    parts.push(segment(0xfe, new Uint8Array(Math.min(left, 65533)).fill(0x20)));
  }
  // Quantisation table 0: all ones (8-bit precision).
  parts.push(segment(0xdb, concat(Uint8Array.of(0x00), new Uint8Array(64).fill(1))));
  // Huffman tables: class/id, 16 counts per code length, symbols. One code of length 1 each.
  const oneCode = (classAndId: number, symbol: number) =>
    segment(0xc4, concat(Uint8Array.of(classAndId, 1), new Uint8Array(15), Uint8Array.of(symbol)));
  parts.push(oneCode(0x00, 0x00)); // DC table 0: category 0 (difference 0)
  if (sof !== 0xc2) parts.push(oneCode(0x10, 0x00)); // AC table 0: EOB
  if (options.fill) parts.push(new Uint8Array(options.fill).fill(0xff));
  // Frame: precision 8, height, width, one component (id 1, 1x1 sampling, table 0).
  parts.push(segment(sof, new Writer().u8(8).u16(height).u16(width).u8(1, 1, 0x11, 0).done()));
  // Scan: one component with tables 0/0; spectral range 0..63, or 0..0 for the progressive DC scan.
  parts.push(segment(0xda, Uint8Array.of(1, 1, 0x00, 0, sof === 0xc2 ? 0 : 63, 0)));
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const bits = blocks * (sof === 0xc2 ? 1 : 2);
  // All codes are 0 bits; the last byte is padded with 1 bits, so no 0xFF ever needs stuffing.
  const scan = new Uint8Array(Math.ceil(bits / 8));
  if (bits % 8) scan[scan.length - 1] = 0xff >>> (bits % 8);
  parts.push(scan, Uint8Array.of(0xff, 0xd9));
  return concat(...parts);
}

export interface ExifOptions {
  /** EXIF Orientation, 1–8. */
  orientation?: number;
  /** Add a GPS IFD (51°30'N): what must never leave the server in a variant. */
  gps?: boolean;
}

/** The bytes that mark EXIF in any container: the APP1/`EXIF` chunk name and a TIFF header. */
export const EXIF_MARKERS = ['Exif', 'EXIF', 'II*\0', 'MM\0*'];

/**
 * `jpeg()` with a well-formed APP1 "Exif" segment right after SOI (where cameras put it):
 * IFD0 with the Orientation tag and, optionally, a GPS IFD pointer.
 */
export function jpegWithExif(width: number, height: number, options: ExifOptions = {}): Bytes {
  const w = new Writer(true).ascii('Exif\0\0').ascii('II').u16(42).u32(8);
  const entries = (options.orientation !== undefined ? 1 : 0) + (options.gps ? 1 : 0);
  const gpsIfd = 8 + 2 + entries * 12 + 4;
  w.u16(entries);
  if (options.orientation !== undefined) w.u16(0x0112).u16(3).u32(1).u16(options.orientation).u16(0);
  if (options.gps) w.u16(0x8825).u16(4).u32(1).u32(gpsIfd);
  w.u32(0); // no IFD1
  if (options.gps) {
    const data = gpsIfd + 2 + 2 * 12 + 4;
    w.u16(2);
    w.u16(0x0001).u16(2).u32(2).ascii('N\0').u16(0); // GPSLatitudeRef
    w.u16(0x0002).u16(5).u32(3).u32(data); // GPSLatitude: three RATIONALs at `data`
    w.u32(0);
    for (const [num, den] of [
      [51, 1],
      [30, 1],
      [0, 1],
    ] as const)
      w.u32(num).u32(den);
  }
  const plain = jpeg(width, height);
  return concat(plain.subarray(0, 2), segment(0xe1, w.done()), plain.subarray(2));
}

/** True when `needle` (ASCII) occurs anywhere in `bytes`. */
export function containsAscii(bytes: Uint8Array, needle: string): boolean {
  const n = ascii(needle);
  outer: for (let i = 0; i + n.length <= bytes.length; i++) {
    for (let j = 0; j < n.length; j++) if (bytes[i + j] !== n[j]) continue outer;
    return true;
  }
  return false;
}

// --- GIF -----------------------------------------------------------------------------------------

/**
 * A decodable GIF89a with a two-colour checkerboard. The LZW stream emits a clear code before
 * every pixel, so the code width stays at 3 bits and no string table is ever needed: larger than
 * a real encoder's output, but trivially correct.
 */
export function gif(width: number, height: number): Bytes {
  const w = new Writer(true).ascii('GIF89a').u16(width).u16(height);
  w.u8(0x80, 0, 0); // global colour table of 2 entries, background 0, no aspect ratio
  w.u8(0x20, 0x40, 0xc0, 0xf0, 0xc0, 0x20);
  w.u8(0x2c).u16(0).u16(0).u16(width).u16(height).u8(0); // image descriptor, no local table
  const minCodeSize = 2;
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  const codes: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) codes.push(clear, (x + y) & 1);
  codes.push(end);
  const data = new Uint8Array(Math.ceil((codes.length * 3) / 8));
  codes.forEach((code, i) => {
    // 3-bit codes packed least-significant bit first, possibly straddling a byte boundary.
    const bit = i * 3;
    data[bit >> 3] = (data[bit >> 3] as number) | ((code << (bit & 7)) & 0xff);
    if ((bit & 7) > 5) data[(bit >> 3) + 1] = (data[(bit >> 3) + 1] as number) | (code >> (8 - (bit & 7)));
  });
  w.u8(minCodeSize);
  for (let at = 0; at < data.length; at += 255) {
    const block = data.subarray(at, at + 255);
    w.u8(block.length).bytes(block);
  }
  return w.u8(0, 0x3b).done(); // block terminator, trailer
}

// --- WebP ----------------------------------------------------------------------------------------

export type WebpKind = 'lossy' | 'lossless' | 'extended';

/** The lossy fixture's fixed size: its VP8 frame was encoded once, not built here. */
export const LOSSY_WEBP_SIZE = { width: 3, height: 2 } as const;

/**
 * The VP8 key frame `cwebp -q 50 -m 6` produced for a 3x2 solid #3366cc image (libwebp 1.2.4);
 * `dwebp` decodes it. Writing a VP8 boolean encoder for a fixture would be more code than it
 * tests, so this one frame is kept as data.
 */
const VP8_3X2 = hex('9001009d012a0300020002c04c25a00274ba000398' + '00fee838bff8de3adbeb6f6f3fa146ca2693000000');

/** Bits written least-significant first, as VP8L reads them. */
class BitWriter {
  private readonly out: number[] = [];
  private bit = 0;
  write(value: number, count: number): this {
    for (let i = 0; i < count; i++) {
      if (this.bit % 8 === 0) this.out.push(0);
      const last = this.out.length - 1;
      this.out[last] = (this.out[last] as number) | (((value >>> i) & 1) << (this.bit % 8));
      this.bit++;
    }
    return this;
  }
  done(): Bytes {
    return Uint8Array.from(this.out);
  }
}

/**
 * A VP8L bitstream of one solid colour. Each of the five prefix codes is a "simple" code with a
 * single symbol, which takes zero bits to read, so the pixels themselves need no bits at all.
 */
function vp8l(width: number, height: number): Bytes {
  const [red, green, blue, alpha] = [0x33, 0x99, 0x66, 0xff];
  const bits = new BitWriter()
    .write(0x2f, 8)
    .write(width - 1, 14)
    .write(height - 1, 14);
  bits.write(0, 1).write(0, 3); // alpha_is_used, version
  bits.write(0, 1); // no transforms
  bits.write(0, 1); // no colour cache
  bits.write(0, 1); // no meta prefix codes
  for (const symbol of [green, red, blue, alpha, 0 /* distance */]) {
    bits.write(1, 1).write(0, 1).write(1, 1).write(symbol, 8); // simple, 1 symbol, 8-bit symbol
  }
  return bits.done();
}

function riffChunk(type: string, data: Uint8Array): Bytes {
  const pad = data.length % 2 ? Uint8Array.of(0) : new Uint8Array();
  return concat(new Writer(true).ascii(type).u32(data.length).done(), data, pad);
}

function riffWebp(...chunks: Uint8Array[]): Bytes {
  const body = concat(ascii('WEBP'), ...chunks);
  return concat(new Writer(true).ascii('RIFF').u32(body.length).done(), body);
}

/**
 * A decodable WebP: 'lossless' (a VP8L chunk, any size up to 16384x16384), 'extended' (a VP8X
 * header with the canvas size, then that VP8L chunk) or 'lossy' (a VP8 chunk, always 3x2).
 */
export function webp(kind: WebpKind = 'lossless', width = 3, height = 2): Bytes {
  if (kind === 'lossy') {
    if (width !== LOSSY_WEBP_SIZE.width || height !== LOSSY_WEBP_SIZE.height) {
      throw new RangeError(`the lossy WebP fixture is ${LOSSY_WEBP_SIZE.width}x${LOSSY_WEBP_SIZE.height} only`);
    }
    return riffWebp(riffChunk('VP8 ', VP8_3X2));
  }
  const image = riffChunk('VP8L', vp8l(width, height));
  if (kind === 'lossless') return riffWebp(image);
  const vp8x = new Writer(true)
    .u8(0, 0, 0, 0)
    .u24(width - 1)
    .u24(height - 1)
    .done(); // no feature flags
  return riffWebp(riffChunk('VP8X', vp8x), image);
}

// --- AVIF ----------------------------------------------------------------------------------------

export interface AvifOptions {
  /** ftyp major brand (default 'avif'). */
  major?: string;
  /** ftyp compatible brands (default avif, mif1, miaf). */
  compatible?: string[];
  /**
   * Add a thumbnail item whose `ispe` comes first in `ipco` and whose `ipma` entry comes first,
   * so only a reader that follows `pitm` reports the primary image's size.
   */
  thumbnail?: { width: number; height: number };
}

function box(type: string, ...payload: Uint8Array[]): Bytes {
  const body = concat(...payload);
  return concat(
    new Writer()
      .u32(body.length + 8)
      .ascii(type)
      .done(),
    body,
  );
}

const fullBox = (type: string, version: number, flags: number, ...payload: Uint8Array[]) =>
  box(type, new Writer().u8(version).u24(flags).done(), ...payload);

/**
 * A structurally well-formed AVIF still image: ftyp, then meta (hdlr, pitm, iloc, iinf, iprp with
 * ispe/av1C/pixi and ipma), then mdat. The mdat bytes are not a real AV1 bitstream, so decoders
 * will parse the container and then fail on the image data.
 */
export function avif(width = 3, height = 2, options: AvifOptions = {}): Bytes {
  const brands = options.compatible ?? ['avif', 'mif1', 'miaf'];
  const ftyp = box(
    'ftyp',
    new Writer()
      .ascii(options.major ?? 'avif')
      .u32(0)
      .ascii(brands.join(''))
      .done(),
  );
  const primary = 1;
  const thumb = options.thumbnail ? 2 : undefined;
  const items = thumb ? [thumb, primary] : [primary];
  const payload = Uint8Array.of(0x12, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00); // OBU-shaped filler

  const ispe = (w: number, h: number) => fullBox('ispe', 0, 0, new Writer().u32(w).u32(h).done());
  const av1C = box('av1C', Uint8Array.of(0x81, 0x00, 0x0c, 0x00)); // profile 0, 8-bit 4:2:0
  const pixi = fullBox('pixi', 0, 0, Uint8Array.of(3, 8, 8, 8));
  // ipco order: [thumbnail ispe], primary ispe, av1C, pixi — indices are 1-based.
  const ipco = box(
    'ipco',
    ...(options.thumbnail ? [ispe(options.thumbnail.width, options.thumbnail.height)] : []),
    ispe(width, height),
    av1C,
    pixi,
  );
  const base = thumb ? 1 : 0;
  const ipmaEntries = new Writer().u32(items.length);
  if (thumb) ipmaEntries.u16(thumb).u8(3, 1, 0x80 | (base + 2), base + 3);
  ipmaEntries.u16(primary).u8(3, base + 1, 0x80 | (base + 2), base + 3); // av1C is essential
  const iprp = box('iprp', ipco, fullBox('ipma', 0, 0, ipmaEntries.done()));

  const hdlr = fullBox('hdlr', 0, 0, new Writer().u32(0).ascii('pict').u32(0).u32(0).u32(0).u8(0).done());
  const pitm = fullBox('pitm', 0, 0, new Writer().u16(primary).done());
  const infe = (id: number) => fullBox('infe', 2, 0, new Writer().u16(id).u16(0).ascii('av01').u8(0).done());
  const iinf = fullBox('iinf', 0, 0, new Writer().u16(items.length).done(), ...items.map(infe));
  const iref = thumb ? [fullBox('iref', 0, 0, box('thmb', new Writer().u16(thumb).u16(1).u16(primary).done()))] : [];
  const iloc = (dataOffset: number) => {
    // offset_size 4, length_size 4, base_offset_size 0; every item shares the same extent.
    const w = new Writer().u8(0x44, 0x00).u16(items.length);
    for (const id of items) w.u16(id).u16(0).u16(1).u32(dataOffset).u32(payload.length);
    return fullBox('iloc', 0, 0, w.done());
  };
  const meta = (dataOffset: number) => fullBox('meta', 0, 0, hdlr, pitm, iloc(dataOffset), iinf, ...iref, iprp);
  // The extent offset is absolute, so measure meta once (its size does not depend on the value).
  const dataOffset = ftyp.length + meta(0).length + 8;
  return concat(ftyp, meta(dataOffset), box('mdat', payload));
}

// --- BMP and TIFF --------------------------------------------------------------------------------

export interface BmpOptions {
  /** Store rows top-down, signalled by a negative height in BITMAPINFOHEADER. */
  topDown?: boolean;
  /** Use the 12-byte OS/2 BITMAPCOREHEADER (16-bit sizes) instead of BITMAPINFOHEADER. */
  core?: boolean;
}

/** A decodable 24-bit uncompressed BMP with a colour gradient. */
export function bmp(width: number, height: number, options: BmpOptions = {}): Bytes {
  const stride = Math.ceil((width * 3) / 4) * 4; // rows are padded to 4 bytes
  const dibSize = options.core ? 12 : 40;
  const pixelsAt = 14 + dibSize;
  const w = new Writer(true)
    .ascii('BM')
    .u32(pixelsAt + stride * height)
    .u32(0)
    .u32(pixelsAt);
  if (options.core) w.u32(12).u16(width).u16(height).u16(1).u16(24);
  else {
    w.u32(40)
      .u32(width)
      .u32(options.topDown ? -height : height)
      .u16(1)
      .u16(24);
    w.u32(0)
      .u32(stride * height)
      .u32(2835)
      .u32(2835)
      .u32(0)
      .u32(0); // BI_RGB, 72 dpi, no palette
  }
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = y * stride + x * 3;
      pixels[at] = 0x80; // blue, green, red
      pixels[at + 1] = (y * 255) / Math.max(1, height - 1);
      pixels[at + 2] = (x * 255) / Math.max(1, width - 1);
    }
  }
  return concat(w.done(), pixels);
}

export interface TiffOptions {
  /** 'II' little-endian (default) or 'MM' big-endian. */
  byteOrder?: 'II' | 'MM';
  /** Type of the width/height tags; default SHORT when both fit, else LONG. */
  dimensions?: 'short' | 'long';
}

/** A decodable uncompressed 8-bit greyscale TIFF, one strip, IFD0 right after the header. */
export function tiff(width: number, height: number, options: TiffOptions = {}): Bytes {
  const le = (options.byteOrder ?? 'II') === 'II';
  const long = options.dimensions ? options.dimensions === 'long' : width > 0xffff || height > 0xffff;
  const entries: [tag: number, type: 'short' | 'long', value: number][] = [
    [256, long ? 'long' : 'short', width],
    [257, long ? 'long' : 'short', height],
    [258, 'short', 8], // BitsPerSample
    [259, 'short', 1], // Compression: none
    [262, 'short', 1], // PhotometricInterpretation: BlackIsZero
    [273, 'long', 0], // StripOffsets, filled below
    [277, 'short', 1], // SamplesPerPixel
    [278, 'long', height], // RowsPerStrip
    [279, 'long', width * height], // StripByteCounts
  ];
  const pixelsAt = 8 + 2 + entries.length * 12 + 4;
  const w = new Writer(le)
    .ascii(le ? 'II' : 'MM')
    .u16(42)
    .u32(8)
    .u16(entries.length);
  for (const [tag, type, value] of entries) {
    w.u16(tag)
      .u16(type === 'short' ? 3 : 4)
      .u32(1);
    const v = tag === 273 ? pixelsAt : value;
    // A SHORT sits in the first two bytes of the value field, in the file's byte order.
    if (type === 'short') w.u16(v).u16(0);
    else w.u32(v);
  }
  w.u32(0); // no next IFD
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) & 0xff;
  return concat(w.done(), pixels);
}

// --- SVG and text --------------------------------------------------------------------------------

export interface SvgOptions {
  bom?: boolean;
  prolog?: boolean;
  doctype?: boolean;
  /** Whitespace (including newlines) before the first markup. */
  leading?: string;
  /** A comment before the root element. */
  comment?: boolean;
}

/** A small SVG document (which the API must refuse: SVG can carry script). */
export function svg(options: SvgOptions = {}): Bytes {
  let text = options.leading ?? '';
  if (options.prolog) text += '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n';
  if (options.comment) text += '<!-- Generator: a test -->\n';
  if (options.doctype) {
    text += '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n';
  }
  text +=
    '<svg xmlns="http://www.w3.org/2000/svg" width="3" height="2" viewBox="0 0 3 2">' +
    '<rect width="3" height="2" fill="#36c"/></svg>\n';
  const body = ascii(text);
  return options.bom ? concat(Uint8Array.of(0xef, 0xbb, 0xbf), body) : body;
}

// --- Large and hashing ---------------------------------------------------------------------------

export interface BigImageOptions {
  width?: number;
  height?: number;
  /** Different seeds give different content (and hashes) at the same size. */
  seed?: number;
}

/**
 * Exactly `bytes` bytes: the PNG signature and a valid IHDR (so a sniffer reports image/png and
 * the given size), then deterministic pseudo-random bytes. Not decodable past the header; meant
 * for size-limit and byte-exact round-trip tests.
 */
export function bigImage(bytes: number, options: BigImageOptions = {}): Bytes {
  const header = concat(PNG_SIGNATURE, ihdr(options.width ?? 4000, options.height ?? 3000));
  if (!Number.isInteger(bytes) || bytes < header.length) {
    throw new RangeError(`bigImage needs an integer of at least ${header.length} bytes`);
  }
  const out = new Uint8Array(bytes);
  out.set(header);
  // xorshift32: fast, dependency-free and identical on every runtime.
  let state = (options.seed ?? 1) >>> 0 || 0x9e3779b9;
  for (let at = header.length; at < bytes; at += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[at] = state;
    if (at + 1 < bytes) out[at + 1] = state >>> 8;
    if (at + 2 < bytes) out[at + 2] = state >>> 16;
    if (at + 3 < bytes) out[at + 3] = state >>> 24;
  }
  return out;
}

/** Lower-case hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
